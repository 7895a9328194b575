package io.jmirror.harness.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link SimScript}: steps fire in order, each after its wait and once its condition holds; a condition that does
 * not hold in time stops the script and names the step.
 */
@Timeout(60)
class SimScriptTest
{
    @Test
    void stepsFireInOrderAfterTheirWaitAndOnceTheirConditionHolds()
    {
        final SimScript script = new SimScript(List.of(
            SimScript.Step.after(500, "cut A <-> B", SimScript.partition("A", "B")),
            SimScript.Step.when("A has no session for B", sim -> null == sim.node("A").primarySide() ||
                null == sim.node("A").primarySide().session("B"), 2000, SimScript.reconnect("A", "B")),
            SimScript.Step.after(300, "kill B for 100 ms", SimScript.kill("B", 100))));
        final SimResult result = new Simulation(SimOptions.of(3, 400), script).run();
        assertTrue(script.isDone(), "fired=" + script.fired() + " stuck=" + script.stuck());
        assertNull(script.stuck());
        assertTrue(result.trace().contains("t=510ms script: step 1/3: cut A <-> B"), String.join("\n",
            result.trace()));
        final long closedAt = atMs(result.trace(), "A: session closed: member=B");
        final long reconnectedAt = atMs(result.trace(), "script: step 2/3");
        assertTrue(reconnectedAt > closedAt, "reconnected at " + reconnectedAt + "ms, session closed at " + closedAt);
        assertTrue(result.trace().contains("t=" + (reconnectedAt + 300) + "ms script: step 3/3: kill B for 100 ms"));
        assertEquals(1, result.crashes());
    }

    @Test
    void aConditionThatDoesNotHoldInTimeStopsTheScriptAndNamesTheStep()
    {
        final SimScript script = new SimScript(List.of(
            SimScript.Step.after(100, "cut A -> B", SimScript.cut("A", "B")),
            SimScript.Step.when("never", sim -> false, 200, SimScript.heal("A", "B")),
            SimScript.Step.after(0, "not reached", SimScript.kill("A", 100))));
        final SimResult result = new Simulation(SimOptions.of(3, 100), script).run();
        assertEquals(1, script.fired());
        assertFalse(script.isDone());
        assertEquals("step 2/3 not reached within 200ms: never", script.stuck());
        assertEquals(0, result.crashes(), "no step after the stuck one may fire");
        assertEquals(1000, new SimScript(List.of(SimScript.Step.after(400, "x", SimScript.cut("A", "B")),
            SimScript.Step.when("y", sim -> true, 600, SimScript.heal("A", "B")))).boundMs());
    }

    private static long atMs(final List<String> trace, final String event)
    {
        for (final String line : trace)
        {
            if (line.contains(event))
            {
                return Long.parseLong(line.substring(2, line.indexOf("ms ")));
            }
        }
        throw new AssertionError("no event in the trace: " + event);
    }
}
