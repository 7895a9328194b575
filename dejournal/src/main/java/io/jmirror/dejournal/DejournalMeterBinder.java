package io.jmirror.dejournal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * A dejournaler's status as Micrometer meters: applied LSN, lag in bytes and in ms, apply rate, records applied,
 * open transactions, whether it failed, and per worker (tag {@code worker}) records and queue depth, where skew
 * between workers shows. Micrometer is an optional dependency: only code that uses this class needs it. This class
 * is the one definition of the {@code jmirror.dejournal.*} series: a member's binder uses it with the member's tag,
 * so the two never register the same series twice. Meters read the dejournaler's status when scraped, and read NaN
 * while there is no dejournaler (a member's starts once its journal exists).
 * <pre>{@code
 * new DejournalMeterBinder(dejournaler, Tags.of("journal", "restore")).bindTo(registry);
 * }</pre>
 */
public final class DejournalMeterBinder implements MeterBinder
{
    private final Supplier<Dejournaler> dejournaler;
    private final int workers;
    private final Tags tags;

    /**
     * For a dejournaler that runs already.
     *
     * @param dejournaler the dejournaler whose status the meters read.
     * @param tags        tags of every meter (for example which journal it applies).
     */
    public DejournalMeterBinder(final Dejournaler dejournaler, final Iterable<Tag> tags)
    {
        this(() -> dejournaler, dejournaler.workerCount(), tags);
    }

    /**
     * For a dejournaler that may start later or be replaced, as a member's is.
     *
     * @param dejournaler the current dejournaler, or null while there is none.
     * @param workers     how many workers it has (or will have): one set of worker meters each.
     * @param tags        tags of every meter (a member's: its name).
     */
    public DejournalMeterBinder(final Supplier<Dejournaler> dejournaler, final int workers, final Iterable<Tag> tags)
    {
        this.dejournaler = dejournaler;
        this.workers = workers;
        this.tags = Tags.of(tags);
    }

    @Override
    public void bindTo(final MeterRegistry registry)
    {
        gauge(registry, "jmirror.dejournal.applied.lsn", tags, "every record below it is applied",
            DejournalStatus::appliedLsn);
        gauge(registry, "jmirror.dejournal.lag.bytes", tags, "journal end minus the applied LSN",
            DejournalStatus::bytesBehind);
        gauge(registry, "jmirror.dejournal.lag.ms", tags, "age of the oldest record not yet applied",
            DejournalStatus::msBehind);
        gauge(registry, "jmirror.dejournal.apply.rate", tags, "records applied per second",
            DejournalStatus::applyRatePerSecond);
        gauge(registry, "jmirror.dejournal.open.transactions", tags, "transactions begun and not yet ended",
            DejournalStatus::openTransactions);
        gauge(registry, "jmirror.dejournal.failed", tags, "1 once dejournaling stopped on a failure",
            (s) -> null == s.failure() ? 0 : 1);
        // A new dejournaler (a member's, after a restart) starts from 0: a counter reset, as Prometheus expects.
        FunctionCounter.builder("jmirror.dejournal.records", dejournaler, (d) -> read(DejournalMeterBinder::records, 0))
            .tags(tags).description("records applied").register(registry);
        for (int i = 0; i < workers; i++)
        {
            final int index = i;
            final Tags workerTags = tags.and("worker", Integer.toString(i));
            gauge(registry, "jmirror.dejournal.worker.records", workerTags, "records applied by the worker",
                (s) -> index < s.workers().size() ? s.workers().get(index).records() : Double.NaN);
            gauge(registry, "jmirror.dejournal.worker.queue.depth", workerTags, "records waiting in its ring",
                (s) -> index < s.workers().size() ? s.workers().get(index).queueDepth() : Double.NaN);
        }
    }

    private static double records(final DejournalStatus status)
    {
        long records = 0;
        for (final DejournalStatus.WorkerStatus worker : status.workers())
        {
            records += worker.records();
        }
        return records;
    }

    private void gauge(final MeterRegistry registry, final String meter, final Tags meterTags,
        final String description, final ToDoubleFunction<DejournalStatus> value)
    {
        Gauge.builder(meter, dejournaler, (d) -> read(value, Double.NaN)).tags(meterTags).description(description)
            .register(registry);
    }

    /**
     * Meters hold their state object weakly; their functions read the supplier through this binder, so the meters
     * keep it (and so the supplier) reachable for as long as they are registered.
     */
    private double read(final ToDoubleFunction<DejournalStatus> value, final double absent)
    {
        final Dejournaler current = dejournaler.get();
        return null == current ? absent : value.applyAsDouble(current.status());
    }
}
