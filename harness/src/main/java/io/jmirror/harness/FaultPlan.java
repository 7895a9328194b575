package io.jmirror.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * How often each fault is injected, and the schedule that follows for a run. Faults of different kinds are
 * staggered so they do not all fall at once; the soak runs them one after another.
 */
final class FaultPlan
{
    /** The default: every kind once a minute. */
    static final Duration DEFAULT_PERIOD = Duration.ofSeconds(60);

    private static final long FIRST_OFFSET_MS = 4_000;
    private static final long STAGGER_MS = 8_000;

    private final Map<FaultKind, Duration> periods = new EnumMap<>(FaultKind.class);

    /**
     * A scheduled fault.
     *
     * @param atMs when, from the start of the run.
     * @param kind what.
     */
    record Scheduled(long atMs, FaultKind kind)
    {
    }

    /**
     * @param failover the failover soak's kinds, or those of the soak without failover.
     */
    static FaultPlan defaults(final boolean failover)
    {
        final FaultPlan plan = new FaultPlan();
        for (final FaultKind kind : FaultKind.kinds(failover))
        {
            plan.every(kind, DEFAULT_PERIOD);
        }
        return plan;
    }

    static FaultPlan none()
    {
        return new FaultPlan();
    }

    /**
     * @param specs    {@code KIND=PERIOD}, e.g. {@code kill-primary=30s}.
     * @param failover the soak runs with failover: only its kinds are allowed, and only they without it.
     */
    static FaultPlan parse(final List<String> specs, final boolean failover)
    {
        final FaultPlan plan = new FaultPlan();
        for (final String spec : specs)
        {
            final int equals = spec.indexOf('=');
            if (equals < 0)
            {
                throw new IllegalArgumentException("--fault must be KIND=PERIOD, e.g. kill=30s: " + spec);
            }
            final Duration period = DurationConverter.parse(spec.substring(equals + 1));
            if (period.toMillis() < 1000)
            {
                throw new IllegalArgumentException("--fault period must be at least 1s: " + spec);
            }
            final FaultKind kind = FaultKind.fromOptionName(spec.substring(0, equals));
            if (kind.isFailover() != failover)
            {
                throw new IllegalArgumentException("--fault " + kind.optionName() + " is for the soak " +
                    (failover ? "with --no-failover" : "with failover (without --no-failover)") + ": " + spec);
            }
            plan.every(kind, period);
        }
        return plan;
    }

    FaultPlan every(final FaultKind kind, final Duration period)
    {
        periods.put(kind, period);
        return this;
    }

    Map<FaultKind, Duration> periods()
    {
        return periods;
    }

    /**
     * @return every fault due before {@code durationMs}, in time order.
     */
    List<Scheduled> schedule(final long durationMs)
    {
        final List<Scheduled> schedule = new ArrayList<>();
        int slot = 0;
        for (final Map.Entry<FaultKind, Duration> entry : periods.entrySet())
        {
            final long periodMs = entry.getValue().toMillis();
            final long offsetMs = (FIRST_OFFSET_MS + slot * STAGGER_MS) % periodMs;
            for (long at = offsetMs; at < durationMs; at += periodMs)
            {
                schedule.add(new Scheduled(at, entry.getKey()));
            }
            slot++;
        }
        schedule.sort(Comparator.comparingLong(Scheduled::atMs));
        return schedule;
    }
}
