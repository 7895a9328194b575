package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The dispatch path allocates nothing per record: the bytes the dejournaler's own threads (dispatcher and workers)
 * allocate while they dispatch and hand over many more records stay flat. What a dejournaler allocates at all is
 * allocated when it starts (its rings), which {@code DejournalBenchmark.dispatchOnly}'s {@code -prof gc} figure
 * amortizes over one replay.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DispatchAllocationTest
{
    private static final int WARM_RECORDS = 50_000;
    private static final int MEASURED_RECORDS = 400_000;

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

    /**
     * Counts what it is given, on the worker threads, without allocating.
     */
    static final class CountingTarget extends ApplyOnlyTarget
    {
        final AtomicLong applied = new AtomicLong();

        @Override
        public void apply(final JournalRecord record, final int worker)
        {
            applied.getAndIncrement();
        }
    }

    @Test
    void dispatchingMoreRecordsAllocatesNoMoreBytes()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        // One file holds everything, so that no file switch happens between the two measurements.
        journal = Journal.open(new JournalContext().journalDir(dir).fileLength(128L * 1024 * 1024)
            .syncPolicy(SyncPolicy.NONE));
        final JournalAppender appender = journal.newAppender();
        final GlobalName[] globals = new GlobalName[64];
        for (int g = 0; g < globals.length; g++)
        {
            globals[g] = GlobalName.of(g % 2 == 0 ? "USER" : "CLINICAL", "G" + g);
        }
        final SubscriptKey key = new SubscriptKey();
        final byte[] value = new byte[40];

        final CountingTarget target = new CountingTarget();
        final Set<Long> otherThreads = dejournalThreadIds(Set.of());
        try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(target)
            .workers(2).verifyChecksums(false)))
        {
            // Warm up: the JIT compiles the path, and every ring slot is filled at least once.
            append(appender, globals, key, value, 0, WARM_RECORDS);
            assertTrue(dejournaler.awaitApplied(journal.completeLsn(), TimeUnit.SECONDS.toNanos(30)));
            final Set<Long> ids = dejournalThreadIds(otherThreads);
            assertEquals(3, ids.size(), "dispatcher and two workers");
            final long before = allocated(threads, ids);

            append(appender, globals, key, value, WARM_RECORDS, MEASURED_RECORDS);
            assertTrue(dejournaler.awaitApplied(journal.completeLsn(), TimeUnit.SECONDS.toNanos(30)));
            final long allocated = allocated(threads, ids) - before;

            assertEquals(WARM_RECORDS + MEASURED_RECORDS, target.applied.get());
            // A byte per record would be 400 KB; allow a few KB for whatever runs once (a checkpoint, a JIT
            // deoptimization), not per record.
            assertTrue(allocated < 8 * 1024, "dejournal threads allocated " + allocated + " bytes for " +
                MEASURED_RECORDS + " records");
        }
    }

    private static void append(
        final JournalAppender appender,
        final GlobalName[] globals,
        final SubscriptKey key,
        final byte[] value,
        final int from,
        final int count)
    {
        for (int i = from; i < from + count; i++)
        {
            value[0] = (byte)i;
            appender.set(0, globals[i % globals.length], key.clear().add(i & 1023).add("name"), value);
        }
    }

    /**
     * @return the ids of the live dejournal threads (dispatcher and workers) not in {@code except}.
     */
    private static Set<Long> dejournalThreadIds(final Set<Long> except)
    {
        final Set<Long> ids = new HashSet<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().startsWith("jmirror-dejournal-") && !except.contains(thread.getId()))
            {
                ids.add(thread.getId());
            }
        }
        return ids;
    }

    /**
     * @return the bytes allocated so far by these threads, each of which must still be alive.
     */
    private static long allocated(final com.sun.management.ThreadMXBean threads, final Set<Long> ids)
    {
        long bytes = 0;
        for (final long id : ids)
        {
            final long threadBytes = threads.getThreadAllocatedBytes(id);
            assertTrue(threadBytes >= 0, "thread ended: id=" + id);
            bytes += threadBytes;
        }
        return bytes;
    }
}
