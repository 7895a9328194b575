package io.jmirror.harness;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A soak's timeline: the plan's faults and the checkpoints, in time order, and the check at the end that every
 * planned fault was injected and some checkpoint completed. Both soaks (with and without failover) run one.
 */
final class SoakTimeline
{
    /**
     * A fault to inject, or a checkpoint when {@code fault} is null.
     */
    record Event(long atMs, FaultKind fault)
    {
    }

    private SoakTimeline()
    {
    }

    /**
     * @return the plan's faults over {@code durationMs} and a checkpoint every {@code checkpointEveryMs}, by time.
     */
    static List<Event> of(final FaultPlan plan, final long durationMs, final long checkpointEveryMs)
    {
        final List<Event> events = new ArrayList<>();
        for (final FaultPlan.Scheduled fault : plan.schedule(durationMs))
        {
            events.add(new Event(fault.atMs(), fault.kind()));
        }
        for (long at = checkpointEveryMs; at < durationMs; at += checkpointEveryMs)
        {
            events.add(new Event(at, null));
        }
        events.sort(Comparator.comparingLong(Event::atMs));
        return events;
    }

    /**
     * Add the problems of a run that did not go as planned: faults planned but not injected, no checkpoint.
     */
    static void checkRun(final List<Event> events, final int injected, final int checkpoints,
        final List<String> problems)
    {
        final long planned = events.stream().filter((e) -> null != e.fault()).count();
        if (injected < planned)
        {
            problems.add("injected " + injected + " of " + planned + " planned faults");
        }
        if (0 == checkpoints)
        {
            problems.add("no checkpoint completed");
        }
    }
}
