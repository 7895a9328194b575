package io.jmirror.mirror;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * An arbiter's state as Micrometer meters: per mirror (tag {@code mirror}) its epoch, whether the backup is ACTIVE
 * and whether failover is off, and the requests granted, refused and malformed. Micrometer is an optional
 * dependency: only code that uses this class needs it. A mirror the arbiter holds no record of yet reads NaN.
 * <pre>{@code
 * new ArbiterMeterBinder(arbiter, List.of("JMIRROR")).bindTo(registry);
 * }</pre>
 */
public final class ArbiterMeterBinder implements MeterBinder
{
    private final Arbiter arbiter;
    private final List<String> mirrors;

    /**
     * @param arbiter the arbiter whose state the meters read.
     * @param mirrors the mirrors it arbitrates.
     */
    public ArbiterMeterBinder(final Arbiter arbiter, final List<String> mirrors)
    {
        this.arbiter = arbiter;
        this.mirrors = List.copyOf(mirrors);
    }

    @Override
    public void bindTo(final MeterRegistry registry)
    {
        FunctionCounter.builder("jmirror.arbiter.grants", arbiter, Arbiter::grants)
            .description("requests granted").register(registry);
        FunctionCounter.builder("jmirror.arbiter.refusals", arbiter, Arbiter::refusals)
            .description("requests refused").register(registry);
        FunctionCounter.builder("jmirror.arbiter.malformed.frames", arbiter, Arbiter::malformedFrames)
            .description("frames refused as malformed").register(registry);
        for (final String mirror : mirrors)
        {
            final Tags tags = Tags.of("mirror", mirror);
            gauge(registry, "jmirror.arbiter.epoch", tags, mirror, "the mirror's current epoch",
                ArbiterRecord::epoch);
            gauge(registry, "jmirror.arbiter.backup.active", tags, mirror,
                "1 while the primary reports its backup ACTIVE", (r) -> r.backupActive() ? 1 : 0);
            gauge(registry, "jmirror.arbiter.no.failover", tags, mirror, "1 while failover is turned off",
                (r) -> r.noFailover() ? 1 : 0);
        }
    }

    private void gauge(final MeterRegistry registry, final String meter, final Tags tags, final String mirror,
        final String description, final ToDoubleFunction<ArbiterRecord> value)
    {
        Gauge.builder(meter, arbiter, (a) ->
        {
            final ArbiterRecord record = a.record(mirror);
            return null == record ? Double.NaN : value.applyAsDouble(record);
        }).tags(tags).description(description).register(registry);
    }
}
