package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A replica written block by block from the primary's journal is a byte-identical copy, and a bad block is
 * refused whole.
 */
class JournalReplicatorTest
{
    private static final long FILE_LENGTH = 16 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Replica");

    @TempDir
    Path tmp;

    private static Journal openPrimary(final Path dir)
    {
        return Journal.open(new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).mirrorName("M")
            .syncPolicy(SyncPolicy.NONE));
    }

    private static Journal openReplica(final Path dir, final Journal primary, final long startLsn)
    {
        return Journal.open(new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).mirrorName("M")
            .journalId(primary.journalId()).startLsn(startLsn).syncPolicy(SyncPolicy.NONE));
    }

    private static void fill(final Journal journal, final int records, final long seed)
    {
        final JournalAppender appender = journal.newAppender();
        final SubscriptKey key = new SubscriptKey();
        final Random random = new Random(seed);
        for (int i = 0; i < records; i++)
        {
            final byte[] value = new byte[random.nextInt(300)];
            random.nextBytes(value);
            appender.set(i, GLOBAL, key.clear().add(i).add("v"), value);
        }
    }

    /** Copies each block the way a receiver holds it: in its own buffer, not the primary's mapping. */
    private static List<Object[]> blocks(final Journal primary, final long from, final int maxBytes)
    {
        final List<Object[]> blocks = new ArrayList<>();
        try (JournalReader reader = primary.reader(from))
        {
            while (reader.pollBlock((block, lsn, length) ->
            {
                final ByteBuffer copy = ByteBuffer.allocateDirect(length);
                copy.put(block).flip();
                blocks.add(new Object[] {copy, lsn});
            }, maxBytes) > 0)
            {
                // drain
            }
        }
        return blocks;
    }

    @Test
    void replicaFilesAreByteIdenticalToThePrimarys() throws IOException
    {
        final Path primaryDir = tmp.resolve("primary");
        final Path replicaDir = tmp.resolve("replica");
        try (Journal primary = openPrimary(primaryDir); Journal replica = openReplica(replicaDir, primary, 0))
        {
            fill(primary, 400, 1);
            final JournalReplicator replicator = replica.newReplicator();
            for (final Object[] block : blocks(primary, 0, 5000))
            {
                replicator.append((ByteBuffer)block[0], (Long)block[1]);
            }
            assertEquals(primary.tailLsn(), replicator.endLsn());
            assertEquals(primary.tailLsn(), replica.completeLsn());
            assertTrue(primary.fileCount() > 3);
        }
        try (var files = Files.list(primaryDir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final Path copy = replicaDir.resolve(file.getFileName());
                if (file.getFileName().toString().endsWith(".jrn") && Files.exists(copy))
                {
                    assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(copy),
                        "file differs: " + file.getFileName());
                }
            }
        }
        try (Journal replica = Journal.openReadOnly(replicaDir); Journal primary = Journal.openReadOnly(primaryDir))
        {
            assertEquals(primary.tailLsn(), replica.recoveredLsn(), "the replica reopens at the same end");
        }
    }

    @Test
    void aMemberCanStartAtAFileBoundaryOfThePrimary()
    {
        try (Journal primary = openPrimary(tmp.resolve("p")))
        {
            fill(primary, 300, 2);
            final long capacity = primary.fileCapacity();
            try (Journal replica = openReplica(tmp.resolve("r"), primary, 2 * capacity))
            {
                assertEquals(2 * capacity, replica.startLsn());
                final JournalReplicator replicator = replica.newReplicator();
                for (final Object[] block : blocks(primary, 2 * capacity, 1 << 20))
                {
                    replicator.append((ByteBuffer)block[0], (Long)block[1]);
                }
                final int[] count = new int[1];
                try (JournalReader reader = replica.reader(2 * capacity))
                {
                    while (reader.poll((record) -> count[0]++, 1000) > 0)
                    {
                        // drain
                    }
                }
                assertTrue(count[0] > 0);
                assertEquals(primary.tailLsn(), replica.tailLsn());
            }
        }
    }

    @Test
    void aGapOrOverlapIsRefused()
    {
        try (Journal primary = openPrimary(tmp.resolve("p")); Journal replica = openReplica(tmp.resolve("r"),
            primary, 0))
        {
            fill(primary, 50, 3);
            final List<Object[]> blocks = blocks(primary, 0, 1000);
            final JournalReplicator replicator = replica.newReplicator();
            final JournalException gap = assertThrows(JournalException.class,
                () -> replicator.append((ByteBuffer)blocks.get(1)[0], (Long)blocks.get(1)[1]));
            assertEquals(JournalException.Code.LSN_OUT_OF_RANGE, gap.code());
            replicator.append((ByteBuffer)blocks.get(0)[0], (Long)blocks.get(0)[1]);
            final JournalException overlap = assertThrows(JournalException.class,
                () -> replicator.append((ByteBuffer)blocks.get(0)[0], (Long)blocks.get(0)[1]));
            assertEquals(JournalException.Code.LSN_OUT_OF_RANGE, overlap.code());
        }
    }

    @Test
    void aBlockWithOneBadByteIsRefusedWhole()
    {
        try (Journal primary = openPrimary(tmp.resolve("p")); Journal replica = openReplica(tmp.resolve("r"),
            primary, 0))
        {
            fill(primary, 40, 4);
            final Object[] block = blocks(primary, 0, 1 << 20).get(0);
            final ByteBuffer bytes = (ByteBuffer)block[0];
            final Random random = new Random(5);
            final JournalReplicator replicator = replica.newReplicator();
            for (int trial = 0; trial < 50; trial++)
            {
                final int index = random.nextInt(bytes.limit());
                final byte original = bytes.get(index);
                bytes.put(index, (byte)(original ^ (1 << random.nextInt(8))));
                final JournalException ex = assertThrows(JournalException.class,
                    () -> replicator.append(bytes, 0), "flip at block offset " + index);
                assertEquals(JournalException.Code.CORRUPT_FRAME, ex.code());
                assertTrue(ex.getMessage().contains("lsn="), ex.getMessage());
                assertEquals(0, replica.tailLsn(), "nothing of a bad block is written");
                assertEquals(0, replica.completeLsn());
                bytes.put(index, original);
            }
            replicator.append(bytes, 0);
            assertEquals(bytes.limit(), replica.tailLsn());
        }
    }

    @Test
    void localAppendsToAReplicaAreRefused()
    {
        try (Journal primary = openPrimary(tmp.resolve("p")); Journal replica = openReplica(tmp.resolve("r"),
            primary, 0))
        {
            replica.newReplicator();
            final JournalException ex = assertThrows(JournalException.class,
                () -> replica.newAppender().tstart(1));
            assertTrue(ex.getMessage().contains("replica"), ex.getMessage());
        }
    }
}
