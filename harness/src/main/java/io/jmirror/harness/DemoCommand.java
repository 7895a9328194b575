package io.jmirror.harness;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jmirror demo}: a primary, a backup and one DR async as separate processes on 127.0.0.1, a synthetic workload
 * with a live progress line, then quiesce, catch-up and the data check. Exit code 0 on PASS.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Start a primary, a backup and a DR async member as separate processes on 127.0.0.1, run a "
        + "synthetic workload with a live progress line, then quiesce, wait for catch-up and run the data check.",
        "The last line starts with PASS or FAIL; every process started is stopped."})
final class DemoCommand implements Callable<Integer>
{
    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
        description = "How long the workload runs (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--catch-up-timeout", defaultValue = "60s", converter = DurationConverter.class,
        description = "How long to wait for the members to apply everything (default: ${DEFAULT-VALUE}).")
    Duration catchUpTimeout;

    @Option(names = "--log-dir", description = "Keep the node logs here (default: not kept).")
    Path logDir;

    @Option(names = "--failover", description = "Two failover members and an arbiter: kill the primary mid-run, let "
        + "the backup take over and the old primary rejoin; check that no acknowledged commit is lost.")
    boolean failover;

    @Option(names = "--overstate-acks", defaultValue = "0", hidden = true,
        description = "With --failover: a broken primary that claims this many commits it never made (a control).")
    long overstateAcks;

    @Option(names = "--qos-timeout-ms", defaultValue = "2000",
        description = "With --failover: the QoS timeout (default: ${DEFAULT-VALUE}).")
    long qosTimeoutMs;

    @Mixin
    WorkloadOptions workload;

    @Mixin
    ClusterOptions cluster;

    private PrintStream out = System.out;

    DemoCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    @Override
    public Integer call() throws Exception
    {
        if (failover)
        {
            return failover();
        }
        workload.validate();
        final Path workDir = cluster.resolveWorkDir("jmirror-demo-");
        out.println("demo: primary, backup and dr1 on 127.0.0.1 for " + DurationConverter.format(duration) +
            " at " + (workload.rate == 0 ? "full speed" : workload.rate + " records/s") + "; data in " + workDir);
        out.println("demo: from another terminal, 'jmirror status " + workDir.resolve("backup") +
            " --watch' shows a node's counters");
        out.println("   time      rate  primary LSN | member transfer/dejournal lag (bytes, ms)");
        String line;
        boolean pass = false;
        try (Cluster nodes = new Cluster(workDir, ClusterOptions.members(true, 1), workload, 8000, cluster.workers,
            cluster.fileSize(), cluster.storeKind(), List.of()).metrics(cluster.metricsPorts()))
        {
            try
            {
                nodes.start();
                nodes.metricsUrls().forEach(out::println);
                final List<ClusterSample> samples;
                try (ProgressPrinter progress = new ProgressPrinter(nodes, out, 1000))
                {
                    Thread.sleep(duration.toMillis());
                    progress.status("quiescing, waiting for catch-up");
                    final Cluster.Checkpoint check = nodes.checkpoint(catchUpTimeout);
                    samples = progress.samples();
                    pass = check.caughtUp() && check.lostRecords() == 0 && check.digestMismatches() == 0;
                    final ClusterSample last = nodes.sample();
                    long violations = 0;
                    for (final ClusterSample.MemberSample member : last.members())
                    {
                        violations += member.violations();
                    }
                    pass &= violations == 0;
                    line = String.format(Locale.ROOT, "%s records=%d avgRate=%.0f/s lsn=%d members=%d caughtUp=%s " +
                        "dataCheck=%s nodes=%d orderViolations=%d commits=%d commitP50=%dus commitP99=%dus%s",
                        pass ? "PASS" : "FAIL", check.records(),
                        check.records() * 1000.0 / Math.max(1, duration.toMillis()), check.lsn(),
                        last.members().size(), check.caughtUp(), check.digestMismatches() == 0 ? "equal" :
                        check.digestMismatches() + "-globals-differ", check.nodes(), violations, check.commits(),
                        check.commitP50Us(), check.commitP99Us(),
                        check.details().isEmpty() ? "" : " details=" + check.details());
                }
                if (samples.isEmpty())
                {
                    out.println("demo: no progress sample was taken");
                }
            }
            catch (final RuntimeException ex)
            {
                line = "FAIL " + ex.getMessage();
            }
        }
        finally
        {
            cluster.cleanUp(logDir);
        }
        out.println(line);
        out.flush();
        return pass ? 0 : 1;
    }

    private int failover() throws Exception
    {
        final Path workDir = cluster.resolveWorkDir("jmirror-demo-failover-");
        out.println("demo --failover: node-a (primary) and node-b (backup) as processes, an arbiter, on 127.0.0.1 " +
            "for " + DurationConverter.format(duration) + "; QoS timeout " + qosTimeoutMs + " ms; data in " + workDir);
        String line;
        try
        {
            // One awaited transaction at a time: a rate the default workload's 20,000 records/s would not fit.
            line = new FailoverDemo(workDir, duration, qosTimeoutMs, (int)(workload.rate == 0 ? 2000 :
                Math.min(workload.rate, 2000)), out).overstateAcks(overstateAcks).metrics(cluster.metricsPorts())
                .store(cluster.storeKind())
                .run();
        }
        catch (final RuntimeException ex)
        {
            line = "FAIL " + ex.getMessage();
        }
        finally
        {
            cluster.cleanUp(logDir);
        }
        out.println(line);
        out.flush();
        return line.startsWith("PASS") ? 0 : 1;
    }
}
