package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Many appenders, one tailing reader: every record is seen exactly once, each thread's records in that thread's
 * order, across several file switches.
 */
class JournalConcurrencyTest
{
    private static final int THREADS = 4;
    private static final int RECORDS_PER_THREAD = 1_000_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void concurrentAppendersAreEachSeenOnceInTheirOwnOrder() throws Exception
    {
        try (Journal journal = Journal.open(new JournalContext()
            .journalDir(dir)
            .fileLength(64L * 1024 * 1024)
            .syncPolicy(SyncPolicy.NONE)))
        {
            final GlobalName global = GlobalName.of("USER", "Seq");
            final CountDownLatch start = new CountDownLatch(1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> appenders = new ArrayList<>();
            for (int t = 0; t < THREADS; t++)
            {
                final int threadId = t;
                final Thread thread = new Thread(() ->
                {
                    final SubscriptKey key = new SubscriptKey();
                    final UnsafeBuffer value = new UnsafeBuffer(new byte[8]);
                    try
                    {
                        start.await();
                        for (int i = 0; i < RECORDS_PER_THREAD; i++)
                        {
                            key.clear().add(threadId);
                            value.putInt(0, threadId);
                            value.putInt(4, i);
                            journal.appender().set(threadId, global, key, value, 0, 8);
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                }, "appender-" + t);
                thread.start();
                appenders.add(thread);
            }

            final int[] nextSequence = new int[THREADS];
            final long[] total = new long[1];
            final long[] lastLsn = {-1};
            try (JournalReader reader = journal.reader(0))
            {
                start.countDown();
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
                while (total[0] < (long)THREADS * RECORDS_PER_THREAD && null == failure.get())
                {
                    final int read = reader.poll((record) ->
                    {
                        final int threadId = record.buffer().getInt(record.valueOffset());
                        final int sequence = record.buffer().getInt(record.valueOffset() + 4);
                        assertEquals(threadId, record.transactionId(), "value and txn disagree");
                        assertEquals(nextSequence[threadId], sequence,
                            "thread " + threadId + " out of order at lsn " + record.lsn());
                        assertTrue(record.lsn() > lastLsn[0], "lsn must increase");
                        lastLsn[0] = record.lsn();
                        nextSequence[threadId]++;
                        total[0]++;
                    }, 1024);
                    if (read == 0)
                    {
                        assertTrue(System.nanoTime() < deadline, "reader stalled at " + reader.position());
                        Thread.onSpinWait();
                    }
                }
                for (final Thread thread : appenders)
                {
                    thread.join();
                }
                assertNull(failure.get(), () -> "appender failed: " + failure.get());
                assertEquals(0, reader.poll((record) -> fail("extra record at " + record.lsn()), 10));
            }

            for (int t = 0; t < THREADS; t++)
            {
                assertEquals(RECORDS_PER_THREAD, nextSequence[t], "records of thread " + t);
            }
            assertTrue(journal.fileCount() > 2, "the run must cross file switches: files=" + journal.fileCount());
            assertEquals(journal.tailLsn(), journal.completeLsn());
        }
    }
}
