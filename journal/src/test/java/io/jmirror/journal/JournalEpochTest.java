package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Epochs: {@code EPOCH_START} records, the epoch in each file's header, and the history the journal builds from its
 * files alone.
 */
class JournalEpochTest
{
    private static final long FILE_LENGTH = 8 * 1024;
    private static final long CAPACITY = FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Epoch");

    @TempDir
    Path tmp;

    private Journal open(final Path dir)
    {
        return Journal.open(new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).syncPolicy(SyncPolicy.NONE)
            .retainMs(0).retainMinFiles(1));
    }

    private static void fillPast(final Journal journal, final long lsn)
    {
        final SubscriptKey key = new SubscriptKey();
        for (int i = 1; journal.tailLsn() < lsn; i++)
        {
            journal.appender().set(0, GLOBAL, key.clear().add(i), new byte[40]);
        }
    }

    @Test
    void anEpochStartRoundTripsAndTheHistorySurvivesReopen()
    {
        final Path dir = tmp.resolve("j");
        final long first;
        final long second;
        try (Journal journal = open(dir))
        {
            assertEquals(0, journal.epoch());
            first = journal.startEpoch(1, "node-a");
            fillPast(journal, CAPACITY + 100);
            second = journal.startEpoch(7, "node-b");
            fillPast(journal, 3 * CAPACITY + 100);
            assertEquals(7, journal.epoch());
            assertEquals(List.of(new EpochStart(1, first, "node-a"), new EpochStart(7, second, "node-b")),
                journal.epochHistory());
        }

        try (Journal journal = open(dir))
        {
            assertEquals(7, journal.epoch());
            assertEquals(List.of(new EpochStart(1, first, "node-a"), new EpochStart(7, second, "node-b")),
                journal.epochHistory());
            assertEquals(0, journal.epochAt(first - 8));
            assertEquals(1, journal.epochAt(first));
            assertEquals(1, journal.epochAt(second - 8));
            assertEquals(7, journal.epochAt(second));
            assertEquals(7, journal.epochAt(journal.tailLsn()));

            final List<String> starts = new ArrayList<>();
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                while (reader.poll((record) ->
                {
                    if (record.type() == RecordType.EPOCH_START)
                    {
                        starts.add(record.epoch() + "@" + record.lsn() + "/" + record.epochMember());
                    }
                }, 100) > 0)
                {
                }
            }
            assertEquals(List.of("1@" + first + "/node-a", "7@" + second + "/node-b"), starts);
        }
    }

    @Test
    void eachFileHeaderNamesTheEpochInForceAtItsBase() throws Exception
    {
        final Path dir = tmp.resolve("j");
        try (Journal journal = open(dir))
        {
            journal.startEpoch(3, "a");
            fillPast(journal, CAPACITY + 16);
            journal.startEpoch(4, "b");
            fillPast(journal, 2 * CAPACITY + 16);
        }
        assertEquals(3, headerEpoch(dir.resolve(JournalFileDescriptor.fileName(0))));
        assertEquals(3, headerEpoch(dir.resolve(JournalFileDescriptor.fileName(CAPACITY))));
        assertEquals(4, headerEpoch(dir.resolve(JournalFileDescriptor.fileName(2 * CAPACITY))));
    }

    @Test
    void anEpochThatStartsAFileIsInThatFilesHeader() throws Exception
    {
        final Path dir = tmp.resolve("j");
        final long start;
        try (Journal journal = open(dir))
        {
            journal.startEpoch(1, "a");
            fillPast(journal, 1);
            // fill the first file exactly, so the next record starts the second
            final SubscriptKey key = new SubscriptKey().add(1);
            while (CAPACITY - journal.tailLsn() > 200)
            {
                journal.appender().set(0, GLOBAL, key, new byte[40]);
            }
            final long room = CAPACITY - journal.tailLsn();
            final int valueLength = (int)(room - RecordDescriptor.HEADER_LENGTH - GLOBAL.names().length -
                key.length());
            journal.appender().set(0, GLOBAL, key, new byte[valueLength]);
            assertEquals(CAPACITY, journal.tailLsn());
            start = journal.startEpoch(2, "b");
            assertEquals(CAPACITY, start);
        }
        assertEquals(2, headerEpoch(dir.resolve(JournalFileDescriptor.fileName(CAPACITY))));
        try (Journal journal = open(dir))
        {
            assertEquals(2, journal.epochAt(CAPACITY));
            assertEquals(new EpochStart(2, CAPACITY, "b"), journal.epochHistory().get(1));
        }
    }

    @Test
    void anEpochMustGrow()
    {
        try (Journal journal = open(tmp.resolve("j")))
        {
            journal.startEpoch(5, "a");
            final JournalException same = assertThrows(JournalException.class, () -> journal.startEpoch(5, "b"));
            assertTrue(same.getMessage().contains("epoch=5 currentEpoch=5"), same.getMessage());
            assertThrows(JournalException.class, () -> journal.startEpoch(4, "b"));
            assertEquals(5, journal.epoch());
            assertEquals(1, journal.epochHistory().size());
        }
    }

    @Test
    void aFileWhoseHeaderEpochDisagreesWithItsRecordsIsDamage() throws Exception
    {
        final Path dir = tmp.resolve("j");
        try (Journal journal = open(dir))
        {
            journal.startEpoch(1, "a");
            fillPast(journal, CAPACITY / 2);
            journal.startEpoch(2, "b");
            fillPast(journal, 2 * CAPACITY + 16);
        }
        final Path second = dir.resolve(JournalFileDescriptor.fileName(CAPACITY));
        rewriteHeaderEpoch(second, 3);

        final JournalException ex = assertThrows(JournalException.class, () -> open(dir));
        assertEquals(JournalException.Code.CORRUPT_HEADER, ex.code());
        assertTrue(ex.getMessage().contains("file=" + second.getFileName()), ex.getMessage());
        assertTrue(ex.getMessage().contains("headerEpoch=3 recordsEpoch=2"), ex.getMessage());

        // A header that hides the epoch change is found at the next file, whose header names the epoch again.
        rewriteHeaderEpoch(second, 1);
        final JournalException hidden = assertThrows(JournalException.class, () -> open(dir));
        assertEquals(JournalException.Code.CORRUPT_HEADER, hidden.code());
        assertTrue(hidden.getMessage().contains("headerEpoch=2 recordsEpoch=1"), hidden.getMessage());
    }

    @Test
    void theOldestFileCarriesTheEpochOfAPurgedStart()
    {
        final Path dir = tmp.resolve("j");
        try (Journal journal = open(dir))
        {
            journal.startEpoch(9, "a");
            fillPast(journal, 3 * CAPACITY + 16);
            assertTrue(journal.purge() > 0);
            assertTrue(journal.startLsn() > 0);
        }
        try (Journal journal = open(dir))
        {
            assertEquals(List.of(new EpochStart(9, EpochStart.PURGED, null)), journal.epochHistory());
            assertEquals(9, journal.epoch());
            assertEquals(9, journal.epochAt(journal.startLsn()));
        }
    }

    @Test
    void aReplicaGetsTheSameEpochsAndByteIdenticalFiles() throws Exception
    {
        final Path primaryDir = tmp.resolve("primary");
        final Path memberDir = tmp.resolve("member");
        try (Journal primary = open(primaryDir); Journal member = Journal.open(new JournalContext()
            .journalDir(memberDir).fileLength(FILE_LENGTH).syncPolicy(SyncPolicy.NONE).journalId(primary.journalId())))
        {
            final JournalReplicator replicator = member.newReplicator();
            try (JournalReader reader = primary.reader(0))
            {
                primary.startEpoch(1, "a");
                fillPast(primary, CAPACITY + 40);
                ship(reader, replicator);
                primary.startEpoch(2, "b");
                fillPast(primary, 3 * CAPACITY - 300);
                ship(reader, replicator);
                fillPast(primary, 3 * CAPACITY + 100);
                ship(reader, replicator);
            }
            assertEquals(primary.epochHistory(), member.epochHistory());
            assertEquals(2, member.epoch());
        }
        for (int i = 0; i < 4; i++)
        {
            final String name = JournalFileDescriptor.fileName(i * CAPACITY);
            assertArrayEquals(Files.readAllBytes(primaryDir.resolve(name)), Files.readAllBytes(memberDir.resolve(name)),
                name);
        }
        try (Journal member = open(memberDir))
        {
            assertEquals(2, member.epochHistory().size());
        }
    }

    @Test
    void aReplicatedEpochThatGoesBackwardIsRefused()
    {
        try (Journal primary = open(tmp.resolve("p")); Journal other = open(tmp.resolve("o"));
            Journal member = open(tmp.resolve("m")))
        {
            primary.startEpoch(5, "a");
            other.startEpoch(3, "b");
            final JournalReplicator replicator = member.newReplicator();
            try (JournalReader reader = primary.reader(0))
            {
                ship(reader, replicator);
            }
            // the other journal's first record, EPOCH_START(3), at the member's end
            final long end = replicator.endLsn();
            other.appender().set(0, GLOBAL, new SubscriptKey().add(1), new byte[8]);
            final ByteBuffer frame = ByteBuffer.allocateDirect(64).order(ByteOrder.LITTLE_ENDIAN);
            try (JournalReader reader = other.reader(0))
            {
                reader.pollBlock((block, lsn, length) ->
                {
                    final ByteBuffer first = block.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                    first.limit(first.position() + RecordDescriptor.alignedLength(first.getInt(first.position())));
                    frame.put(first).flip();
                }, 64);
            }
            assertEquals(end, frame.limit(), "both epoch starts are the same size");
            final JournalException ex = assertThrows(JournalException.class, () -> replicator.append(frame, 0));
            assertTrue(ex.getMessage().contains("block does not start at the journal end"), ex.getMessage());
            // placed at the end, with its LSN and CRC made right, it is still an epoch that goes backward
            final ByteBuffer moved = relocate(frame, end);
            final JournalException backward = assertThrows(JournalException.class, () -> replicator.append(moved, end));
            assertTrue(backward.getMessage().contains("epoch goes backward: epoch=3 previousEpoch=5"),
                backward.getMessage());
            assertEquals(5, member.epoch());
        }
    }

    /** A copy of one frame, re-addressed to {@code lsn} with its checksum recomputed. */
    static ByteBuffer relocate(final ByteBuffer frame, final long lsn)
    {
        final ByteBuffer copy = ByteBuffer.allocateDirect(frame.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(frame.duplicate()).flip();
        copy.putLong(RecordDescriptor.LSN_OFFSET, lsn);
        final CRC32C crc = new CRC32C();
        final ByteBuffer summed = copy.duplicate();
        summed.position(RecordDescriptor.CHECKSUM_START_OFFSET);
        crc.update(summed);
        copy.putInt(RecordDescriptor.CHECKSUM_OFFSET, (int)crc.getValue());
        return copy;
    }

    private static void ship(final JournalReader reader, final JournalReplicator replicator)
    {
        while (reader.pollBlock((block, lsn, length) -> replicator.append(block, lsn), 4096) > 0)
        {
        }
    }

    static long headerEpoch(final Path file) throws Exception
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r"))
        {
            raf.seek(JournalFileDescriptor.EPOCH_OFFSET);
            return Long.reverseBytes(raf.readLong());
        }
    }

    /** Rewrite a file header's epoch and its checksum, as a wrong but well-formed header. */
    static void rewriteHeaderEpoch(final Path file, final long epoch) throws Exception
    {
        rewriteHeader(file, (view) -> view.putLong(JournalFileDescriptor.EPOCH_OFFSET, epoch));
    }

    /** Change a file header in place and recompute its checksum, so only the change is wrong. */
    static void rewriteHeader(final Path file, final java.util.function.Consumer<ByteBuffer> change) throws Exception
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            final byte[] header = new byte[JournalFileDescriptor.HEADER_LENGTH];
            raf.readFully(header);
            final ByteBuffer view = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            change.accept(view);
            final CRC32C crc = new CRC32C();
            crc.update(header, 0, JournalFileDescriptor.HEADER_CHECKSUM_OFFSET);
            view.putInt(JournalFileDescriptor.HEADER_CHECKSUM_OFFSET, (int)crc.getValue());
            raf.seek(0);
            raf.write(header);
        }
    }
}
