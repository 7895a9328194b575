package io.jmirror.harness.sim;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code jmirror simulate}: run the failover decisions under generated faults, deterministically, one seed after the
 * other, and check the invariants after every step.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Deterministic failover simulation: --seeds N runs seeds S..S+N-1; --seed S replays one with its " +
        "trace.")
public final class SimulateCommand implements Callable<Integer>
{
    private static final String ENGINE_LOG_LEVEL = "org.slf4j.simpleLogger.log.io.jmirror";

    @Option(names = "--seeds", defaultValue = "100", description = "How many seeds (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--start", defaultValue = "1", description = "First seed (default: ${DEFAULT-VALUE}).")
    long start;

    @Option(names = "--seed", description = "Replay this one seed and print its trace on failure.")
    Long seed;

    @Option(names = "--steps", defaultValue = "" + SimOptions.STEPS_DEFAULT,
        description = "Steps with faults per seed, 10 ms each (default: ${DEFAULT-VALUE}); a heal phase follows.")
    int steps;

    @Option(names = "--sabotage", defaultValue = "NONE", description = "Reintroduce a known mistake to see the " +
        "checkers catch it: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Sabotage sabotage;

    @Option(names = "--machine-crashes", description = "Some member crashes are machine crashes: the journal loses " +
        "what it had not made durable, its last record may be torn.")
    boolean machineCrashes;

    @Option(names = "--async", defaultValue = "" + SimOptions.ASYNC_DEFAULT, description = "DR async members, which " +
        "follow whoever is primary and are not waited for (default: ${DEFAULT-VALUE}).")
    int asyncMembers;

    @Override
    public Integer call()
    {
        final PrintStream out = System.out;
        quietEngineLogs();
        if (steps <= 0 || (null == seed && seeds <= 0))
        {
            throw new IllegalArgumentException("--steps and --seeds must be positive: steps=" + steps + " seeds=" +
                seeds);
        }
        if (null != seed)
        {
            final SimResult result = new Simulation(options(seed)).run();
            if (!result.isPass())
            {
                out.println("trace of seed " + seed + " (last " + result.trace().size() + " events):");
                result.trace().forEach(line -> out.println("  " + line));
            }
            out.println(summary(result.isPass(), 1, result.steps(), result.failovers(), result.acked(),
                result.crashes()) + " seed=" + seed + " trace=" + Long.toHexString(result.traceHash()) +
                (result.isPass() ? "" : " violation=\"" + result.violation() + "\""));
            return result.isPass() ? 0 : 1;
        }
        long totalSteps = 0;
        long failovers = 0;
        long acked = 0;
        long crashes = 0;
        int failed = 0;
        for (long s = start; s < start + seeds; s++)
        {
            final SimResult result = new Simulation(options(s)).run();
            totalSteps += result.steps();
            failovers += result.failovers();
            acked += result.acked();
            crashes += result.crashes();
            if (!result.isPass())
            {
                failed++;
                out.println("FAIL seed=" + s + " step=" + result.failStep() + " violation=\"" + result.violation() +
                    "\" replay: simulate --seed " + s + " --steps " + steps +
                    (sabotage == Sabotage.NONE ? "" : " --sabotage " + sabotage) +
                    (machineCrashes ? " --machine-crashes" : "") +
                    (asyncMembers == SimOptions.ASYNC_DEFAULT ? "" : " --async " + asyncMembers));
            }
        }
        out.println(summary(0 == failed, seeds, totalSteps, failovers, acked, crashes) + " failedSeeds=" + failed +
            " start=" + start);
        return 0 == failed ? 0 : 1;
    }

    /**
     * The engine's classes log their state changes; here thousands of runs would bury the result lines, and the trace
     * tells the story of a failing seed. Effective for loggers not yet made, unless the user chose a level.
     */
    private static void quietEngineLogs()
    {
        if (null == System.getProperty(ENGINE_LOG_LEVEL))
        {
            System.setProperty(ENGINE_LOG_LEVEL, "off");
        }
    }

    private SimOptions options(final long runSeed)
    {
        return SimOptions.of(runSeed, steps).withSabotage(sabotage).withMachineCrashes(machineCrashes)
            .withAsyncMembers(asyncMembers);
    }

    private static String summary(
        final boolean pass, final long seeds, final long steps, final long failovers, final long acked,
        final long crashes)
    {
        return (pass ? "PASS" : "FAIL") + " seeds=" + seeds + " steps=" + steps + " failovers=" + failovers +
            " ackedWrites=" + acked + " crashes=" + crashes;
    }
}
