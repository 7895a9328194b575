package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A former primary rejoining finds where its journal parts from the new primary's, keeps the bytes beyond in a file,
 * cuts its journal there, and then receives the new primary's journal byte for byte.
 */
class JournalTruncationTest
{
    private static final long FILE_LENGTH = 8 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Rejoin");

    @TempDir
    Path tmp;

    private static JournalContext context(final Path dir)
    {
        return new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).syncPolicy(SyncPolicy.NONE)
            .mirrorName("CLINIC");
    }

    private static void append(final Journal journal, final int count, final int seed)
    {
        final JournalAppender appender = journal.newAppender();
        for (int i = 0; i < count; i++)
        {
            appender.set(0, GLOBAL, SubscriptKey.of(seed, i), new byte[20 + (i * 7) % 90]);
        }
    }

    private static void ship(final Journal from, final JournalReplicator to, final long untilLsn)
    {
        try (JournalReader reader = from.reader(to.endLsn()))
        {
            while (reader.position() < untilLsn && reader.pollBlock((block, lsn, length) ->
            {
                final java.nio.ByteBuffer part = block.duplicate();
                part.limit(part.position() + (int)Math.min(length, untilLsn - lsn));
                to.append(part, lsn);
            }, 1024) > 0)
            {
            }
        }
    }

    private static byte[] bytes(final Journal journal, final long from, final long to)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JournalReader reader = journal.reader(from))
        {
            while (reader.position() < to && reader.pollBlock((block, lsn, length) ->
            {
                final byte[] chunk = new byte[length];
                block.duplicate().get(chunk);
                out.write(chunk, 0, chunk.length);
            }, 4096) > 0)
            {
            }
        }
        return out.toByteArray();
    }

    @Test
    void anOldPrimaryKeepsItsDivergentBytesCutsAndFollowsTheNewPrimary() throws Exception
    {
        final Path oldDir = tmp.resolve("old-primary");
        final Path newDir = tmp.resolve("new-primary");
        final long divergence;
        final byte[] divergent;
        final long oldEnd;
        try (Journal old = Journal.open(context(oldDir));
            Journal backup = Journal.open(context(newDir).journalId(old.journalId())))
        {
            old.startEpoch(1, "node-a");
            append(old, 150, 1);
            final JournalReplicator replicator = backup.newReplicator();
            ship(old, replicator, old.tailLsn());
            final long shipped = old.tailLsn();
            append(old, 60, 2);                     // acknowledged by nobody: the backup never got them
            oldEnd = old.tailLsn();
            divergent = bytes(old, shipped, oldEnd);

            // the backup takes over: its journal becomes writable in epoch 2 at the end of what it received
            backup.close();
            try (Journal promoted = Journal.open(context(newDir)))
            {
                divergence = promoted.startEpoch(2, "node-b");
                assertEquals(shipped, divergence);
                append(promoted, 40, 3);
                assertEquals(divergence, Divergence.lsn(old.epochHistory(), old.tailLsn(),
                    promoted.epochHistory()));
            }
        }

        final Path kept = JournalTruncation.truncate(oldDir, divergence);
        assertEquals("divergent-" + divergence + "-" + oldEnd + ".bin", kept.getFileName().toString());
        assertArrayEquals(divergent, Files.readAllBytes(kept), "the removed bytes are kept whole");

        try (Journal rejoined = Journal.open(context(oldDir));
            Journal primary = Journal.open(context(newDir)))
        {
            assertEquals(divergence, rejoined.tailLsn());
            assertNull(rejoined.recoveryDamage());
            assertEquals(List.of(new EpochStart(1, 0, "node-a")), rejoined.epochHistory());
            final JournalReplicator replicator = rejoined.newReplicator();
            ship(primary, replicator, primary.tailLsn());
            assertEquals(primary.epochHistory(), rejoined.epochHistory());
            assertArrayEquals(bytes(primary, 0, primary.tailLsn()), bytes(rejoined, 0, rejoined.tailLsn()));
        }
        for (long base = 0; base < oldEnd; base += FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH)
        {
            final String name = JournalFileDescriptor.fileName(base);
            if (Files.exists(newDir.resolve(name)))
            {
                assertArrayEquals(Files.readAllBytes(newDir.resolve(name)), Files.readAllBytes(oldDir.resolve(name)),
                    name);
            }
        }
    }

    @Test
    void onlyAFrameStartCanBeACutAndTheEndCutsNothing()
    {
        final Path dir = tmp.resolve("j");
        final long second;
        final long end;
        try (Journal journal = Journal.open(context(dir)))
        {
            journal.newAppender().set(0, GLOBAL, SubscriptKey.of(1), new byte[30]);
            second = journal.newAppender().set(0, GLOBAL, SubscriptKey.of(2), new byte[30]);
            end = journal.tailLsn();
        }
        final JournalException ex = assertThrows(JournalException.class,
            () -> JournalTruncation.truncate(dir, second + 8));
        assertEquals(JournalException.Code.LSN_OUT_OF_RANGE, ex.code());
        assertTrue(ex.getMessage().contains("not the start of a frame"), ex.getMessage());
        assertNull(JournalTruncation.truncate(dir, end));
        try (Journal journal = Journal.open(context(dir)))
        {
            assertEquals(end, journal.tailLsn(), "a refused cut changed nothing");
        }
    }

    @Test
    void cuttingAnEpochThatStartsAFileLeavesThePreviousEpochInForce() throws Exception
    {
        final Path dir = tmp.resolve("j");
        final long capacity = FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH;
        final long start;
        try (Journal journal = Journal.open(context(dir)))
        {
            journal.startEpoch(1, "a");
            final SubscriptKey key = SubscriptKey.of(1);
            while (capacity - journal.tailLsn() > 200)
            {
                journal.newAppender().set(0, GLOBAL, key, new byte[40]);
            }
            final int valueLength = (int)(capacity - journal.tailLsn() - RecordDescriptor.HEADER_LENGTH -
                GLOBAL.names().length - key.length());
            journal.newAppender().set(0, GLOBAL, key, new byte[valueLength]);
            start = journal.startEpoch(2, "b");
            assertEquals(capacity, start);
            append(journal, 10, 9);
        }
        JournalTruncation.truncate(dir, start);
        try (Journal journal = Journal.open(context(dir)))
        {
            assertEquals(start, journal.tailLsn());
            assertEquals(1, journal.epoch());
            journal.newAppender().set(0, GLOBAL, SubscriptKey.of(5), new byte[8]);
        }
        assertEquals(1, JournalEpochTest.headerEpoch(dir.resolve(JournalFileDescriptor.fileName(capacity))));
        try (Journal journal = Journal.open(context(dir)))
        {
            assertEquals(1, journal.epoch(), "reopens cleanly with the restamped header");
        }
    }

    @Test
    void aCutInterruptedByACrashIsFinishedByRunningItAgainAndTheKeptBytesSurvive() throws Exception
    {
        final Path dir = tmp.resolve("j");
        final long capacity = FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH;
        final long cutAt;
        final long end;
        final byte[] divergent;
        try (Journal journal = Journal.open(context(dir)))
        {
            journal.startEpoch(1, "a");
            append(journal, 40, 1);
            cutAt = journal.tailLsn();
            append(journal, 200, 2);                 // reaches into later files
            end = journal.tailLsn();
            divergent = bytes(journal, cutAt, end);
        }
        assertTrue(end / capacity > cutAt / capacity + 1, "the divergent bytes span files: " + cutAt + ".." + end);
        final Path before = tmp.resolve("before");
        Files.createDirectories(before);
        try (java.util.stream.Stream<Path> files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, before.resolve(file.getFileName()));
            }
        }
        final Path kept = JournalTruncation.truncate(dir, cutAt);
        // what a crash during the cut leaves behind: the kept file whole, the first divergent frame zeroed (the cut
        // had begun), the rest of that file and the later files still there
        final String oldestLater = JournalFileDescriptor.fileName((cutAt / capacity + 1) * capacity);
        assertFalse(Files.exists(dir.resolve(oldestLater)), "the finished cut removed the later files");
        asACrashDuringTheCutLeavesIt(before, dir, cutAt, capacity);
        final Path aside = tmp.resolve("kept-aside.bin");
        Files.move(kept, aside);
        final JournalException shortCopy = assertThrows(JournalException.class,
            () -> JournalTruncation.truncate(dir, cutAt), "without the kept file the bytes cannot be kept whole");
        assertTrue(shortCopy.getMessage().contains("cannot keep the divergent bytes whole"), shortCopy.getMessage());
        assertFalse(Files.exists(kept), "no short copy is written");
        Files.move(aside, kept);

        assertEquals(kept, JournalTruncation.truncate(dir, cutAt), "running it again finishes the cut");
        assertArrayEquals(divergent, Files.readAllBytes(kept), "the kept bytes are whole after the repeat");
        try (Journal journal = Journal.open(context(dir)))
        {
            assertEquals(cutAt, journal.tailLsn(), "nothing of the divergent records is left in the journal");
            assertFalse(Files.exists(dir.resolve(oldestLater)));
            journal.newAppender().set(0, GLOBAL, SubscriptKey.of(7), new byte[8]);
        }
    }

    /**
     * Puts back the journal files as they were before the cut ({@code before}), with the first divergent frame's
     * first word zeroed: what a crash leaves once the cut had begun zeroing and before it removed the later files.
     */
    private static void asACrashDuringTheCutLeavesIt(final Path before, final Path dir, final long cutAt,
        final long capacity) throws Exception
    {
        try (java.util.stream.Stream<Path> files = Files.list(before))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, dir.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        final Path file = dir.resolve(JournalFileDescriptor.fileName(cutAt - cutAt % capacity));
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
            java.nio.file.StandardOpenOption.WRITE))
        {
            channel.write(java.nio.ByteBuffer.allocate(8), JournalFileDescriptor.HEADER_LENGTH + cutAt % capacity);
        }
    }

    @Test
    void divergenceFromEpochHistories()
    {
        final List<EpochStart> primary = List.of(new EpochStart(1, 0, "a"), new EpochStart(2, 1000, "a"),
            new EpochStart(3, 5000, "b"));
        final List<EpochStart> oldPrimary = List.of(new EpochStart(1, 0, "a"), new EpochStart(2, 1000, "a"));
        assertEquals(5000, Divergence.lsn(oldPrimary, 7000, primary));
        assertEquals(Divergence.NONE, Divergence.lsn(oldPrimary, 5000, primary), "only behind");
        assertEquals(Divergence.NONE, Divergence.lsn(oldPrimary, 4000, primary), "only behind");
        assertEquals(Divergence.NONE, Divergence.lsn(primary, 9000, primary));

        final List<EpochStart> shortReign = List.of(new EpochStart(1, 0, "a"), new EpochStart(3, 5000, "c"));
        final List<EpochStart> other = List.of(new EpochStart(1, 0, "a"), new EpochStart(4, 4800, "b"));
        assertEquals(4800, Divergence.lsn(shortReign, 6000, other), "an epoch the primary never had");

        final List<EpochStart> purged = List.of(new EpochStart(2, EpochStart.PURGED, null),
            new EpochStart(3, 5000, "b"));
        assertEquals(5000, Divergence.lsn(oldPrimary, 7000, purged));
    }
}
