package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Format version 2 as a whole: frames that name their LSN, the version in every file header, and a clean close that
 * reopens without a word.
 */
class JournalFormatTest
{
    private static final long FILE_LENGTH = 16 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Format");

    @TempDir
    Path tmp;

    private Journal open(final Path dir)
    {
        return Journal.open(new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).syncPolicy(SyncPolicy.NONE));
    }

    @Test
    void everyFrameNamesItsOwnLsn()
    {
        try (Journal journal = open(tmp.resolve("j")))
        {
            final JournalAppender appender = journal.newAppender();
            for (int i = 0; i < 200; i++)
            {
                appender.set(0, GLOBAL, SubscriptKey.of(i), new byte[i % 37]);
            }
            int count = 0;
            try (JournalReader reader = journal.reader(0))
            {
                final int[] seen = new int[1];
                while (reader.poll((record) ->
                {
                    assertEquals(record.lsn(), record.frameLsn());
                    seen[0]++;
                }, 50) > 0)
                {
                }
                count = seen[0];
            }
            assertEquals(200, count);
        }
    }

    @Test
    void theHeaderAndLengthWordsAnAppendWritesDecodeToTheFieldsTheDiagramPlaces()
    {
        final long headerWord = RecordDescriptor.headerWord((byte)0x85, 255, 0xFEDC, 0x7654_3210);
        final ByteBuffer frame = ByteBuffer.allocate(RecordDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        frame.putLong(RecordDescriptor.HEADER_WORD_OFFSET, headerWord);
        frame.putLong(RecordDescriptor.LENGTH_WORD_OFFSET, RecordDescriptor.lengthWord(-2, 0x7000_0001));
        assertEquals((byte)0x85, frame.get(RecordDescriptor.TYPE_OFFSET));
        assertEquals((byte)255, frame.get(RecordDescriptor.DATABASE_LENGTH_OFFSET));
        assertEquals((short)0xFEDC, frame.getShort(RecordDescriptor.GLOBAL_LENGTH_OFFSET));
        assertEquals(0x7654_3210, frame.getInt(RecordDescriptor.KEY_LENGTH_OFFSET));
        assertEquals(-2, frame.getInt(RecordDescriptor.VALUE_LENGTH_OFFSET));
        assertEquals(0x7000_0001, frame.getInt(RecordDescriptor.BEFORE_IMAGE_LENGTH_OFFSET));
        assertEquals(255, RecordDescriptor.databaseLength(headerWord));
        assertEquals(0xFEDC, RecordDescriptor.globalLength(headerWord));
        assertEquals(0x7654_3210, RecordDescriptor.keyLength(headerWord));
    }

    @Test
    void aFrameWrittenAtAnotherLsnIsDamageNamingBothLsns() throws Exception
    {
        final Path dir = tmp.resolve("j");
        final long first;
        final long second;
        final long third;
        try (Journal journal = open(dir))
        {
            final JournalAppender appender = journal.newAppender();
            first = appender.set(0, GLOBAL, SubscriptKey.of(1), new byte[16]);
            second = appender.set(0, GLOBAL, SubscriptKey.of(2), new byte[16]);
            third = appender.set(0, GLOBAL, SubscriptKey.of(3), new byte[16]);
        }
        // a misdirected write: the first frame, checksum and all, lands where the second was
        final Path file = dir.resolve(JournalFileDescriptor.fileName(0));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            final byte[] frame = new byte[(int)(second - first)];
            raf.seek(JournalFileDescriptor.HEADER_LENGTH + first);
            raf.readFully(frame);
            raf.seek(JournalFileDescriptor.HEADER_LENGTH + second);
            raf.write(frame);
        }
        try (Journal journal = Journal.openReadOnly(dir))
        {
            assertEquals(second, journal.recoveredLsn());
            final String message = journal.recoveryDamage().getMessage();
            assertTrue(message.contains("frame of another LSN: frameLsn=" + first), message);
            assertTrue(message.contains("lsn=" + second), message);
            assertTrue(message.contains("file=" + file.getFileName()), message);
        }
        assertTrue(third > second);
    }

    @Test
    void aReplicatorRefusesAFrameOfAnotherLsn()
    {
        try (Journal primary = open(tmp.resolve("p")); Journal member = open(tmp.resolve("m")))
        {
            final long first = primary.newAppender().set(0, GLOBAL, SubscriptKey.of(1), new byte[16]);
            final ByteBuffer frame = ByteBuffer.allocateDirect(256).order(ByteOrder.LITTLE_ENDIAN);
            try (JournalReader reader = primary.reader(first))
            {
                reader.pollBlock((block, lsn, length) -> frame.put(block.duplicate()).flip(), 256);
            }
            final JournalReplicator replicator = member.newReplicator();
            replicator.append(frame, 0);
            final long end = replicator.endLsn();
            // the same frame again at the member's end: its checksum is right, its LSN is not
            final JournalException ex = assertThrows(JournalException.class, () -> replicator.append(frame, end));
            assertTrue(ex.getMessage().contains("frame of another LSN: frameLsn=0: lsn=" + end), ex.getMessage());
            assertEquals(end, replicator.endLsn());
        }
    }

    @Test
    void aFileOfAnotherVersionIsRefusedNamingTheFileAndBothVersions() throws Exception
    {
        final Path dir = tmp.resolve("j");
        try (Journal journal = open(dir))
        {
            journal.newAppender().set(0, GLOBAL, SubscriptKey.of(1), new byte[16]);
        }
        final Path file = dir.resolve(JournalFileDescriptor.fileName(0));
        for (final int version : new int[] {1, 3})
        {
            rewriteVersion(file, version);
            final JournalException ex = assertThrows(JournalException.class, () -> open(dir));
            assertEquals(JournalException.Code.UNSUPPORTED_VERSION, ex.code());
            assertTrue(ex.getMessage().contains("file=" + file), ex.getMessage());
            assertTrue(ex.getMessage().contains("version=" + version + " supported=2"), ex.getMessage());
            final JournalException readOnly = assertThrows(JournalException.class, () -> Journal.openReadOnly(dir));
            assertEquals(JournalException.Code.UNSUPPORTED_VERSION, readOnly.code());
        }
    }

    @Test
    void aCleanCloseReopensSilently()
    {
        final Path dir = tmp.resolve("j");
        try (Journal journal = open(dir))
        {
            final JournalAppender appender = journal.newAppender();
            // cross a file, so a spare next file is prepared too
            for (int i = 0; journal.tailLsn() < FILE_LENGTH + 100; i++)
            {
                appender.set(0, GLOBAL, SubscriptKey.of(i), new byte[64]);
            }
        }
        final String log = captureStandardError(() ->
        {
            try (Journal journal = open(dir))
            {
                assertNull(journal.recoveryDamage());
            }
        });
        assertFalse(log.contains("WARN"), log);
        assertFalse(log.contains("torn"), log);
    }

    private static String captureStandardError(final Runnable action)
    {
        final PrintStream original = System.err;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            action.run();
        }
        finally
        {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static void rewriteVersion(final Path file, final int version) throws Exception
    {
        JournalEpochTest.rewriteHeader(file,
            (view) -> view.putInt(JournalFileDescriptor.FORMAT_VERSION_OFFSET, version));
    }
}
