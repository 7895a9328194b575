package io.jmirror.harness;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The failover soak: a {@link FailoverCluster} under a fault plan of kills, partitions, stalls and journal damage,
 * its application's {@link WorkloadHistory} checked at each checkpoint and at the end. At a checkpoint the application
 * is quiesced on whichever node is primary; every other node must apply up to the primary's journal end, hold the
 * same digests and the same journal bytes; the history must agree with the primary's store
 * ({@link WorkloadHistoryChecker}); and the epoch rules must hold over the whole run ({@link SoakSampler}).
 */
final class FailoverSoak
{
    /**
     * One checkpoint.
     *
     * @param elapsedMs        from the start of the run.
     * @param primary          the node that was primary.
     * @param epoch            its epoch.
     * @param lsn              its journal end, quiesced.
     * @param caughtUp         every other node applied up to {@code lsn} in time.
     * @param digestMismatches globals whose digest differs from the primary's, summed over nodes.
     * @param journalMismatches nodes whose journal bytes up to {@code lsn} differ from the primary's.
     * @param history          the history check.
     * @param details          what differed.
     */
    record Checkpoint(long elapsedMs, String primary, long epoch, long lsn, boolean caughtUp, long digestMismatches,
        long journalMismatches, WorkloadHistoryChecker.Result history, List<String> details)
    {
    }

    /**
     * What the run found.
     *
     * @param pass        the verdict.
     * @param line        the final line.
     * @param faults      the faults injected.
     * @param checkpoints the checkpoints.
     * @param samples     the sampler's samples.
     * @param history     the whole history, for the report's per-second figures.
     * @param problems    what else went wrong.
     * @param disk        each node's disk use over the run, and whether it stayed flat.
     */
    record Outcome(boolean pass, String line, List<FaultEvent> faults, List<Checkpoint> checkpoints,
        List<SoakSampler.NodeSample> samples, List<WorkloadHistory.Op> history, List<String> problems,
        SoakDisk.Verdict disk)
    {
    }

    private final FailoverCluster.Settings settings;
    private final Duration duration;
    private final FaultPlan plan;
    private final Duration checkpointEvery;
    private final Duration catchUpTimeout;
    private final long seed;
    private final PrintStream out;
    private final Path reportDir;
    private long fileSize = 64L * 1024 * 1024;
    private long retainMs = java.util.concurrent.TimeUnit.HOURS.toMillis(24);
    private long purgeIntervalMs = 10_000;
    private MetricsPorts metricsPorts = MetricsPorts.none();
    private StoreKind store = StoreKind.ROCKSDB;

    FailoverSoak(final FailoverCluster.Settings settings, final Duration duration, final FaultPlan plan,
        final Duration checkpointEvery, final Duration catchUpTimeout, final long seed, final Path reportDir,
        final PrintStream out)
    {
        this.settings = settings;
        this.duration = duration;
        this.plan = plan;
        this.checkpointEvery = checkpointEvery;
        this.catchUpTimeout = catchUpTimeout;
        this.seed = seed;
        this.reportDir = reportDir;
        this.out = out;
    }

    /**
     * @param fileSize        the nodes' journal file size.
     * @param retainMs        how long their journals keep a file after it was written.
     * @param purgeIntervalMs how often they purge.
     * @return this.
     */
    FailoverSoak journal(final long fileSize, final long retainMs, final long purgeIntervalMs)
    {
        this.fileSize = fileSize;
        this.retainMs = retainMs;
        this.purgeIntervalMs = purgeIntervalMs;
        return this;
    }

    /**
     * @param store the nodes' store.
     * @return this.
     */
    FailoverSoak store(final StoreKind store)
    {
        this.store = store;
        return this;
    }

    /**
     * @param ports where the nodes and the arbiter serve their meters.
     * @return this.
     */
    FailoverSoak metrics(final MetricsPorts ports)
    {
        this.metricsPorts = ports;
        return this;
    }

    Outcome run() throws IOException
    {
        final long durationMs = duration.toMillis();
        final List<SoakTimeline.Event> events = SoakTimeline.of(plan, durationMs, checkpointEvery.toMillis());
        final List<FaultEvent> injected = new ArrayList<>();
        final List<Checkpoint> checkpoints = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        List<SoakSampler.NodeSample> samples = List.of();
        List<String> epochProblems = List.of();
        List<WorkloadHistory.Op> history = List.of();
        long failovers = 0;
        FaultInjector faults = null;
        try (FailoverCluster cluster = new FailoverCluster(settings).journal(fileSize, retainMs, purgeIntervalMs)
            .store(store).metrics(metricsPorts))
        {
            cluster.start();
            metricsPorts.urls().forEach(out::println);
            faults = new FaultInjector(cluster, seed);
            final long startMs = System.currentTimeMillis();
            try (SoakSampler sampler = new SoakSampler(cluster, out, startMs))
            {
                try
                {
                    for (final String name : cluster.names())
                    {
                        cluster.node(name).call("resume", FailoverCluster.CALL);
                    }
                    for (final SoakTimeline.Event event : events)
                    {
                        sleepUntil(startMs, event.atMs());
                        final long atMs = System.currentTimeMillis() - startMs;
                        if (null == event.fault())
                        {
                            sampler.status("checkpoint");
                            checkpoints.add(print(checkpoint(cluster, sampler, faults, atMs)));
                        }
                        else
                        {
                            sampler.status(event.fault().optionName());
                            final FaultInjector.Injected what = faults.inject(event.fault());
                            final FaultEvent fault = new FaultEvent(atMs, System.currentTimeMillis() - startMs,
                                event.fault(), what.where(), what.detail());
                            out.println(String.format(Locale.ROOT, "fault at %ds: %s on %s: %s", atMs / 1000,
                                fault.kind().optionName(), fault.member(), fault.detail()));
                            injected.add(fault);
                        }
                        sampler.status("");
                    }
                    sleepUntil(startMs, durationMs);
                    sampler.status("final checkpoint");
                    checkpoints.add(print(checkpoint(cluster, sampler, faults, System.currentTimeMillis() -
                        startMs)));
                }
                catch (final RuntimeException ex)
                {
                    problems.add("run stopped: " + ex.getMessage());
                    out.println("soak: run stopped: " + ex.getMessage());
                }
                finally
                {
                    sampler.close();
                    samples = sampler.samples();
                    epochProblems = sampler.epochProblems();
                    failovers = sampler.failovers();
                }
            }
            history = WorkloadHistory.read(cluster.names().stream().map(cluster::historyFile).toList());
        }
        return verdict(events, injected, checkpoints, problems, samples, epochProblems, history, failovers,
            faults);
    }

    private Outcome verdict(final List<SoakTimeline.Event> events, final List<FaultEvent> injected,
        final List<Checkpoint> checkpoints, final List<String> problems, final List<SoakSampler.NodeSample> samples,
        final List<String> epochProblems, final List<WorkloadHistory.Op> history, final long failovers,
        final FaultInjector faults)
    {
        final List<String> all = new ArrayList<>(problems);
        all.addAll(epochProblems);
        if (null != faults)
        {
            all.addAll(faults.problems());
        }
        long mismatches = 0;
        long journalMismatches = 0;
        for (final Checkpoint checkpoint : checkpoints)
        {
            mismatches += checkpoint.digestMismatches();
            journalMismatches += checkpoint.journalMismatches();
            if (!checkpoint.caughtUp())
            {
                all.add("checkpoint at " + checkpoint.elapsedMs() / 1000 + "s did not catch up");
            }
        }
        SoakTimeline.checkRun(events, injected.size(), checkpoints.size(), all);
        final SoakDisk.Verdict disk = SoakDisk.verdict(samples, retainMs, purgeIntervalMs, fileSize);
        if (null != disk.problem())
        {
            all.add(disk.problem());
        }
        // The last checkpoint's history check covers the whole run: the history only grows.
        final WorkloadHistoryChecker.Result last = checkpoints.isEmpty() ? null :
            checkpoints.get(checkpoints.size() - 1).history();
        final long lostAcked = null == last ? 0 : maxOver(checkpoints, WorkloadHistoryChecker.Result::lostAcked);
        final long order = null == last ? 0 : maxOver(checkpoints, WorkloadHistoryChecker.Result::orderViolations);
        final long phantoms = null == last ? 0 : maxOver(checkpoints, WorkloadHistoryChecker.Result::phantoms);
        final long halves = null == last ? 0 : maxOver(checkpoints, WorkloadHistoryChecker.Result::halves);
        final long epochViolations = epochProblems.size() +
            (null == last ? 0 : maxOver(checkpoints, WorkloadHistoryChecker.Result::epochViolations));
        final List<Long> takeovers = null == faults ? List.of() : faults.takeoverMs().stream().sorted().toList();
        if (failovers == 0 && injected.stream().anyMatch((f) -> f.kind() == FaultKind.KILL_PRIMARY))
        {
            all.add("the primary was killed but no failover happened");
        }
        final boolean pass = all.isEmpty() && lostAcked == 0 && order == 0 && phantoms == 0 && halves == 0 &&
            epochViolations == 0 && mismatches == 0 && journalMismatches == 0;
        final String line = String.format(Locale.ROOT, "%s failovers=%d lostAcked=%d orderViolations=%d " +
            "digestMismatches=%d journalMismatches=%d takeoverP50Ms=%d takeoverMaxMs=%d acked=%d indeterminate=%d " +
            "phantoms=%d halves=%d " +
            "epochViolations=%d noTakeover=%d rebuilt=%d faults=%d checkpoints=%d %s report=%s%s%s",
            pass ? "PASS" : "FAIL", failovers, lostAcked,
            order, mismatches, journalMismatches, takeovers.isEmpty() ? 0 : takeovers.get((takeovers.size() - 1) / 2),
            takeovers.isEmpty() ? 0 : takeovers.get(takeovers.size() - 1), null == last ? 0 : last.acknowledged(),
            null == last ? 0 : last.indeterminate(), phantoms, halves, epochViolations,
            null == faults ? 0 : faults.noTakeover(), null == faults ? 0 : faults.rebuilt(), injected.size(),
            checkpoints.size(), disk.text(), reportDir.resolve("report.html"),
            all.isEmpty() ? "" : " problems=\"" + String.join("; ", all) + "\"",
            null == faults || faults.rebuilds().isEmpty() ? "" : " rebuilds=\"" + String.join("; ",
            faults.rebuilds()) + "\"");
        return new Outcome(pass, line, injected, checkpoints, samples, history, all, disk);
    }

    private static long maxOver(final List<Checkpoint> checkpoints,
        final java.util.function.ToLongFunction<WorkloadHistoryChecker.Result> count)
    {
        return checkpoints.stream().mapToLong((c) -> count.applyAsLong(c.history())).max().orElse(0);
    }

    private Checkpoint checkpoint(final FailoverCluster cluster, final SoakSampler sampler,
        final FaultInjector faults, final long elapsedMs) throws IOException
    {
        faults.settle();
        final String primary = cluster.primary();
        if (null == primary)
        {
            throw new IllegalStateException("no primary at the checkpoint at " + elapsedMs / 1000 + "s");
        }
        sampler.quiesced(true);
        try
        {
            final NodeProcess node = cluster.node(primary);
            node.call("pause", FailoverCluster.CALL);
            final String role = FailoverCluster.last(node.call("role", FailoverCluster.CALL));
            final long tail = cluster.applied(primary)[0];
            final List<String> details = new ArrayList<>();
            boolean caughtUp = true;
            long mismatches = 0;
            long journalMismatches = 0;
            final List<String> compared = new ArrayList<>();
            final Map<String, String> expected = DigestLines.parse(node.call("digests", FailoverCluster.CALL));
            for (final String name : cluster.names())
            {
                if (name.equals(primary))
                {
                    continue;
                }
                if (!awaitApplied(cluster, name, tail))
                {
                    caughtUp = false;
                    details.add(name + ": applied " + appliedText(cluster, name) + " did not reach " + tail +
                        " within " + DurationConverter.format(catchUpTimeout));
                    continue;
                }
                final List<String> differences = DigestLines.differences(expected,
                    DigestLines.parse(cluster.node(name).call("digests", FailoverCluster.CALL)));
                mismatches += differences.size();
                for (int i = 0; i < Math.min(5, differences.size()); i++)
                {
                    details.add(name + ": " + differences.get(i));
                }
                compared.add(name);
            }
            journalMismatches = journalMismatches(cluster, primary, compared, tail, details);
            final Path dump = cluster.workDir().resolve("store-" + elapsedMs + ".dump");
            node.call("dump " + dump, FailoverCluster.CALL);
            final WorkloadHistoryChecker.Result history = WorkloadHistoryChecker.check(
                WorkloadHistory.read(cluster.names().stream().map(cluster::historyFile).toList()),
                WorkloadStoreDump.read(dump));
            java.nio.file.Files.deleteIfExists(dump);
            details.addAll(history.details());
            return new Checkpoint(elapsedMs, primary, Long.parseLong(NodeProcess.field(role, "epoch")), tail,
                caughtUp, mismatches, journalMismatches, history, details);
        }
        finally
        {
            sampler.quiesced(false);
            final NodeProcess node = cluster.node(primary);
            if (node.isAlive())
            {
                node.call("resume", FailoverCluster.CALL);
            }
        }
    }

    /**
     * Compare the nodes' journal bytes with the primary's, below {@code tail} and from where every one of them still
     * holds the journal (they purge). A purge that removes a file while it is read starts the comparison again from
     * the new oldest file, a few times.
     *
     * @return nodes whose bytes differ.
     */
    private static long journalMismatches(final FailoverCluster cluster, final String primary,
        final List<String> names, final long tail, final List<String> details) throws IOException
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                long from = SoakJournalCheck.oldestLsn(cluster.journalDir(primary));
                for (final String name : names)
                {
                    from = Math.max(from, SoakJournalCheck.oldestLsn(cluster.journalDir(name)));
                }
                if (from >= tail)
                {
                    return 0; // nothing every node still holds: the digests were compared
                }
                final long primaryCrc = SoakJournalCheck.crc(cluster.journalDir(primary), from, tail);
                long mismatches = 0;
                for (final String name : names)
                {
                    if (SoakJournalCheck.crc(cluster.journalDir(name), from, tail) != primaryCrc)
                    {
                        mismatches++;
                        details.add(name + ": journal bytes in [" + from + ", " + tail + ") differ from " + primary +
                            "'s");
                    }
                }
                return mismatches;
            }
            catch (final java.nio.file.NoSuchFileException | IllegalStateException ex)
            {
                if (attempt >= 3)
                {
                    throw ex;
                }
            }
        }
    }

    private boolean awaitApplied(final FailoverCluster cluster, final String name, final long tail)
    {
        final long deadline = System.nanoTime() + catchUpTimeout.toNanos();
        while (System.nanoTime() < deadline)
        {
            final long[] applied = cluster.applied(name);
            if (null != applied && applied[1] >= tail)
            {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        return false;
    }

    private static String appliedText(final FailoverCluster cluster, final String name)
    {
        final long[] applied = cluster.applied(name);
        return null == applied ? "(no answer)" : Long.toString(applied[1]);
    }

    private Checkpoint print(final Checkpoint checkpoint)
    {
        final WorkloadHistoryChecker.Result history = checkpoint.history();
        out.println(String.format(Locale.ROOT, "checkpoint at %ds: primary=%s epoch=%d lsn=%d caughtUp=%s " +
            "digestMismatches=%d journalMismatches=%d acked=%d indeterminate=%d lostAcked=%d phantoms=%d halves=%d " +
            "orderViolations=%d epochViolations=%d%s", checkpoint.elapsedMs() / 1000, checkpoint.primary(),
            checkpoint.epoch(), checkpoint.lsn(), checkpoint.caughtUp(), checkpoint.digestMismatches(),
            checkpoint.journalMismatches(), history.acknowledged(), history.indeterminate(), history.lostAcked(),
            history.phantoms(), history.halves(), history.orderViolations(), history.epochViolations(),
            checkpoint.details().isEmpty() ? "" : " " + checkpoint.details()));
        return checkpoint;
    }

    private static void sleepUntil(final long startMs, final long atMs)
    {
        final long waitMs = atMs - (System.currentTimeMillis() - startMs);
        if (waitMs > 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(waitMs));
        }
    }
}
