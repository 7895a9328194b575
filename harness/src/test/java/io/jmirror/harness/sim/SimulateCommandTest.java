package io.jmirror.harness.sim;

import io.jmirror.harness.JmirrorCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code jmirror simulate}: a final PASS or FAIL line, one line per failing seed, and a replay of one seed with its
 * trace.
 */
@Timeout(120)
class SimulateCommandTest
{
    @Test
    void seedsEndWithAPassLine()
    {
        final String out = run(0, "simulate", "--seeds", "3", "--start", "5", "--steps", "1000");
        assertTrue(out.contains("PASS seeds=3 steps="), out);
        assertTrue(out.contains(" failovers="), out);
        assertFalse(out.contains("FAIL"), out);
    }

    @Test
    void aSabotagedRuleGivesOneLinePerFailingSeedAndAFailLine()
    {
        final String out = run(1, "simulate", "--seeds", "8", "--sabotage", "TAKEOVER_WITHOUT_GRANT");
        assertTrue(out.contains("FAIL seed="), out);
        assertTrue(out.contains("replay: simulate --seed "), out);
        assertTrue(out.lines().reduce((a, b) -> b).orElse("").startsWith("FAIL seeds=8 "), out);
    }

    @Test
    void oneSeedReplaysWithItsTraceOnFailure()
    {
        final String once = run(1, "simulate", "--seed", "1", "--sabotage", "TAKEOVER_WITHOUT_GRANT");
        final String again = run(1, "simulate", "--seed", "1", "--sabotage", "TAKEOVER_WITHOUT_GRANT");
        assertTrue(once.contains("trace of seed 1"), once);
        assertTrue(once.contains("VIOLATION: "), once);
        assertEquals(once, again, "a replay must print the same run");
    }

    @Test
    void aScriptForcesTheWindowOfASabotageTheGeneratedFaultsMissAndTheProductionRulePassesIt()
    {
        final String sabotaged = run(1, "simulate", "--seeds", "2", "--script", "ACTIVE_BEFORE_COVER", "--sabotage",
            "ACTIVE_WITHOUT_COVER");
        assertTrue(sabotaged.contains("FAIL seed=1 "), sabotaged);
        assertTrue(sabotaged.contains("acknowledged commit lost"), sabotaged);
        assertTrue(sabotaged.contains(" --script ACTIVE_BEFORE_COVER"), sabotaged);
        assertTrue(sabotaged.lines().reduce((a, b) -> b).orElse("").startsWith("FAIL seeds=2 "), sabotaged);
        final String production = run(0, "simulate", "--seeds", "2", "--script", "ACTIVE_BEFORE_COVER");
        assertTrue(production.contains("PASS seeds=2 "), production);
        run(2, "simulate", "--seeds", "1", "--steps", "1000", "--script", "ACTIVE_BEFORE_COVER");
    }

    private static String run(final int expectedStatus, final String... args)
    {
        final PrintStream original = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final int status;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            status = JmirrorCli.execute(args);
        }
        finally
        {
            System.setOut(original);
        }
        final String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(expectedStatus, status, out);
        return out;
    }
}
