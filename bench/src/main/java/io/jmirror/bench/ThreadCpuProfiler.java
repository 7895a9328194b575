package io.jmirror.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;
import org.openjdk.jmh.runner.IterationType;

/**
 * Where a pipeline's CPU goes: for each measurement iteration, the CPU time each group of threads used per op, and
 * how many cores the whole process kept busy. A replication benchmark runs half a dozen threads (appender, member
 * session, receiver, dispatcher, workers) on the same cores, so its score is set by the sum of their costs per
 * record; this profiler shows that sum and its parts, which a wall-clock score cannot.
 * <pre>
 * java -jar bench/target/benchmarks.jar EndToEndBenchmark -prof io.jmirror.bench.ThreadCpuProfiler
 * </pre>
 * Results, per op: {@code cpu.process} (all threads of the forked JVM, JIT and GC included), {@code cpu.<group>}
 * for each group of live threads, {@code cpu.cores} (process CPU over wall time), and, on Linux, {@code cpu.stolen}:
 * the share of the machine's CPU time the hypervisor gave to other tenants during the iteration ({@link CpuTimes}).
 * Threads are grouped by name with trailing numbers and addresses removed ({@code jmirror-dejournal-worker-1} and
 * {@code -2} are one group; JMH's own benchmark threads are {@code benchmark}).
 * <p>
 * The CPU and wall time are read from before an iteration to after it, setup and teardown included, while JMH
 * counts ops in the measurement window only. A teardown that works (ShippingBenchmark purges both journals, up
 * to a second per 2 s iteration) adds its CPU to its thread's figure per op and its time to the wall time, so
 * {@code cpu.cores} then reads low.
 * <p>
 * The JVM forgets a thread's CPU time when the thread ends, and threads end inside iterations: the dejournalers
 * {@link DejournalBenchmark} starts per invocation, and in the last iteration every thread the trial's teardown
 * stops. So a sampler thread reads every thread's CPU time each {@value #SAMPLE_MS} ms during an iteration and the
 * last reading of a thread that ended stands for it: what such a thread used after its last reading is missing
 * from its group (it is still in {@code cpu.process}).
 */
public final class ThreadCpuProfiler implements InternalProfiler
{
    static final long SAMPLE_MS = 20;

    private static final Pattern TRAILING_ID = Pattern.compile("[-_#]?[0-9.:/]+$");

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
    private final Map<Long, Long> startCpuNs = new HashMap<>();
    private final Map<Long, Long> lastCpuNs = new ConcurrentHashMap<>();
    private final Map<Long, String> names = new ConcurrentHashMap<>();
    private volatile boolean isSampling;
    private Thread sampler;
    private long startProcessCpuNs;
    private long startWallNs;
    private CpuTimes startMachine;

    @Override
    public String getDescription()
    {
        return "CPU time per op by thread group, and cores kept busy (jmirror)";
    }

    @Override
    public void beforeIteration(final BenchmarkParams benchmarkParams, final IterationParams iterationParams)
    {
        startCpuNs.clear();
        lastCpuNs.clear();
        names.clear();
        sample();
        startCpuNs.putAll(lastCpuNs);
        isSampling = true;
        sampler = new Thread(this::sampleUntilStopped, "jmirror-cpu-sampler");
        sampler.setDaemon(true);
        sampler.start();
        startProcessCpuNs = os.getProcessCpuTime();
        startMachine = CpuTimes.read();
        startWallNs = System.nanoTime();
    }

    @Override
    public Collection<? extends Result> afterIteration(
        final BenchmarkParams benchmarkParams, final IterationParams iterationParams, final IterationResult result)
    {
        final long wallNs = System.nanoTime() - startWallNs;
        final long processCpuNs = os.getProcessCpuTime() - startProcessCpuNs;
        stopSampling();
        sample();
        final List<Result> results = new ArrayList<>();
        final long ops = result.getMetadata().getMeasuredOps();
        if (iterationParams.getType() != IterationType.MEASUREMENT || ops <= 0 || wallNs <= 0)
        {
            return results;
        }

        final Map<String, Long> groupCpuNs = new TreeMap<>();
        lastCpuNs.forEach((id, cpuNs) ->
        {
            final String name = names.get(id);
            if (null != name && !"jmirror-cpu-sampler".equals(name))
            {
                groupCpuNs.merge(group(name), cpuNs - startCpuNs.getOrDefault(id, 0L), Long::sum);
            }
        });

        // JMH's measured ops already count @OperationsPerInvocation: n ops per invocation.
        final double perOp = ops;
        results.add(new ScalarResult("cpu.process", processCpuNs / perOp, "ns/op", AggregationPolicy.AVG));
        results.add(new ScalarResult("cpu.cores", (double)processCpuNs / wallNs, "cores", AggregationPolicy.AVG));
        final CpuTimes machine = CpuTimes.read();
        if (null != startMachine && null != machine)
        {
            results.add(new ScalarResult("cpu.stolen", 100 * machine.stolenShareSince(startMachine), "%",
                AggregationPolicy.AVG));
        }
        groupCpuNs.forEach((group, usedNs) ->
        {
            if (usedNs > 0)
            {
                results.add(new ScalarResult("cpu." + group, usedNs / perOp, "ns/op", AggregationPolicy.AVG));
            }
        });
        return results;
    }

    private void sampleUntilStopped()
    {
        while (isSampling)
        {
            sample();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SAMPLE_MS));
        }
    }

    private void stopSampling()
    {
        isSampling = false;
        LockSupport.unpark(sampler);
        try
        {
            sampler.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Reads the CPU time of every live thread; a thread that has ended keeps its last reading.
     */
    private void sample()
    {
        for (final long id : threads.getAllThreadIds())
        {
            final long cpuNs = threads.getThreadCpuTime(id);
            if (cpuNs < 0)
            {
                continue;
            }
            if (!names.containsKey(id))
            {
                final ThreadInfo info = threads.getThreadInfo(id);
                if (null == info)
                {
                    continue;
                }
                names.put(id, info.getThreadName());
            }
            lastCpuNs.put(id, cpuNs);
        }
    }

    /**
     * @return the thread's group: its name without a trailing number or address; JMH's benchmark threads as one.
     */
    static String group(final String threadName)
    {
        if (threadName.contains("-jmh-worker-"))
        {
            return "benchmark";
        }
        String name = threadName;
        String stripped;
        while (!(stripped = TRAILING_ID.matcher(name).replaceFirst("")).equals(name) && !stripped.isEmpty())
        {
            name = stripped;
        }
        return name.replace(' ', '_');
    }
}
