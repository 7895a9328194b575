package io.jmirror.harness.sim;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code jmirror simulate}: run the failover decisions under generated faults (or a scripted fault phase,
 * {@link SimScenarios.Name}), deterministically, one seed after the other, and check the invariants after every step.
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

    @Option(names = "--script", description = "Replace the generated faults with a scripted fault phase: " +
        "${COMPLETION-CANDIDATES}. A seed whose run does not reach every step of the script fails.")
    SimScenarios.Name script;

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
        checkScriptFits();
        if (null != seed)
        {
            final SimScript plan = null == script ? null : script.newScript();
            final SimResult result = run(seed, plan);
            final String failure = failure(result, plan);
            if (null != failure)
            {
                out.println("trace of seed " + seed + " (last " + result.trace().size() + " events):");
                result.trace().forEach(line -> out.println("  " + line));
            }
            out.println(summary(null == failure, 1, result.steps(), result.failovers(), result.acked(),
                result.crashes()) + " seed=" + seed + " trace=" + Long.toHexString(result.traceHash()) +
                (null == failure ? "" : " violation=\"" + failure + "\""));
            return null == failure ? 0 : 1;
        }
        long totalSteps = 0;
        long failovers = 0;
        long acked = 0;
        long crashes = 0;
        int failed = 0;
        for (long s = start; s < start + seeds; s++)
        {
            final SimScript plan = null == script ? null : script.newScript();
            final SimResult result = run(s, plan);
            final String failure = failure(result, plan);
            totalSteps += result.steps();
            failovers += result.failovers();
            acked += result.acked();
            crashes += result.crashes();
            if (null != failure)
            {
                failed++;
                out.println("FAIL seed=" + s + " step=" + result.failStep() + " violation=\"" + failure +
                    "\" replay: simulate --seed " + s + " --steps " + steps +
                    (sabotage == Sabotage.NONE ? "" : " --sabotage " + sabotage) +
                    (null == script ? "" : " --script " + script) +
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

    private void checkScriptFits()
    {
        final long boundMs = null == script ? 0 : script.newScript().boundMs();
        if (steps * options(0).stepMs() < boundMs)
        {
            throw new IllegalArgumentException("--steps too few to hold the script: steps=" + steps + " stepMs=" +
                options(0).stepMs() + " script=" + script + " scriptBoundMs=" + boundMs);
        }
    }

    private SimResult run(final long runSeed, final SimScript plan)
    {
        return null == plan ? new Simulation(options(runSeed)).run() : new Simulation(options(runSeed), plan).run();
    }

    /**
     * @return the violation; else, when a script did not reach one of its steps, that; else null.
     */
    private static String failure(final SimResult result, final SimScript plan)
    {
        if (!result.isPass())
        {
            return result.violation();
        }
        return null == plan || null == plan.stuck() ? null : "script stuck at " + plan.stuck();
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
