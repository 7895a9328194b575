package io.jmirror.dejournal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bare dejournaler's meters (as a restore runs it): applied LSN, lag, apply rate, records, per-worker load, and a
 * failure; and its failure's text in the status file.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DejournalMeterBinderTest
{
    private static final int RECORDS = 3_000;

    @TempDir
    Path dir;

    private Journal openJournal()
    {
        final Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal"))
            .fileLength(1024 * 1024).syncPolicy(SyncPolicy.NONE));
        final JournalAppender appender = journal.newAppender();
        for (int i = 0; i < RECORDS; i++)
        {
            appender.set(0, GlobalName.of("DB", "G" + (i % 5)), SubscriptKey.of(i), new byte[32]);
        }
        return journal;
    }

    @Test
    void aRegistryFindsTheAppliedLsnLagRateAndWorkerMeters() throws Exception
    {
        final ReferenceTarget slow = new ReferenceTarget()
        {
            @Override
            public void apply(final JournalRecord record, final int worker)
            {
                if (0 == applied.get() % 100)
                {
                    sleepMs(2); // slow enough that a scrape sees the dejournaler applying
                }
                super.apply(record, worker);
            }
        };
        try (Journal journal = openJournal();
            Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(slow)
                .workers(2)))
        {
            final SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new DejournalMeterBinder(dejournaler, Tags.of("journal", "restore")).bindTo(registry);
            await(() -> registry.get("jmirror.dejournal.apply.rate").tag("journal", "restore").gauge().value() > 0,
                "no apply rate while applying");
            final long end = journal.tailLsn();
            await(() -> end == registry.get("jmirror.dejournal.applied.lsn").gauge().value(), "not all applied");
            assertEquals(0, registry.get("jmirror.dejournal.lag.bytes").gauge().value());
            assertEquals(0, registry.get("jmirror.dejournal.lag.ms").gauge().value());
            assertEquals(0, registry.get("jmirror.dejournal.failed").gauge().value());
            assertEquals(0, registry.get("jmirror.dejournal.open.transactions").gauge().value());
            assertEquals(RECORDS, registry.get("jmirror.dejournal.records").functionCounter().count());
            final double worker0 = registry.get("jmirror.dejournal.worker.records").tag("worker", "0").gauge().value();
            final double worker1 = registry.get("jmirror.dejournal.worker.records").tag("worker", "1").gauge().value();
            assertEquals(RECORDS, worker0 + worker1);
            assertTrue(worker0 > 0 && worker1 > 0, "five globals over two workers: both work");
            assertEquals(0, registry.get("jmirror.dejournal.worker.queue.depth").tag("worker", "1").gauge().value());
            assertEquals(2, registry.find("jmirror.dejournal.worker.records").gauges().size());
        }
    }

    @Test
    void beforeTheDejournalerStartsTheMetersReadNaN()
    {
        final AtomicReference<Dejournaler> none = new AtomicReference<>();
        final Supplier<Dejournaler> current = none::get;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new DejournalMeterBinder(current, 3, Tags.of("member", "dr-1")).bindTo(registry);
        assertTrue(Double.isNaN(registry.get("jmirror.dejournal.applied.lsn").gauge().value()));
        assertTrue(Double.isNaN(registry.get("jmirror.dejournal.worker.queue.depth").tag("worker", "2").gauge()
            .value()));
        assertEquals(0, registry.get("jmirror.dejournal.records").functionCounter().count());
    }

    @Test
    void aFailedDejournalerShowsInItsMetersAndItsStatusFileSaysWhy() throws Exception
    {
        final ReferenceTarget failing = new ReferenceTarget()
        {
            @Override
            public void apply(final JournalRecord record, final int worker)
            {
                if (applied.get() == 500)
                {
                    throw new IllegalStateException("disk full");
                }
                super.apply(record, worker);
            }
        };
        try (Journal journal = openJournal();
            StatusFile statusFile = StatusFile.create(null, 32);
            Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(failing)
                .workers(1)))
        {
            final SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new DejournalMeterBinder(dejournaler, Tags.empty()).bindTo(registry);
            await(() -> 1 == registry.get("jmirror.dejournal.failed").gauge().value(), "the failure is not shown");
            assertTrue(registry.get("jmirror.dejournal.applied.lsn").gauge().value() < journal.tailLsn());

            final DejournalCounters counters = new DejournalCounters(statusFile, "dr-1");
            counters.publish(dejournaler.status());
            final String text = statusFile.text(StatusCounterType.DEJOURNAL_LAST_ERROR, "dr-1");
            assertTrue(text.contains("target failed to apply a record") && text.contains("disk full"), text);
            assertEquals(DejournalState.FAILED.ordinal(), statusFile.value(StatusCounterType.DEJOURNAL_STATE,
                "dr-1", -1));
        }
    }

    private static void sleepMs(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out: " + what);
            }
            Thread.sleep(10);
        }
    }
}
