package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The structure checks every reader makes on every frame, with CRCs off (as on a member's dejournal path), so that
 * nothing but the structure checks stands between a damaged header and a decoded record: each damage is reported
 * with what is wrong, file and LSN, and the records before it are still delivered.
 */
class FrameCheckTest
{
    private static final long FILE_LENGTH = 64 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Check");

    @TempDir
    Path dir;

    @Test
    void isRecordCodeAcceptsExactlyTheRecordTypesButPadding()
    {
        for (int b = Byte.MIN_VALUE; b <= Byte.MAX_VALUE; b++)
        {
            final RecordType type = RecordType.fromCode(b);
            final boolean expected = null != type && type != RecordType.PADDING;
            assertEquals(expected, RecordType.isRecordCode(b), "signed code " + b);
            assertEquals(expected, RecordType.isRecordCode(b & 0xFF), "unsigned code " + (b & 0xFF));
        }
        assertFalse(RecordType.isRecordCode(Integer.MIN_VALUE));
        assertFalse(RecordType.isRecordCode(64 + RecordType.SET.code()), "codes 64 apart must not alias");
    }

    @Test
    void headerWordDecodesAsTheFlyweightDoes()
    {
        final List<Long> lsns = new ArrayList<>();
        try (Journal journal = open())
        {
            lsns.add(journal.appender().set(7, GlobalName.of("CLINICAL", "Patient"), new SubscriptKey().add(42)
                .add("name"), new byte[1000]));
            lsns.add(journal.appender().kill(0, GLOBAL, new SubscriptKey().add(1)));
            lsns.add(journal.appender().tstart(9));
            try (JournalReader reader = journal.reader(0))
            {
                final int[] seen = new int[1];
                reader.poll((record) ->
                {
                    final long word = record.buffer().getLong(record.offset() + RecordDescriptor.HEADER_WORD_OFFSET,
                        ByteOrder.LITTLE_ENDIAN);
                    assertEquals(record.typeCode(), RecordDescriptor.typeCode(word));
                    assertEquals(record.databaseLength(), RecordDescriptor.databaseLength(word));
                    assertEquals(record.globalLength(), RecordDescriptor.globalLength(word));
                    assertEquals(record.keyLength(), RecordDescriptor.keyLength(word));
                    seen[0]++;
                }, 10);
                assertEquals(3, seen[0]);
            }
        }
    }

    @Test
    void aRecordTypeThatIsNotARecordIsReported() throws IOException
    {
        for (final int code : new int[] {0, 8, RecordType.PADDING.code(), 0x80, 0xFF, 64 + RecordType.SET.code()})
        {
            assertDamageReported((file, offset) -> file.putByte(offset + RecordDescriptor.TYPE_OFFSET, (byte)code),
                "unknown record type");
        }
    }

    @Test
    void fieldLengthsThatDoNotAddUpAreReported() throws IOException
    {
        assertDamageReported((file, offset) -> file.putByte(offset + RecordDescriptor.DATABASE_LENGTH_OFFSET,
            (byte)(file.getByte(offset + RecordDescriptor.DATABASE_LENGTH_OFFSET) + 1)), "do not add up");
        assertDamageReported((file, offset) -> file.putShort(offset + RecordDescriptor.GLOBAL_LENGTH_OFFSET,
            (short)(file.getShort(offset + RecordDescriptor.GLOBAL_LENGTH_OFFSET) + 8)), "do not add up");
        assertDamageReported((file, offset) -> file.putInt(offset + RecordDescriptor.KEY_LENGTH_OFFSET, -8),
            "do not add up");
        assertDamageReported((file, offset) -> file.putInt(offset + RecordDescriptor.VALUE_LENGTH_OFFSET, -1),
            "do not add up");
    }

    @Test
    void aFrameLengthNearIntMaxIsABadLengthNotAWrappedOne() throws IOException
    {
        // Aligned in int arithmetic, this length wraps to a negative frame end that "fits" in the file.
        assertDamageReported((file, offset) -> file.putInt(offset, Integer.MAX_VALUE - 6), "bad frame length");
        assertDamageReported((file, offset) -> file.putInt(offset, RecordDescriptor.HEADER_LENGTH - 1),
            "bad frame length");
    }

    @FunctionalInterface
    private interface Damage
    {
        void apply(UnsafeBuffer file, int frameOffset);
    }

    private Journal open()
    {
        return Journal.open(new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).syncPolicy(SyncPolicy.NONE));
    }

    /**
     * Writes 20 records into a fresh journal, damages the 10th in place, and reads from the start with CRCs off.
     */
    private void assertDamageReported(final Damage damage, final String what) throws IOException
    {
        final Path journalDir = dir.resolve("j" + System.nanoTime());
        final List<Long> lsns = new ArrayList<>();
        try (Journal journal = Journal.open(new JournalContext().journalDir(journalDir).fileLength(FILE_LENGTH)
            .syncPolicy(SyncPolicy.NONE)))
        {
            final SubscriptKey key = new SubscriptKey();
            for (int i = 0; i < 20; i++)
            {
                lsns.add(journal.appender().set(i, GLOBAL, key.clear().add(i), new byte[] {(byte)i, 2, 3}));
            }
        }
        final long damaged = lsns.get(10);
        // Open first (recovery only checks the tail of the journal, which must not be damaged yet), then damage the
        // mapped file through the file system: the reader sees the same page cache.
        try (Journal journal = Journal.open(new JournalContext().journalDir(journalDir).fileLength(FILE_LENGTH)
            .syncPolicy(SyncPolicy.NONE)); JournalReader reader = journal.reader(0).verifyChecksums(false))
        {
            final Path file = journalDir.resolve(JournalFileDescriptor.fileName(0));
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
            {
                final byte[] bytes = new byte[(int)raf.length()];
                raf.readFully(bytes);
                damage.apply(new UnsafeBuffer(bytes), (int)(JournalFileDescriptor.HEADER_LENGTH + damaged));
                raf.seek(0);
                raf.write(bytes);
            }
            final List<Long> seen = new ArrayList<>();
            final JournalException ex = assertThrows(JournalException.class, () ->
            {
                while (reader.poll((record) -> seen.add(record.lsn()), 1000) > 0)
                {
                    // read until the damage
                }
            });
            assertEquals(JournalException.Code.CORRUPT_FRAME, ex.code());
            assertTrue(ex.getMessage().contains(what), ex.getMessage());
            assertTrue(ex.getMessage().contains("lsn=" + damaged), ex.getMessage());
            assertEquals(lsns.subList(0, 10), seen, "records before the damage are delivered, none after");
        }
    }
}
