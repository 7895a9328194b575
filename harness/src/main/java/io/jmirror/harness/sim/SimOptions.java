package io.jmirror.harness.sim;

/**
 * How one simulated run goes.
 *
 * @param seed          the seed: same seed, same run.
 * @param steps         steps with faults; a heal phase without faults follows.
 * @param healSteps     steps after the faults stop within which every member must converge.
 * @param stepMs        simulated time per step.
 * @param heartbeatMs   the members' heartbeat (and control beat).
 * @param qosTimeoutMs  the QoS timeout.
 * @param sabotage      a known mistake reintroduced, or NONE.
 * @param machineCrashes some member crashes are machine crashes (power loss), which lose what the journal had not
 *                       made durable and may tear its last record; otherwise a crash is a process kill, after which
 *                       the operating system still holds every byte the journal wrote.
 * @param asyncMembers  DR async members ("C", "D", ...): they follow whoever the arbiter names primary, which does
 *                      not wait for them; their faults, links and crashes draw from a random source of their own, so
 *                      adding them leaves the failover members' draws as they were.
 */
public record SimOptions(
    long seed, int steps, int healSteps, long stepMs, long heartbeatMs, long qosTimeoutMs, Sabotage sabotage,
    boolean machineCrashes, int asyncMembers)
{
    /** DR async members by default. */
    public static final int ASYNC_DEFAULT = 1;

    /** Steps with faults by default. */
    public static final int STEPS_DEFAULT = 3000;

    /**
     * @return the defaults for {@code seed} and {@code steps}.
     */
    public static SimOptions of(final long seed, final int steps)
    {
        return new SimOptions(seed, steps, 1500, 10, 100, 600, Sabotage.NONE, false, ASYNC_DEFAULT);
    }

    /**
     * @return a copy with a sabotage.
     */
    public SimOptions withSabotage(final Sabotage next)
    {
        return new SimOptions(seed, steps, healSteps, stepMs, heartbeatMs, qosTimeoutMs, next, machineCrashes,
            asyncMembers);
    }

    /**
     * @return a copy with machine crashes on or off.
     */
    public SimOptions withMachineCrashes(final boolean on)
    {
        return new SimOptions(seed, steps, healSteps, stepMs, heartbeatMs, qosTimeoutMs, sabotage, on,
            asyncMembers);
    }

    /**
     * @return a copy with {@code count} DR async members.
     */
    public SimOptions withAsyncMembers(final int count)
    {
        if (count < 0 || count > 20)
        {
            throw new IllegalArgumentException("async members must be 0 to 20: asyncMembers=" + count);
        }
        return new SimOptions(seed, steps, healSteps, stepMs, heartbeatMs, qosTimeoutMs, sabotage, machineCrashes,
            count);
    }
}
