package io.jmirror.harness.sim;

import java.util.List;

/**
 * The outcome of one simulated run.
 *
 * @param seed       the seed.
 * @param violation  null when every invariant held, else the first that broke.
 * @param failStep   the step it broke at, -1 when none.
 * @param steps      steps run.
 * @param failovers  takeovers (a backup became primary).
 * @param acked      writes acknowledged to clients.
 * @param crashes    member and arbiter crashes.
 * @param corruption damaged records detected (never applied).
 * @param rebuilds   members the operator rebuilt at the heal because they could not apply their journal.
 * @param lateTakeoverGrants TAKEOVER requests the arbiter granted when they reached it after their sender gave up.
 * @param traceHash  a digest of every event, equal for equal runs.
 * @param trace      the last events before the end (or the violation).
 */
public record SimResult(
    long seed, String violation, int failStep, int steps, long failovers, long acked, long crashes, long corruption,
    long rebuilds, long lateTakeoverGrants, long traceHash, List<String> trace)
{
    /**
     * @return true when every invariant held.
     */
    public boolean isPass()
    {
        return null == violation;
    }
}
