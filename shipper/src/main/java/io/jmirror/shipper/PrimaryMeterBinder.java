package io.jmirror.shipper;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.function.ToDoubleFunction;

/**
 * A primary's status as Micrometer meters, for the monitoring an embedder already runs. Micrometer is an optional
 * dependency: only code that uses this class needs it. Every configured member gets its meters, tagged
 * {@code member}, connected or not ({@code jmirror.member.up} is 0 while it is DOWN). Meters read the primary's
 * status when scraped.
 * <pre>{@code
 * new PrimaryMeterBinder(primary).bindTo(registry);
 * }</pre>
 */
public final class PrimaryMeterBinder implements MeterBinder
{
    private final Primary primary;

    /**
     * @param primary the primary whose status the meters read.
     */
    public PrimaryMeterBinder(final Primary primary)
    {
        this.primary = primary;
    }

    @Override
    public void bindTo(final MeterRegistry registry)
    {
        Gauge.builder("jmirror.primary.epoch", primary, Primary::epoch)
            .description("the epoch the primary reigns in").register(registry);
        Gauge.builder("jmirror.primary.fenced", primary, (p) -> p.isFenced() ? 1 : 0)
            .description("1 once a member told the primary of a higher epoch").register(registry);
        Gauge.builder("jmirror.primary.waiting.for.backup.release", primary,
            (p) -> p.isWaitingForBackupRelease() ? 1 : 0)
            .description("1 while commits wait for the arbiter to release a backup that is not ACTIVE")
            .register(registry);
        FunctionCounter.builder("jmirror.primary.errors", primary, Primary::errors)
            .description("link failures").register(registry);
        FunctionCounter.builder("jmirror.primary.rejections", primary, Primary::rejections)
            .description("members refused").register(registry);
        for (final String name : primary.context().members().keySet())
        {
            final Tags tags = Tags.of("member", name);
            gauge(registry, "jmirror.member.up", tags, name, "1 while the member has a session, 0 while DOWN",
                (s) -> "DOWN".equals(s.transferStatus()) ? 0 : 1);
            gauge(registry, "jmirror.member.lag.bytes", tags, name,
                "the primary's journal end minus the member's durable LSN", MemberStatus::lagBytes);
            gauge(registry, "jmirror.member.lag.ms", tags, name, "time since the member was last in step",
                MemberStatus::lagMs);
            gauge(registry, "jmirror.member.transfer.rate", tags.and("bytes", "raw"), name,
                "journal bytes shipped per second", MemberStatus::rawBytesPerSecond);
            gauge(registry, "jmirror.member.transfer.rate", tags.and("bytes", "sent"), name,
                "bytes on the wire per second (compressed)", MemberStatus::sentBytesPerSecond);
            FunctionCounter.builder("jmirror.member.transfer.bytes", primary,
                (p) -> p.memberStatus(name).bytesRaw()).tags(tags.and("bytes", "raw")).baseUnit("bytes")
                .description("journal bytes shipped").register(registry);
            FunctionCounter.builder("jmirror.member.transfer.bytes", primary,
                (p) -> p.memberStatus(name).bytesSent()).tags(tags.and("bytes", "sent")).baseUnit("bytes")
                .description("bytes on the wire").register(registry);
        }
    }

    private void gauge(final MeterRegistry registry, final String meter, final Tags tags, final String member,
        final String description, final ToDoubleFunction<MemberStatus> value)
    {
        Gauge.builder(meter, primary, (p) -> value.applyAsDouble(p.memberStatus(member))).tags(tags)
            .description(description).register(registry);
    }
}
