package io.jmirror.mirror;

import io.jmirror.dejournal.DejournalMeterBinder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * A member's status (its receiver and its dejournaler, with each worker) as Micrometer meters, tagged
 * {@code member}. Micrometer is an optional dependency: only code that uses this class needs it. The dejournal meters
 * are {@link DejournalMeterBinder}'s, tagged with the member's name; they read NaN until the member's journal exists
 * and its dejournaler runs.
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
        // The dejournal series are defined once, in the dejournaler's binder, with the member's tag.
        new DejournalMeterBinder(member::dejournaler, member.context().workers(), tags).bindTo(registry);
    }
}
