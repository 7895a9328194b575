package io.jmirror.mirror;

import io.jmirror.dejournal.DejournalStatus;
import io.jmirror.dejournal.Dejournaler;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.function.ToDoubleFunction;

/**
 * A member's status (its receiver and its dejournaler, with each worker) as Micrometer meters, tagged
 * {@code member}. Micrometer is an optional dependency: only code that uses this class needs it. Dejournal meters
 * read NaN until the member's journal exists and its dejournaler runs.
 * <pre>{@code
 * new MemberMeterBinder(member).bindTo(registry);
 * }</pre>
 */
public final class MemberMeterBinder implements MeterBinder
{
    private final Member member;

    /**
     * @param member the member whose status the meters read.
     */
    public MemberMeterBinder(final Member member)
    {
        this.member = member;
    }

    @Override
    public void bindTo(final MeterRegistry registry)
    {
        final Tags tags = Tags.of("member", member.receiver().status().memberName());
        Gauge.builder("jmirror.receiver.received.lsn", member, (m) -> m.receiver().status().receivedLsn())
            .tags(tags).description("end of the journal received").register(registry);
        FunctionCounter.builder("jmirror.receiver.bytes", member, (m) -> m.receiver().status().bytesReceived())
            .tags(tags).baseUnit("bytes").description("journal bytes received").register(registry);
        gauge(registry, "jmirror.dejournal.applied.lsn", tags, "every record below it is applied",
            DejournalStatus::appliedLsn);
        gauge(registry, "jmirror.dejournal.lag.bytes", tags, "journal end minus the applied LSN",
            DejournalStatus::bytesBehind);
        gauge(registry, "jmirror.dejournal.lag.ms", tags, "age of the oldest record not yet applied",
            DejournalStatus::msBehind);
        gauge(registry, "jmirror.dejournal.apply.rate", tags, "records applied per second",
            DejournalStatus::applyRatePerSecond);
        for (int i = 0; i < member.context().workers(); i++)
        {
            final int index = i;
            final Tags workerTags = tags.and("worker", Integer.toString(i));
            gauge(registry, "jmirror.dejournal.worker.records", workerTags, "records applied by the worker",
                (s) -> index < s.workers().size() ? s.workers().get(index).records() : Double.NaN);
            gauge(registry, "jmirror.dejournal.worker.queue.depth", workerTags, "records waiting in its ring",
                (s) -> index < s.workers().size() ? s.workers().get(index).queueDepth() : Double.NaN);
        }
    }

    private void gauge(final MeterRegistry registry, final String meter, final Tags tags, final String description,
        final ToDoubleFunction<DejournalStatus> value)
    {
        Gauge.builder(meter, member, (m) ->
        {
            final Dejournaler dejournaler = m.dejournaler();
            return null == dejournaler ? Double.NaN : value.applyAsDouble(dejournaler.status());
        }).tags(tags).description(description).register(registry);
    }
}
