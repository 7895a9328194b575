package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalFileDescriptor;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordDescriptor;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The dispatcher's routing: each worker gets exactly the records whose (database, global) hash to it, in journal
 * order, whatever the lengths of the names; the hash reads only the names; the remainder is exact; and the CRC check
 * of the dejournal path can be switched off.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DispatcherTest
{
    /** Lengths around the 8-byte words the hash and the database check read. */
    private static final String[] DATABASES = {"U", "USER", "SEVENCH", "EIGHTCHR", "NINECHARS", "A-LONGER-DATABASE-1"};

    @TempDir
    Path dir;
    private Journal journal;

    @AfterEach
    void close()
    {
        if (null != journal)
        {
            journal.close();
        }
    }

    private Journal openJournal()
    {
        journal = Journal.open(new JournalContext().journalDir(dir).fileLength(1024 * 1024)
            .syncPolicy(SyncPolicy.NONE));
        return journal;
    }

    /**
     * One applied record as a worker saw it.
     */
    private record Seen(int worker, String database, String global, long lsn)
    {
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 16})
    void eachWorkerAppliesExactlyTheGlobalsHashedToItInJournalOrder(final int workers)
    {
        final long seed = new Random().nextInt(1 << 20);
        final Random random = new Random(seed);
        openJournal();
        final JournalAppender appender = journal.newAppender();
        final List<GlobalName> globals = new ArrayList<>();
        for (int g = 0; g < 60; g++)
        {
            final String global = "G" + "abcdefghijklmnop".substring(0, g % 17) + g;
            globals.add(GlobalName.of(DATABASES[g % DATABASES.length], global));
        }
        final SubscriptKey key = new SubscriptKey();
        for (int i = 0; i < 20_000; i++)
        {
            final GlobalName global = globals.get(random.nextInt(globals.size()));
            key.clear().add(random.nextInt(100));
            appender.set(i, global, key, new byte[random.nextInt(3)]);
        }

        final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
        final Target target = new ApplyOnlyTarget()
        {
            @Override
            public void apply(final JournalRecord record, final int worker)
            {
                seen.add(new Seen(worker, record.database(), record.global(), record.lsn()));
            }
        };
        try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(target)
            .workers(workers).ringSize(256).dispatchBatch(32)))
        {
            assertTrue(dejournaler.awaitApplied(journal.completeLsn(), TimeUnit.SECONDS.toNanos(30)),
                () -> "not applied: " + dejournaler.status());
        }

        assertEquals(20_000, seen.size(), "seed=" + seed);
        final long[] lastLsn = new long[workers];
        Arrays.fill(lastLsn, -1);
        for (final Seen record : seen)
        {
            assertEquals(WorkerRouter.workerFor(record.database(), record.global(), workers), record.worker(),
                () -> "wrong worker for " + record + ", seed=" + seed);
        }
        // Per worker, the queue holds each worker's records in the order it applied them.
        for (final Seen record : seen)
        {
            assertTrue(record.lsn() > lastLsn[record.worker()],
                () -> "out of journal order: " + record + ", seed=" + seed);
            lastLsn[record.worker()] = record.lsn();
        }
    }

    @Test
    void theHashReadsOnlyTheNames()
    {
        final Random random = new Random(7);
        for (int length = 1; length <= 40; length++)
        {
            final byte[] names = new byte[length + 16];
            random.nextBytes(names);
            final UnsafeBuffer buffer = new UnsafeBuffer(names);
            final long hash = WorkerRouter.namesHash(buffer, 0, length);
            for (int i = length; i < names.length; i++)
            {
                names[i] ^= (byte)0x5A;
            }
            assertEquals(hash, WorkerRouter.namesHash(buffer, 0, length), "length=" + length);
            names[length - 1] ^= 1;
            assertNotEquals(hash, WorkerRouter.namesHash(buffer, 0, length), "length=" + length);
        }
        final byte[] text = "USERG001".getBytes(StandardCharsets.US_ASCII);
        final int worker = WorkerRouter.workerFor("USER", "G001", 5);
        assertEquals(worker, WorkerRouter.mod(WorkerRouter.namesHash(new UnsafeBuffer(text), 0, 8),
            WorkerRouter.modMultiplier(5), 5));
    }

    @Test
    void theRemainderIsExact()
    {
        final Random random = new Random(11);
        final long[] edges = {0, 1, 2, 15, 16, 17, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFEL, 0xFFFF_FFFFL};
        for (int divisor = 1; divisor <= DejournalContext.MAX_WORKERS; divisor++)
        {
            final long multiplier = WorkerRouter.modMultiplier(divisor);
            for (final long high : edges)
            {
                assertEquals(high % divisor, WorkerRouter.mod(high << 32 | 0xABCDL, multiplier, divisor),
                    "high=" + high + " divisor=" + divisor);
            }
            for (int i = 0; i < 100_000; i++)
            {
                final long hash = random.nextLong();
                assertEquals(Long.remainderUnsigned(hash >>> 32, divisor), WorkerRouter.mod(hash, multiplier, divisor),
                    "hash=" + hash + " divisor=" + divisor);
            }
        }
    }

    @Test
    void aDamagedFrameStopsDejournalingUnlessChecksumsAreOff() throws IOException
    {
        openJournal();
        final GlobalName global = GlobalName.of("USER", "Flip");
        final SubscriptKey key = new SubscriptKey();
        long damaged = 0;
        for (int i = 0; i < 100; i++)
        {
            final long lsn = journal.appender().set(i, global, key.clear().add(i), new byte[] {1, 2, 3, 4});
            if (i == 50)
            {
                damaged = lsn;
            }
        }
        final long end = journal.completeLsn();
        // Flip a bit of record 50's value in the file, under the mapping the journal reads through.
        try (RandomAccessFile file = new RandomAccessFile(
            dir.resolve(JournalFileDescriptor.fileName(0)).toFile(), "rw"))
        {
            final long position = JournalFileDescriptor.HEADER_LENGTH + damaged + RecordDescriptor.HEADER_LENGTH +
                "USER".length() + "Flip".length() + key.clear().add(50).length();
            file.seek(position);
            final int b = file.read();
            file.seek(position);
            file.write(b ^ 4);
        }

        final ReferenceTarget checked = new ReferenceTarget();
        final Dejournaler failed = Dejournaler.start(new DejournalContext().journal(journal).target(checked)
            .workers(2));
        try
        {
            // The records before the damaged one, even those of its batch, are applied; then dejournaling fails.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((!"FAILED".equals(failed.status().state()) || checked.applied.get() < 50) &&
                System.nanoTime() - deadline < 0)
            {
                Thread.onSpinWait();
            }
            final DejournalStatus status = failed.status();
            assertEquals("FAILED", status.state());
            assertTrue(status.failure().contains("bad CRC"), status.failure());
            assertTrue(status.appliedLsn() <= damaged, "nothing from the damaged record on is applied");

            // Stopped at the damage, not retrying it: the frame is counted (and logged) once, however long it waits.
            Thread.sleep(200);
            assertEquals(1, journal.corruptFrames(), "corrupt frames counted");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
        finally
        {
            failed.close();
        }
        assertEquals(50, checked.applied.get());
        assertEquals(damaged, failed.appliedLsn());

        final ReferenceTarget unchecked = new ReferenceTarget();
        try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(unchecked)
            .workers(2).verifyChecksums(false)))
        {
            assertTrue(dejournaler.awaitApplied(end, TimeUnit.SECONDS.toNanos(30)));
        }
        assertEquals(100, unchecked.applied.get());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void everyRecordIsReadFromItsOwnFileAcrossFileSwitchesAndRingWraps(final int workers)
    {
        // Small files and a small ring: the ring wraps hundreds of times and the journal switches files about 60
        // times, so a slot left pointing at an older file's buffer would hand a worker the wrong bytes.
        journal = Journal.open(new JournalContext().journalDir(dir).fileLength(64 * 1024).syncPolicy(SyncPolicy.NONE));
        final JournalAppender appender = journal.newAppender();
        final GlobalName[] globals = {GlobalName.of("USER", "A"), GlobalName.of("USER", "Bb"),
            GlobalName.of("CLINICAL", "Ccc"), GlobalName.of("AUDIT", "Dddd")};
        final Map<Long, Integer> indexAt = new HashMap<>();
        final SubscriptKey key = new SubscriptKey();
        final UnsafeBuffer value = new UnsafeBuffer(new byte[12]);
        final int records = 30_000;
        for (int i = 0; i < records; i++)
        {
            value.putInt(0, i);
            value.putLong(4, i * 31L);
            final long lsn = appender.set(0, globals[i % globals.length], key.clear().add(i), value.byteArray());
            indexAt.put(lsn, i);
        }

        final AtomicLong applied = new AtomicLong();
        final ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        final Target target = new ApplyOnlyTarget()
        {
            @Override
            public void apply(final JournalRecord record, final int worker)
            {
                final Integer expected = indexAt.get(record.lsn());
                final int index = record.buffer().getInt(record.valueOffset());
                if (null == expected || index != expected || record.valueLength() != 12 ||
                    record.buffer().getLong(record.valueOffset() + 4) != index * 31L)
                {
                    wrong.add("lsn=" + record.lsn() + " expected=" + expected + " read=" + index);
                }
                applied.incrementAndGet();
            }
        };
        try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(target)
            .workers(workers).ringSize(64).dispatchBatch(16)))
        {
            assertTrue(dejournaler.awaitApplied(journal.completeLsn(), TimeUnit.SECONDS.toNanos(30)),
                () -> "not applied: " + dejournaler.status());
        }
        assertEquals(List.of(), wrong.stream().limit(5).toList());
        assertEquals(records, applied.get());
    }

    @Test
    void msBehindCountsFromTheOldestRecordStillInFlight() throws InterruptedException
    {
        openJournal();
        final JournalAppender appender = journal.newAppender();
        final SubscriptKey key = new SubscriptKey();
        for (int i = 0; i < 100; i++)
        {
            appender.set(0, GlobalName.of("USER", "G" + (i % 7)), key.clear().add(i), new byte[] {1});
        }
        final long end = journal.completeLsn();
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch blocked = new CountDownLatch(1);
        final Target target = new ApplyOnlyTarget()
        {
            @Override
            public void apply(final JournalRecord record, final int worker)
            {
                blocked.countDown();
                try
                {
                    release.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(target)
            .workers(2)))
        {
            assertTrue(blocked.await(10, TimeUnit.SECONDS));
            Thread.sleep(300);
            final DejournalStatus stuck = dejournaler.status();
            assertTrue(stuck.recordsInFlight() > 0, stuck.toString());
            // The records were appended at least 300 ms ago and none is applied yet.
            assertTrue(stuck.msBehind() >= 250 && stuck.msBehind() < 60_000, stuck.toString());
            release.countDown();
            assertTrue(dejournaler.awaitApplied(end, TimeUnit.SECONDS.toNanos(30)));
            final DejournalStatus done = dejournaler.status();
            assertEquals(0, done.msBehind(), done.toString());
            assertEquals(0, done.recordsInFlight(), done.toString());
        }
        finally
        {
            release.countDown();
        }
    }
}

