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
 */
public record SimOptions(
    long seed, int steps, int healSteps, long stepMs, long heartbeatMs, long qosTimeoutMs, Sabotage sabotage,
    boolean machineCrashes)
{
    /** Steps with faults by default. */
    public static final int STEPS_DEFAULT = 3000;

    /**
     * @return the defaults for {@code seed} and {@code steps}.
     */
    public static SimOptions of(final long seed, final int steps)
    {
        return new SimOptions(seed, steps, 1500, 10, 100, 600, Sabotage.NONE, false);
    }

    /**
     * @return a copy with a sabotage.
     */
    public SimOptions withSabotage(final Sabotage next)
    {
        return new SimOptions(seed, steps, healSteps, stepMs, heartbeatMs, qosTimeoutMs, next, machineCrashes);
    }

    /**
     * @return a copy with machine crashes on or off.
     */
    public SimOptions withMachineCrashes(final boolean on)
    {
        return new SimOptions(seed, steps, healSteps, stepMs, heartbeatMs, qosTimeoutMs, sabotage, on);
    }
}
