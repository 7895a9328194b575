package io.jmirror.harness;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jmirror soak}: a mirror with failover (two failover members, an arbiter and a DR async, each a process)
 * under a fault plan of kills, partitions, stalls and journal damage, its application's history checked at
 * checkpoints ({@link FailoverSoak}); or, with {@code --no-failover}, a workload against a fixed primary, a backup and
 * asyncs under link and member faults. Either way a JSON and HTML report. Exit code 0 on PASS, 1 on FAIL.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = {"Run a mirror with failover (two failover members, an arbiter, a DR async; each its own process "
        + "on 127.0.0.1) while injecting faults; at checkpoints quiesce, wait for catch-up, compare digests and check "
        + "every acknowledged commit against the application's history.",
        "With --no-failover: a fixed primary, a backup and async members under link and member faults.",
        "Without fault options every fault kind is injected once a minute.",
        "The last line starts with PASS or FAIL; the exit code is 0 on PASS."})
final class SoakCommand implements Callable<Integer>
{
    /** A failover soak's journal retention with RocksDB stores, when none is given. */
    static final Duration FAILOVER_ROCKSDB_RETAIN = Duration.ofSeconds(30);

    /** How long a cut waits for its member to be connected: a member restarted by a kill takes a second or two. */
    private static final long CUT_WAIT_MS = 15_000;
    private static final long CUT_RETRY_MS = 200;

    @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class,
        description = "How long the workload runs (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--report", defaultValue = "soak-report", description = "Folder for report.json, report.html and "
        + "the node logs (default: ${DEFAULT-VALUE}).")
    Path report;

    @Option(names = "--no-backup", description = "Run without a backup member.")
    boolean noBackup;

    @Option(names = "--asyncs", defaultValue = "1", description = "DR async members (default: ${DEFAULT-VALUE}).")
    int asyncs;

    @Option(names = "--fault", description = "A fault and how often: KIND=PERIOD, KIND one of kill-primary, "
        + "kill-arbiter, partition, one-way, stall-primary, bit-flip, torn-write (with --no-failover: kill, drop, "
        + "blackhole, delay, stall-acks, cut); e.g. --fault kill-primary=20s. Repeatable. Default: every kind every "
        + "60s.")
    List<String> faults = new ArrayList<>();

    @Option(names = "--no-failover", description = "The soak without failover: a fixed primary, a backup (unless "
        + "--no-backup) and --asyncs members, under kill, drop, blackhole, delay, stall-acks and cut.")
    boolean noFailover;

    @Option(names = "--txn-rate", defaultValue = "200", description = "Transactions per second of the failover "
        + "soak's application, each awaited (default: ${DEFAULT-VALUE}).")
    int txnRate;

    @Option(names = "--no-dr", description = "The failover soak without its DR async member.")
    boolean noDr;

    @Option(names = "--overstate-acks", defaultValue = "0", hidden = true,
        description = "The first primary's history claims this many commits it never made: proves the checker fails.")
    long overstateAcks;

    @Option(names = "--no-faults", description = "Inject nothing: a plain soak.")
    boolean noFaults;

    @Option(names = "--checkpoint-every", defaultValue = "20s", converter = DurationConverter.class,
        description = "Quiesce and verify this often, and once at the end (default: ${DEFAULT-VALUE}).")
    Duration checkpointEvery;

    @Option(names = "--catch-up-timeout", defaultValue = "60s", converter = DurationConverter.class,
        description = "How long a checkpoint waits for members to apply everything (default: ${DEFAULT-VALUE}).")
    Duration catchUpTimeout;

    @Option(names = "--qos-timeout", defaultValue = "2s", converter = DurationConverter.class,
        description = "QoS timeout of the primary and members; ack stalls and blackholes last longer than this "
            + "(default: ${DEFAULT-VALUE}).")
    Duration qosTimeout;

    @Option(names = "--journal-retain", converter = DurationConverter.class,
        description = "Failover soak: every node's journal keeps the files written within this long and purges the "
            + "rest it no longer needs (never what its store's checkpoint still needs). Default 30s with RocksDB "
            + "stores, which resume at their checkpoint after a kill, so disk use stays flat; 24h with --store "
            + "memory, whose stores are rebuilt from the whole journal after a kill.")
    Duration journalRetain;

    @Option(names = "--purge-interval", defaultValue = "10s", converter = DurationConverter.class,
        description = "Failover soak: how often every node purges its journal (default: ${DEFAULT-VALUE}).")
    Duration purgeInterval;

    @Option(names = "--sabotage-skip-every", defaultValue = "0", hidden = true,
        description = "Members drop every n-th SET: proves the verification catches a broken member.")
    long sabotageSkipEvery;

    @Mixin
    WorkloadOptions workload;

    @Mixin
    ClusterOptions cluster;

    private PrintStream out = System.out;

    SoakCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    @Override
    public Integer call() throws Exception
    {
        workload.validate();
        if (!noFailover)
        {
            return failover();
        }
        if (noBackup && asyncs < 1)
        {
            throw new IllegalArgumentException("a soak needs at least one member: drop --no-backup or add --asyncs");
        }
        if (asyncs < 0 || asyncs > 14)
        {
            throw new IllegalArgumentException("--asyncs must be 0 to 14: " + asyncs);
        }
        final FaultPlan plan = plan(false);
        final long durationMs = duration.toMillis();
        final List<SoakTimeline.Event> events = SoakTimeline.of(plan, durationMs, checkpointEvery.toMillis());

        final Map<String, Object> settings = settings(plan);
        out.println("soak: " + settings);
        final Random random = new Random(workload.seed);
        final List<FaultEvent> injected = new ArrayList<>();
        final List<Cluster.Checkpoint> checkpoints = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        List<ClusterSample> samples = List.of();
        long records = 0;
        long violations = 0;
        final Path workDir = cluster.resolveWorkDir("jmirror-soak-");
        try (Cluster nodes = new Cluster(workDir, ClusterOptions.members(!noBackup, asyncs), workload,
            qosTimeout.toMillis(), cluster.workers, cluster.fileSize(), cluster.storeKind(),
            sabotageSkipEvery > 0 ? List.of("--skip-every", String.valueOf(sabotageSkipEvery)) : List.of())
            .metrics(cluster.metricsPorts()))
        {
            ProgressPrinter progress = null;
            try
            {
                nodes.start();
                nodes.metricsUrls().forEach(out::println);
                progress = new ProgressPrinter(nodes, out, 5000);
                for (final SoakTimeline.Event event : events)
                {
                    sleepUntil(nodes, event.atMs());
                    if (null == event.fault())
                    {
                        progress.status("checkpoint");
                        checkpoints.add(print(nodes.checkpoint(catchUpTimeout)));
                    }
                    else
                    {
                        progress.status(event.fault().optionName());
                        final FaultEvent fault = inject(nodes, event.fault(), random);
                        if (null != fault)
                        {
                            injected.add(fault);
                        }
                    }
                    progress.status("");
                }
                sleepUntil(nodes, durationMs);
                progress.status("final checkpoint");
                checkpoints.add(print(nodes.checkpoint(catchUpTimeout)));
            }
            catch (final RuntimeException ex)
            {
                problems.add("run stopped: " + ex.getMessage());
                out.println("soak: run stopped: " + ex.getMessage());
            }
            finally
            {
                if (null != progress)
                {
                    progress.close();
                    samples = progress.samples();
                }
            }
            final ClusterSample last = nodes.sample();
            records = last.records();
            for (final ClusterSample.MemberSample member : last.members())
            {
                violations += member.violations();
            }
        }
        finally
        {
            cluster.cleanUp(report);
        }

        if (!checkpoints.isEmpty())
        {
            // The last checkpoint's count: taken quiesced, so it is exactly what was verified.
            records = checkpoints.get(checkpoints.size() - 1).records();
        }
        long lost = 0;
        long mismatches = 0;
        for (final Cluster.Checkpoint checkpoint : checkpoints)
        {
            lost += checkpoint.lostRecords();
            mismatches += checkpoint.digestMismatches();
            if (!checkpoint.caughtUp())
            {
                problems.add("checkpoint at " + checkpoint.elapsedMs() / 1000 + "s did not catch up");
            }
        }
        SoakTimeline.checkRun(events, injected.size(), checkpoints.size(), problems);
        final boolean pass = problems.isEmpty() && lost == 0 && violations == 0 && mismatches == 0;
        final String line = String.format(Locale.ROOT, "%s records=%d faults=%d lost=%d orderViolations=%d " +
            "digestMismatches=%d checkpoints=%d report=%s%s", pass ? "PASS" : "FAIL", records, injected.size(), lost,
            violations, mismatches, checkpoints.size(), report.resolve("report.html"),
            problems.isEmpty() ? "" : " problems=\"" + String.join("; ", problems) + "\"");
        final SoakResult result = new SoakResult(pass, records, injected.size(), lost, violations, mismatches,
            checkpoints.size(), line);
        new SoakReport(settings, samples, injected, checkpoints, result).write(report);
        out.println(line);
        out.flush();
        return pass ? 0 : 1;
    }

    private FaultPlan plan(final boolean failover)
    {
        return noFaults ? FaultPlan.none() : faults.isEmpty() ? FaultPlan.defaults(failover) :
            FaultPlan.parse(faults, failover);
    }

    private int failover() throws Exception
    {
        if (txnRate < 1 || txnRate > 100_000)
        {
            throw new IllegalArgumentException("--txn-rate must be 1 to 100000: " + txnRate);
        }
        final FaultPlan plan = plan(true);
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("mode", "failover");
        settings.put("duration", DurationConverter.format(duration));
        settings.put("dr", !noDr);
        settings.put("qosTimeout", DurationConverter.format(qosTimeout));
        settings.put("checkpointEvery", DurationConverter.format(checkpointEvery));
        settings.put("txnRate", txnRate);
        settings.put("rollbackPercent", workload.rollbackPercent);
        settings.put("seed", workload.seed);
        settings.put("faults", faultsText(plan));
        settings.put("store", cluster.storeKind().optionName());
        settings.put("fileSize", cluster.failoverFileSize());
        settings.put("journalRetain", DurationConverter.format(failoverJournalRetain()));
        settings.put("purgeInterval", DurationConverter.format(purgeInterval));
        out.println("soak: " + settings);
        final MetricsPorts metrics = cluster.metricsPorts();
        final Path workDir = cluster.resolveWorkDir("jmirror-soak-");
        final long startMs = System.currentTimeMillis();
        final FailoverSoak.Outcome outcome;
        try
        {
            outcome = new FailoverSoak(new FailoverCluster.Settings(workDir, qosTimeout.toMillis(), txnRate,
                workload.rollbackPercent, !noDr, true, overstateAcks), duration, plan, checkpointEvery,
                catchUpTimeout, workload.seed, report, out).journal(cluster.failoverFileSize(),
                failoverJournalRetain().toMillis(), purgeInterval.toMillis()).store(cluster.storeKind())
                .metrics(metrics).run();
        }
        finally
        {
            cluster.cleanUp(report);
        }
        new SoakFailoverReport(settings, outcome, startMs).write(report);
        out.println(outcome.line());
        out.flush();
        return outcome.pass() ? 0 : 1;
    }

    /**
     * @return the retention given, or the store's default: a RocksDB store resumes at its checkpoint, so its node's
     * journal may be purged down to a short retention; an in-memory store is rebuilt from the whole journal.
     */
    Duration failoverJournalRetain()
    {
        if (null != journalRetain)
        {
            return journalRetain;
        }
        return cluster.storeKind() == StoreKind.ROCKSDB ? FAILOVER_ROCKSDB_RETAIN : Duration.ofHours(24);
    }

    private static String faultsText(final FaultPlan plan)
    {
        final StringBuilder faultText = new StringBuilder();
        plan.periods().forEach((kind, period) -> faultText.append(faultText.length() == 0 ? "" : ",")
            .append(kind.optionName()).append('=').append(DurationConverter.format(period)));
        return faultText.length() == 0 ? "none" : faultText.toString();
    }

    private Map<String, Object> settings(final FaultPlan plan)
    {
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("duration", DurationConverter.format(duration));
        settings.put("backup", !noBackup);
        settings.put("asyncs", asyncs);
        settings.put("workers", cluster.workers);
        settings.put("store", cluster.storeKind().optionName());
        settings.put("qosTimeout", DurationConverter.format(qosTimeout));
        settings.put("checkpointEvery", DurationConverter.format(checkpointEvery));
        settings.put("faults", faultsText(plan));
        final List<String> args = workload.toArguments();
        for (int i = 0; i < args.size(); i += 2)
        {
            settings.put(args.get(i).substring(2), args.get(i + 1));
        }
        return settings;
    }

    private Cluster.Checkpoint print(final Cluster.Checkpoint checkpoint)
    {
        out.println(String.format(Locale.ROOT, "checkpoint at %ds: lsn=%d records=%d nodes=%d caughtUp=%s lost=%d " +
            "digestMismatches=%d commits=%d commitP50=%dus commitP99=%dus%s", checkpoint.elapsedMs() / 1000,
            checkpoint.lsn(), checkpoint.records(), checkpoint.nodes(), checkpoint.caughtUp(),
            checkpoint.lostRecords(), checkpoint.digestMismatches(), checkpoint.commits(), checkpoint.commitP50Us(),
            checkpoint.commitP99Us(), checkpoint.details().isEmpty() ? "" : " " + checkpoint.details()));
        return checkpoint;
    }

    /**
     * Inject one fault and heal it; the soak runs faults one at a time.
     */
    private FaultEvent inject(final Cluster nodes, final FaultKind kind, final Random random)
    {
        final List<Cluster.MemberSpec> members = nodes.specs();
        Cluster.MemberSpec target = members.get(random.nextInt(members.size()));
        if (kind == FaultKind.STALL_ACKS && members.get(0).role() == io.jmirror.shipper.MemberRole.BACKUP)
        {
            target = members.get(0); // the backup is where a stall matters: QoS demotion and re-promotion
        }
        final String name = target.name();
        final long holdMs = qosTimeout.toMillis() + 1000;
        final long startMs = nodes.elapsedMs();
        String detail;
        try
        {
            switch (kind)
            {
                case KILL ->
                {
                    nodes.killMember(name);
                    Thread.sleep(1000);
                    nodes.restartMember(name);
                    detail = "killed with SIGKILL, restarted after 1s";
                }
                case DROP -> detail = "dropped " + nodes.proxy(name).drop() + " connection(s)";
                case BLACKHOLE ->
                {
                    nodes.proxy(name).blackhole(true);
                    Thread.sleep(holdMs);
                    nodes.proxy(name).blackhole(false);
                    detail = "link silent for " + holdMs + " ms";
                }
                case DELAY ->
                {
                    nodes.proxy(name).delayMs(20);
                    Thread.sleep(3000);
                    nodes.proxy(name).delayMs(0);
                    detail = "each chunk held 20 ms for 3000 ms";
                }
                case STALL_ACKS ->
                {
                    nodes.stallAcks(name, true);
                    Thread.sleep(holdMs);
                    nodes.stallAcks(name, false);
                    detail = "acks stalled for " + holdMs + " ms";
                }
                case CUT -> detail = cut(nodes, name);
                default -> throw new IllegalStateException("unknown fault: " + kind);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted injecting " + kind.optionName(), ex);
        }
        catch (final java.io.IOException ex)
        {
            throw new IllegalStateException(kind.optionName() + " on " + name + " failed: " + ex, ex);
        }
        out.println(String.format(Locale.ROOT, "fault at %ds: %s on %s: %s", startMs / 1000, kind.optionName(), name,
            null == detail ? "not injected: no session to cut within " + CUT_WAIT_MS + " ms" : detail));
        return null == detail ? null : new FaultEvent(startMs, nodes.elapsedMs(), kind, name, detail);
    }

    /**
     * Has the primary cut the member's session. A member still reconnecting after an earlier fault has none yet, so
     * this retries for a while; a cut that never found a session is not counted as injected.
     *
     * @return what happened, or null when there was no session to cut.
     */
    private static String cut(final Cluster nodes, final String name) throws InterruptedException
    {
        final long deadlineMs = nodes.elapsedMs() + CUT_WAIT_MS;
        int attempts = 1;
        while (!nodes.cutSession(name))
        {
            if (nodes.elapsedMs() >= deadlineMs)
            {
                return null;
            }
            Thread.sleep(CUT_RETRY_MS);
            attempts++;
        }
        return attempts == 1 ? "session cut by the primary" :
            "session cut by the primary (found connected on attempt " + attempts + ")";
    }

    private static void sleepUntil(final Cluster nodes, final long atMs)
    {
        final long waitMs = atMs - nodes.elapsedMs();
        if (waitMs > 0)
        {
            try
            {
                Thread.sleep(waitMs);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", ex);
            }
        }
    }
}
