package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Purged files come back as later journal files. Whatever a reused file held before must never be read as a record:
 * not by a reader, not by the recovery scan, not by a member's replicator.
 */
class JournalReuseTest
{
    private static final long FILE_LENGTH = 8 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Reuse");

    @TempDir
    Path tmp;

    private static JournalContext context(final Path dir)
    {
        return new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).syncPolicy(SyncPolicy.NONE)
            .retainMinFiles(1).retainMs(0).recycleFiles(2);
    }

    /** A value that names its sequence number and is filled from it, so a stale or shifted value shows. */
    static byte[] value(final long seq, final int length)
    {
        final byte[] value = new byte[Math.max(8, length)];
        final ByteBuffer view = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        view.putLong(0, seq);
        for (int i = 8; i < value.length; i++)
        {
            value[i] = (byte)(seq * 31 + i);
        }
        return value;
    }

    /** Checks each record read is the next sequence number, whole; returns the last one seen. */
    private static final class SequenceCheck implements RecordHandler
    {
        long next = -1;
        long count;

        @Override
        public void onRecord(final JournalRecord record)
        {
            assertEquals(RecordType.SET, record.type(), record.toString());
            final byte[] value = record.value();
            final long seq = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (next >= 0)
            {
                assertEquals(next, seq, "records out of sequence at lsn=" + record.lsn());
            }
            assertArrayEquals(value(seq, value.length), value, "value of seq=" + seq);
            next = seq + 1;
            count++;
        }
    }

    @Test
    void purgedFilesComeBackAndNoReaderEverSeesAStaleFrame()
    {
        final Path dir = tmp.resolve("j");
        final Random random = new Random(7);
        final SequenceCheck tailing = new SequenceCheck();
        try (Journal journal = Journal.open(context(dir)))
        {
            final JournalAppender appender = journal.newAppender();
            final SubscriptKey key = new SubscriptKey();
            try (JournalReader reader = journal.reader(0))
            {
                for (long seq = 1; journal.tailLsn() < 60 * FILE_LENGTH; seq++)
                {
                    appender.set(0, GLOBAL, key.clear().add(seq), value(seq, random.nextInt(900)));
                    if (random.nextInt(8) == 0)
                    {
                        while (reader.poll(tailing, 64) > 0)
                        {
                        }
                        journal.purge();
                    }
                }
                while (reader.poll(tailing, 64) > 0)
                {
                }
            }
            assertTrue(journal.recycledFileCount() >= 40, "recycled=" + journal.recycledFileCount());
            assertTrue(journal.freeFileCount() <= 2, "free=" + journal.freeFileCount());
        }
        assertTrue(tailing.count > 100);

        try (Journal journal = Journal.open(context(dir)))
        {
            final SequenceCheck reopened = new SequenceCheck();
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                while (reader.poll(reopened, 64) > 0)
                {
                }
            }
            assertEquals(tailing.next, reopened.next, "the reopened journal ends where the tailer did");
        }
    }

    @Test
    void recoveryNeverTakesAStaleFrameOfAReusedFileForARecord() throws Exception
    {
        final Path dir = tmp.resolve("j");
        final SubscriptKey key = new SubscriptKey();
        final byte[] before;
        final long reusedBase;
        final long end;
        final SequenceCheck written = new SequenceCheck();
        try (Journal journal = Journal.open(context(dir).recycleFiles(1)))
        {
            final JournalAppender appender = journal.newAppender();
            long seq = 1;
            while (journal.tailLsn() < 3 * FILE_LENGTH)
            {
                appender.set(0, GLOBAL, key.clear().add(seq), value(seq++, 100));
            }
            // the oldest file goes to the free pool full of frames; remember what it held
            final Path oldest = dir.resolve(JournalFileDescriptor.fileName(0));
            before = Files.readAllBytes(oldest);
            assertTrue(journal.purge() >= 1);
            final long capacity = journal.fileCapacity();
            // The next file was prepared before the purge; the one after it is made from the purged file 0.
            final long reusedIndex = journal.tailLsn() / capacity + 2;
            while (journal.tailLsn() < reusedIndex * capacity + 1000)
            {
                appender.set(0, GLOBAL, key.clear().add(seq), value(seq++, 100));
            }
            assertEquals(1, journal.recycledFileCount());
            end = journal.tailLsn();
            reusedBase = reusedIndex * capacity;
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                while (reader.poll(written, 64) > 0)
                {
                }
            }
        }
        // a crash that lost the zeroing: beyond the end, the reused file holds what it held before
        final Path reused = dir.resolve(JournalFileDescriptor.fileName(reusedBase));
        final int endOffset = (int)(JournalFileDescriptor.HEADER_LENGTH + end - reusedBase);
        try (RandomAccessFile raf = new RandomAccessFile(reused.toFile(), "rw"))
        {
            raf.seek(endOffset);
            raf.write(before, endOffset, before.length - endOffset);
        }

        try (Journal journal = Journal.open(context(dir)))
        {
            assertEquals(end, journal.recoveredLsn());
            final SequenceCheck recovered = new SequenceCheck();
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                while (reader.poll(recovered, 64) > 0)
                {
                }
            }
            assertEquals(written.next, recovered.next);
        }
        final byte[] after = Files.readAllBytes(reused);
        for (int i = endOffset; i < after.length; i++)
        {
            assertEquals(0, after[i], "stale byte left after recovery at fileOffset=" + i);
        }
    }

    @Test
    void aMemberJournalReusesItsFilesAndStaysByteIdentical() throws Exception
    {
        final Path primaryDir = tmp.resolve("primary");
        final Path memberDir = tmp.resolve("member");
        final Random random = new Random(11);
        try (Journal primary = Journal.open(context(primaryDir));
            Journal member = Journal.open(context(memberDir).journalId(primary.journalId())))
        {
            final JournalReplicator replicator = member.newReplicator();
            final JournalAppender appender = primary.newAppender();
            final SubscriptKey key = new SubscriptKey();
            try (JournalReader shipping = primary.reader(0); JournalReader applying = member.reader(0))
            {
                final SequenceCheck applied = new SequenceCheck();
                for (long seq = 1; primary.tailLsn() < 40 * FILE_LENGTH; seq++)
                {
                    appender.set(0, GLOBAL, key.clear().add(seq), value(seq, random.nextInt(600)));
                    if (random.nextInt(6) == 0)
                    {
                        while (shipping.pollBlock((block, lsn, length) -> replicator.append(block, lsn), 3000) > 0)
                        {
                        }
                        while (applying.poll(applied, 64) > 0)
                        {
                        }
                        primary.purge();
                        member.purge();
                    }
                }
                while (shipping.pollBlock((block, lsn, length) -> replicator.append(block, lsn), 3000) > 0)
                {
                }
                assertTrue(applied.count > 100);
            }
            assertTrue(member.recycledFileCount() >= 20, "member recycled=" + member.recycledFileCount());
        }
        try (Stream<Path> files = Files.list(memberDir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final String name = file.getFileName().toString();
                if (name.startsWith("journal-") && Files.exists(primaryDir.resolve(name)))
                {
                    assertArrayEquals(Files.readAllBytes(primaryDir.resolve(name)), Files.readAllBytes(file), name);
                }
            }
        }
    }

    @Test
    void aKilledWriterLeavesEveryDurableRecordAndNothingStale() throws Exception
    {
        final Path dir = tmp.resolve("j");
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            ReuseCrashWriter.class.getName(), dir.toString(), "3"));
        final Process writer = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long lastDurable = 0;
        long recycled = 0;
        try (BufferedReader out = new BufferedReader(
            new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8)))
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            String line;
            while (recycled < 30 && System.nanoTime() < deadline && null != (line = out.readLine()))
            {
                final String[] parts = line.split(" ");
                lastDurable = Long.parseLong(parts[1]);
                recycled = Long.parseLong(parts[3]);
            }
        }
        finally
        {
            writer.destroyForcibly();
            assertTrue(writer.waitFor(20, TimeUnit.SECONDS), "writer did not die");
        }
        assertTrue(recycled >= 30, "the writer reused too few files before the kill: recycled=" + recycled);

        try (Journal journal = Journal.open(ReuseCrashWriter.context(dir)))
        {
            final SequenceCheck check = new SequenceCheck();
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                while (reader.poll(check, 256) > 0)
                {
                }
            }
            assertTrue(check.count > 0);
            assertTrue(check.next > lastDurable, "durable seq=" + lastDurable + " missing; last read=" +
                (check.next - 1));
        }
    }
}
