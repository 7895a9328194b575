package io.jmirror.harness.sim;

/**
 * What goes wrong in the fault phase, step by step: by default {@link SimFaults} draws it from the seed; a
 * {@link SimScript} (or a test's own plan: every link cut at one step and healed at another) scripts a scenario and
 * lets the seed draw the rest (delays, losses, late requests, writes).
 */
@FunctionalInterface
public interface SimFaultPlan
{
    /**
     * Inject this step's faults.
     *
     * @param sim the run, at {@link Simulation#stepIndex()}.
     */
    void inject(Simulation sim);

    /** The seed draws every fault. */
    SimFaultPlan RANDOM = SimFaults::inject;
}
