package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A crash leaves a journal file cut anywhere inside its last frames: the bytes after the cut are zeros (never
 * written) or garbage (partly written pages). Reopening keeps every record before the torn one and nothing after.
 */
class JournalRecoveryTest
{
    private static final long FILE_LENGTH = 16 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Recover");

    @TempDir
    Path tmp;

    private static Journal open(final Path dir)
    {
        return Journal.open(new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).syncPolicy(SyncPolicy.NONE));
    }

    /** Writes records of varied sizes across two files; returns their LSNs and the end. */
    private static List<Long> writeJournal(final Path dir)
    {
        final List<Long> lsns = new ArrayList<>();
        try (Journal journal = open(dir))
        {
            final SubscriptKey key = new SubscriptKey();
            final Random random = new Random(42);
            for (int i = 0; journal.tailLsn() < FILE_LENGTH + 2048; i++)
            {
                final byte[] value = new byte[random.nextInt(200)];
                random.nextBytes(value);
                lsns.add(journal.appender().set(i, GLOBAL, key.clear().add(i).add("name"), value));
            }
            lsns.add(journal.tailLsn());
        }
        return lsns;
    }

    private static List<Long> readLsns(final Journal journal)
    {
        final List<Long> lsns = new ArrayList<>();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) -> lsns.add(record.lsn()), 100) > 0)
            {
                // drain
            }
        }
        return lsns;
    }

    private static void copyDir(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    private static void deleteDir(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.delete(file);
            }
        }
        Files.delete(dir);
    }

    @Test
    void cutAtEveryByteOfTheLastFramesKeepsExactlyTheRecordsBeforeTheTear() throws IOException
    {
        final Path original = tmp.resolve("original");
        final List<Long> lsns = writeJournal(original);
        final long end = lsns.remove(lsns.size() - 1);
        final long capacity = FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH;
        final Path lastFile = original.resolve(JournalFileDescriptor.fileName(capacity));
        assertTrue(Files.exists(lastFile));

        final long cutFrom = lsns.get(lsns.size() - 3);
        final Random garbage = new Random(7);
        int cases = 0;
        for (long cut = cutFrom; cut < end; cut++)
        {
            for (final boolean zeros : new boolean[] {true, false})
            {
                final Path dir = tmp.resolve("cut-" + cut + (zeros ? "-z" : "-g"));
                copyDir(original, dir);
                final long fileOffset = cut - capacity + JournalFileDescriptor.HEADER_LENGTH;
                tear(dir.resolve(lastFile.getFileName()), fileOffset, end - cut, zeros, garbage);

                final List<Long> expected = new ArrayList<>();
                long expectedEnd = capacity;
                for (int i = 0; i < lsns.size(); i++)
                {
                    final long lsn = lsns.get(i);
                    final long frameEnd = i + 1 < lsns.size() ? lsns.get(i + 1) : end;
                    final boolean intact = lsn < cut && (zeros ? cut >= unalignedEnd(original, lsn) : cut >= frameEnd);
                    if (intact)
                    {
                        expected.add(lsn);
                        expectedEnd = frameEnd;
                    }
                    else
                    {
                        break;
                    }
                }

                try (Journal journal = open(dir))
                {
                    assertEquals(expectedEnd, journal.recoveredLsn(), "end after cut at lsn " + cut);
                    assertEquals(expected, readLsns(journal), "records after cut at lsn " + cut);

                    final long appended = journal.appender().set(-1, GLOBAL, new SubscriptKey().add("after"),
                        "fresh".getBytes(StandardCharsets.UTF_8));
                    assertEquals(expectedEnd, appended, "appends resume at the recovered end");
                    final List<Long> after = readLsns(journal);
                    assertEquals(expected.size() + 1, after.size(), "nothing after the tear is kept");
                }
                try (Journal journal = open(dir))
                {
                    assertEquals(expected.size() + 1, readLsns(journal).size(), "stable across a second reopen");
                }
                deleteDir(dir);
                cases++;
            }
        }
        assertTrue(cases > 200, "cases=" + cases);
    }

    /** End of the frame's meaningful bytes: zeroing beyond it only touches padding, which is zero anyway. */
    private static long unalignedEnd(final Path dir, final long lsn) throws IOException
    {
        try (Journal journal = Journal.openReadOnly(dir); JournalReader reader = journal.reader(lsn))
        {
            final long[] end = new long[1];
            reader.poll((record) -> end[0] = record.lsn() + record.frameLength(), 1);
            return end[0];
        }
    }

    private static void tear(
        final Path file, final long offset, final long length, final boolean zeros, final Random random)
        throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            final byte[] bytes = new byte[(int)length];
            if (!zeros)
            {
                random.nextBytes(bytes);
            }
            raf.seek(offset);
            raf.write(bytes);
        }
    }

    @Test
    void aHoleLeftByAnUnfinishedAppendEndsTheJournalAndLaterRecordsAreDropped() throws IOException
    {
        final Path dir = tmp.resolve("hole");
        final long holeLsn;
        final long laterLsn;
        try (Journal journal = open(dir))
        {
            final SubscriptKey key = new SubscriptKey();
            journal.appender().set(1, GLOBAL, key.clear().add(1), new byte[10]);
            holeLsn = journal.appender().set(2, GLOBAL, key.clear().add(2), new byte[10]);
            laterLsn = journal.appender().set(3, GLOBAL, key.clear().add(3), new byte[10]);
        }
        // An appender that claimed holeLsn but crashed before publishing its length.
        final long capacity = FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH;
        try (RandomAccessFile raf = new RandomAccessFile(
            dir.resolve(JournalFileDescriptor.fileName(0)).toFile(), "rw"))
        {
            raf.seek(JournalFileDescriptor.HEADER_LENGTH + holeLsn);
            raf.write(new byte[4]);
        }
        try (Journal journal = open(dir))
        {
            assertEquals(holeLsn, journal.recoveredLsn());
            assertEquals(List.of(0L), readLsns(journal));
            assertTrue(laterLsn < capacity);
            final UnsafeBuffer check = new UnsafeBuffer(
                Files.readAllBytes(dir.resolve(JournalFileDescriptor.fileName(0))));
            for (int i = (int)(JournalFileDescriptor.HEADER_LENGTH + holeLsn); i < check.capacity(); i++)
            {
                assertEquals(0, check.getByte(i), "byte after the hole must be zeroed: offset=" + i);
            }
        }
    }

    @Test
    void aDamagedHeaderIsReportedWithItsFile() throws IOException
    {
        final Path dir = tmp.resolve("header");
        writeJournal(dir);
        final Path first = dir.resolve(JournalFileDescriptor.fileName(0));
        try (RandomAccessFile raf = new RandomAccessFile(first.toFile(), "rw"))
        {
            raf.seek(JournalFileDescriptor.MIRROR_NAME_OFFSET);
            raf.write('X');
        }
        final JournalException ex = assertThrows(JournalException.class, () -> open(dir));
        assertEquals(JournalException.Code.CORRUPT_HEADER, ex.code());
        assertTrue(ex.getMessage().contains(first.toString()), ex.getMessage());
    }

    @Test
    void aMissingMiddleFileIsReported() throws IOException
    {
        final Path dir = tmp.resolve("gap");
        try (Journal journal = open(dir))
        {
            final SubscriptKey key = new SubscriptKey();
            while (journal.fileCount() < 3)
            {
                journal.appender().set(0, GLOBAL, key.clear().add(1), new byte[500]);
            }
        }
        final long capacity = FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH;
        Files.delete(dir.resolve(JournalFileDescriptor.fileName(capacity)));
        final JournalException ex = assertThrows(JournalException.class, () -> open(dir));
        assertEquals(JournalException.Code.INVALID_LAYOUT, ex.code());
        assertTrue(ex.getMessage().contains("missingBaseLsn=" + capacity), ex.getMessage());
    }
}
