package io.jmirror.harness.sim;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A scripted fault phase: a fixed list of steps fired one after the other, in place of the faults the seed draws
 * ({@link SimFaultPlan#RANDOM}). The seed still draws the rest: the network's delays, losses and duplicates, lost
 * arbiter answers, the client's writes. A script forces a situation that random faults are too unlikely to reach.
 * <p>
 * Each step is: wait {@code afterMs} from the moment the previous step fired (the run's start for the first), then
 * wait until {@code condition} holds, checked at the start of every simulation step (before messages are delivered and
 * members run), for at most {@code withinMs}; then apply {@code fault}. At most one step fires per simulation step.
 * A step whose {@code condition} does not hold in time stops the script: {@link #stuck()} names it, and the run goes on
 * without further faults (a test asserts the script got through, so a situation not reached never passes for one
 * reached). After the last step nothing more is injected; links stay as the steps left them until the heal phase
 * heals every link. So a script runs at most {@link #boundMs()} of simulated time, and is as deterministic as the
 * run: its conditions read the simulation's state, its faults change it, neither draws from a random source.
 * <p>
 * The faults are the simulation's own: {@link #partition}/{@link #reconnect} (both ways) and {@link #cut}/
 * {@link #heal} (one way) for links, {@link #kill}/{@link #restart} for process kills, {@link #stall} for a paused
 * member. A script holds its progress, so it serves one run at a time; it starts over at a run's first step.
 */
public final class SimScript implements SimFaultPlan
{
    private final List<Step> steps;
    private int next;
    private long previousAtMs;
    private String stuck;

    /**
     * One scripted step.
     *
     * @param what      what the step does and waits for, for the trace and {@link #stuck()}.
     * @param afterMs   simulated time to wait after the previous step fired.
     * @param condition the condition to wait for then, on the run's state.
     * @param withinMs  how long to wait for {@code condition} before the script is stuck.
     * @param fault     the fault to inject.
     */
    public record Step(
        String what, long afterMs, Predicate<Simulation> condition, long withinMs, Consumer<Simulation> fault)
    {
        /**
         * Checks the bounds.
         */
        public Step
        {
            if (afterMs < 0 || withinMs < 0)
            {
                throw new IllegalArgumentException("step times must not be negative: what=" + what + " afterMs=" +
                    afterMs + " withinMs=" + withinMs);
            }
        }

        /**
         * @return a step that fires {@code afterMs} after the previous one.
         */
        public static Step after(final long afterMs, final String what, final Consumer<Simulation> fault)
        {
            return new Step(what, afterMs, sim -> true, 0, fault);
        }

        /**
         * @return a step that fires once {@code condition} holds, at most {@code withinMs} after the previous one.
         */
        public static Step when(
            final String what, final Predicate<Simulation> condition, final long withinMs,
            final Consumer<Simulation> fault)
        {
            return new Step(what, 0, condition, withinMs, fault);
        }
    }

    /**
     * @param steps the steps, in order.
     */
    public SimScript(final List<Step> steps)
    {
        if (steps.isEmpty())
        {
            throw new IllegalArgumentException("a script needs at least one step");
        }
        this.steps = List.copyOf(steps);
    }

    @Override
    public void inject(final Simulation sim)
    {
        if (0 == sim.stepIndex())
        {
            next = 0;
            previousAtMs = sim.nowMs();
            stuck = null;
        }
        if (null != stuck || next == steps.size())
        {
            return;
        }
        final Step step = steps.get(next);
        final long waitedMs = sim.nowMs() - previousAtMs;
        if (waitedMs < step.afterMs())
        {
            return;
        }
        if (step.condition().test(sim))
        {
            next++;
            previousAtMs = sim.nowMs();
            sim.trace("script: step " + next + "/" + steps.size() + ": " + step.what());
            step.fault().accept(sim);
        }
        else if (waitedMs - step.afterMs() >= step.withinMs())
        {
            stuck = "step " + (next + 1) + "/" + steps.size() + " not reached within " + step.withinMs() + "ms: " +
                step.what();
            sim.trace("script: stuck at " + stuck);
        }
    }

    /**
     * @return how many steps fired so far.
     */
    public int fired()
    {
        return next;
    }

    /**
     * @return true when every step fired.
     */
    public boolean isDone()
    {
        return next == steps.size();
    }

    /**
     * @return the step the script stopped at because its condition did not hold in time, or null.
     */
    public String stuck()
    {
        return stuck;
    }

    /**
     * @return the longest simulated time the script can take: every step's wait and condition time.
     */
    public long boundMs()
    {
        long total = 0;
        for (final Step step : steps)
        {
            total += step.afterMs() + step.withinMs();
        }
        return total;
    }

    /**
     * @return a fault that cuts the link between {@code a} and {@code b}, both ways.
     */
    public static Consumer<Simulation> partition(final String a, final String b)
    {
        return cut(a, b).andThen(cut(b, a));
    }

    /**
     * @return a fault that heals the link between {@code a} and {@code b}, both ways.
     */
    public static Consumer<Simulation> reconnect(final String a, final String b)
    {
        return heal(a, b).andThen(heal(b, a));
    }

    /**
     * @return a fault that cuts the link from {@code from} to {@code to}: what is sent, or still on the way, is lost.
     */
    public static Consumer<Simulation> cut(final String from, final String to)
    {
        return sim ->
        {
            sim.trace("fault: cut " + SimNetwork.link(from, to));
            sim.network().cut(from, to);
        };
    }

    /**
     * @return a fault that heals the link from {@code from} to {@code to}.
     */
    public static Consumer<Simulation> heal(final String from, final String to)
    {
        return sim ->
        {
            sim.trace("fault: heal " + SimNetwork.link(from, to));
            sim.network().heal(from, to);
        };
    }

    /**
     * @return a fault that kills {@code member}'s process (its journal keeps every record written) for
     * {@code downMs}, or until a {@link #restart} step.
     */
    public static Consumer<Simulation> kill(final String member, final long downMs)
    {
        return sim ->
        {
            sim.trace("fault: kill " + member + " for " + downMs + "ms");
            sim.crashNode(sim.nodeIndex(member), downMs, false);
        };
    }

    /**
     * @return a fault that starts a killed {@code member} now.
     */
    public static Consumer<Simulation> restart(final String member)
    {
        return sim ->
        {
            sim.trace("fault: restart " + member);
            sim.restartNow(sim.nodeIndex(member));
        };
    }

    /**
     * @return a fault that stalls {@code member} (it runs nothing, and reads what arrived when it resumes) for
     * {@code stallMs}.
     */
    public static Consumer<Simulation> stall(final String member, final long stallMs)
    {
        return sim ->
        {
            sim.trace("fault: stall " + member + " for " + stallMs + "ms");
            sim.node(member).pause(sim.nowMs() + stallMs);
        };
    }
}
