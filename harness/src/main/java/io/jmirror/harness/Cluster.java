package io.jmirror.harness;

import io.jmirror.dejournal.DejournalState;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.TransferStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.agrona.CloseHelper;

/**
 * A primary and its members as separate processes on 127.0.0.1, each member behind its own {@link FaultProxy}.
 * Used by {@code demo} and {@code soak}: start, sample the status files, inject faults, and verify at checkpoints.
 */
final class Cluster implements AutoCloseable
{
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(120);

    /**
     * A member to run.
     */
    record MemberSpec(String name, MemberRole role)
    {
    }

    /**
     * What a checkpoint found.
     *
     * @param elapsedMs         when it ran.
     * @param lsn               the primary's journal end at the quiesce.
     * @param records           records journaled so far.
     * @param nodes             nodes in the primary's store.
     * @param caughtUp          every member applied up to {@code lsn} within the timeout.
     * @param lostRecords       records below {@code lsn} that a member did not apply.
     * @param digestMismatches  globals whose digest differs, summed over members.
     * @param details           what differed, per member.
     * @param commits           transactions committed with {@code awaitCommitted} so far.
     * @param commitP50Us       median commit wait so far, microseconds.
     * @param commitP99Us       99th percentile commit wait so far, microseconds.
     */
    record Checkpoint(
        long elapsedMs,
        long lsn,
        long records,
        long nodes,
        boolean caughtUp,
        long lostRecords,
        long digestMismatches,
        List<String> details,
        long commits,
        long commitP50Us,
        long commitP99Us)
    {
    }

    private final Path workDir;
    private final List<MemberSpec> specs;
    private final WorkloadOptions workload;
    private final long qosTimeoutMs;
    private final int workers;
    private final long fileSize;
    private final StoreKind store;
    private final List<String> extraMemberArgs;
    private final Map<String, NodeProcess> members = new LinkedHashMap<>();
    private final Map<String, FaultProxy> proxies = new LinkedHashMap<>();
    private final Map<String, Long> pastViolations = new LinkedHashMap<>();
    private MetricsPorts metricsPorts = MetricsPorts.none();
    private NodeProcess primary;
    private long startMs;
    private long lastRecords;
    private long lastSampleMs;

    Cluster(
        final Path workDir,
        final List<MemberSpec> specs,
        final WorkloadOptions workload,
        final long qosTimeoutMs,
        final int workers,
        final long fileSize,
        final StoreKind store,
        final List<String> extraMemberArgs)
    {
        this.workDir = workDir;
        this.specs = List.copyOf(specs);
        this.workload = workload;
        this.qosTimeoutMs = qosTimeoutMs;
        this.workers = workers;
        this.fileSize = fileSize;
        this.store = store;
        this.extraMemberArgs = List.copyOf(extraMemberArgs);
    }

    /**
     * @param ports where the primary (first) and the members serve their meters.
     * @return this, before {@link #start()}.
     */
    Cluster metrics(final MetricsPorts ports)
    {
        final List<String> names = new ArrayList<>(List.of("primary"));
        specs.forEach((spec) -> names.add(spec.name()));
        metricsPorts = ports.assign(names);
        return this;
    }

    /**
     * @return one line per node serving its meters, with its URL.
     */
    List<String> metricsUrls()
    {
        return metricsPorts.urls();
    }

    /**
     * Start the primary, the proxies and the members, then let the application run.
     */
    void start() throws IOException
    {
        Files.createDirectories(workDir);
        final List<String> args = new ArrayList<>(List.of("primary", "--dir", dir("primary").toString(),
            "--qos-timeout-ms", String.valueOf(qosTimeoutMs), "--file-size", String.valueOf(fileSize)));
        for (final MemberSpec spec : specs)
        {
            args.add("--member");
            args.add(spec.name() + ":" + spec.role());
        }
        args.addAll(workload.toArguments());
        args.addAll(metricsPorts.arguments("primary"));
        primary = new NodeProcess("primary", args, workDir.resolve("primary.log"), "1g");
        final String ready = primary.start(START_TIMEOUT);
        final int port = Integer.parseInt(NodeProcess.field(ready, "port"));
        for (final MemberSpec spec : specs)
        {
            final FaultProxy proxy = new FaultProxy(spec.name(), new InetSocketAddress("127.0.0.1", port));
            proxies.put(spec.name(), proxy);
            pastViolations.put(spec.name(), 0L);
            startMember(spec);
        }
        startMs = System.currentTimeMillis();
        lastSampleMs = startMs;
        primary.call("resume", CALL_TIMEOUT);
    }

    private void startMember(final MemberSpec spec) throws IOException
    {
        final Path dir = dir(spec.name());
        Files.createDirectories(dir);
        final List<String> args = new ArrayList<>(List.of("member", "--dir", dir.toString(),
            "--name", spec.name(), "--role", spec.role().name(),
            "--primary-port", String.valueOf(proxies.get(spec.name()).port()),
            "--workers", String.valueOf(workers), "--qos-timeout-ms", String.valueOf(qosTimeoutMs),
            "--file-size", String.valueOf(fileSize), "--store", store.optionName()));
        args.addAll(extraMemberArgs);
        args.addAll(metricsPorts.arguments(spec.name()));
        final NodeProcess member = new NodeProcess(spec.name(), args, workDir.resolve(spec.name() + ".log"), "1g");
        members.put(spec.name(), member);
        member.start(START_TIMEOUT);
    }

    Path dir(final String node)
    {
        return workDir.resolve(node);
    }

    List<MemberSpec> specs()
    {
        return specs;
    }

    long elapsedMs()
    {
        return System.currentTimeMillis() - startMs;
    }

    /**
     * Read every node's status file.
     */
    ClusterSample sample()
    {
        final long nowMs = System.currentTimeMillis();
        final StatusSnapshot primaryStatus = StatusSnapshot.read(dir("primary"));
        final long records = primaryStatus.get(StatusCounterType.HARNESS_WORKLOAD_RECORDS, "primary", 0);
        final long primaryLsn = primaryStatus.get(StatusCounterType.PRIMARY_COMPLETE_LSN, "", 0);
        final double rate = nowMs > lastSampleMs ? (records - lastRecords) * 1000.0 / (nowMs - lastSampleMs) : 0;
        lastRecords = records;
        lastSampleMs = nowMs;
        final List<ClusterSample.MemberSample> samples = new ArrayList<>();
        for (final MemberSpec spec : specs)
        {
            final String name = spec.name();
            final NodeProcess process = members.get(name);
            final boolean alive = null != process && process.isAlive();
            final StatusSnapshot status = alive ? StatusSnapshot.read(dir(name)) : StatusSnapshot.read(dir("none"));
            final TransferStatus transfer = TransferStatus.fromOrdinal(
                primaryStatus.get(StatusCounterType.MEMBER_TRANSFER_STATUS, name, -1));
            final DejournalState dejournal = DejournalState.fromOrdinal(
                status.get(StatusCounterType.DEJOURNAL_STATE, name, -1));
            final long applied = status.get(StatusCounterType.DEJOURNAL_APPLIED_LSN, name, 0);
            samples.add(new ClusterSample.MemberSample(
                name,
                null == transfer ? "DOWN" : transfer.name(),
                alive && null != dejournal ? dejournal.name() : "DOWN",
                applied,
                Math.max(0, primaryLsn - applied),
                status.get(StatusCounterType.DEJOURNAL_MS_BEHIND, name, 0),
                pastViolations.get(name) + status.get(StatusCounterType.HARNESS_ORDER_VIOLATIONS, name, 0)));
        }
        return new ClusterSample(nowMs - startMs, records, rate, primaryLsn,
            
            primaryStatus.get(StatusCounterType.HARNESS_WORKLOAD_COMMIT_TIMEOUTS, "primary", 0), samples);
    }

    /**
     * Quiesce the application, wait for every member to apply everything, compare digests, and resume.
     */
    Checkpoint checkpoint(final Duration catchUpTimeout)
    {
        final long elapsed = elapsedMs();
        final String paused = last(primary.call("pause", CALL_TIMEOUT));
        final long lsn = Long.parseLong(NodeProcess.field(paused, "lsn"));
        final long records = Long.parseLong(NodeProcess.field(paused, "records"));
        if (null != NodeProcess.field(paused, "failure"))
        {
            throw new IllegalStateException("the primary's application failed: " +
                NodeProcess.field(paused, "failure").replace('_', ' ') + " (log: " + primary.logFile() + ")");
        }
        final List<String> details = new ArrayList<>();
        final long deadline = System.nanoTime() + catchUpTimeout.toNanos();
        boolean caughtUp = true;
        long lost = 0;
        long mismatches = 0;
        final List<String> primaryLines = primary.call("digests", CALL_TIMEOUT);
        final Map<String, String> expected = DigestLines.parse(primaryLines);
        for (final MemberSpec spec : specs)
        {
            final String name = spec.name();
            long applied = appliedLsn(name);
            while (applied < lsn && System.nanoTime() < deadline)
            {
                sleep(50);
                applied = appliedLsn(name);
            }
            if (applied < lsn)
            {
                caughtUp = false;
                final long missing = Long.parseLong(NodeProcess.field(
                    last(primary.call("count " + Math.max(0, applied), CALL_TIMEOUT)), "count"));
                lost += missing;
                details.add(name + ": applied LSN " + applied + " did not reach " + lsn + " within " +
                    DurationConverter.format(catchUpTimeout) + ": " + missing + " records not applied");
                continue;
            }
            final List<String> lines = members.get(name).call("digests", CALL_TIMEOUT);
            final List<String> differences = DigestLines.differences(expected, DigestLines.parse(lines));
            mismatches += differences.size();
            for (int i = 0; i < Math.min(5, differences.size()); i++)
            {
                details.add(name + ": " + differences.get(i));
            }
            final String first = NodeProcess.field(last(lines), "first");
            if (null != first)
            {
                details.add(name + ": first order violation: " + first.replace('_', ' '));
            }
        }
        primary.call("resume", CALL_TIMEOUT);
        return new Checkpoint(elapsed, lsn, records, DigestLines.nodes(expected), caughtUp, lost, mismatches,
            details, Long.parseLong(NodeProcess.field(paused, "commits")),
            Long.parseLong(NodeProcess.field(paused, "commitP50us")),
            Long.parseLong(NodeProcess.field(paused, "commitP99us")));
    }

    private long appliedLsn(final String name)
    {
        return StatusSnapshot.read(dir(name)).get(StatusCounterType.DEJOURNAL_APPLIED_LSN, name, -1);
    }

    private static String last(final List<String> lines)
    {
        return lines.get(lines.size() - 1);
    }

    // ------------------------------------------------------------------------------------------------ faults

    /**
     * kill -9 the member's process; its order-violation count so far is kept.
     */
    void killMember(final String name)
    {
        pastViolations.merge(name,
            StatusSnapshot.read(dir(name)).get(StatusCounterType.HARNESS_ORDER_VIOLATIONS, name, 0), Long::sum);
        members.get(name).kill();
    }

    void restartMember(final String name) throws IOException
    {
        for (final MemberSpec spec : specs)
        {
            if (spec.name().equals(name))
            {
                startMember(spec);
                return;
            }
        }
        throw new IllegalArgumentException("unknown member: " + name);
    }

    FaultProxy proxy(final String name)
    {
        return proxies.get(name);
    }

    void stallAcks(final String name, final boolean stall)
    {
        members.get(name).call("stall " + (stall ? "on" : "off"), CALL_TIMEOUT);
    }

    boolean cutSession(final String name)
    {
        return "true".equals(NodeProcess.field(last(primary.call("cut " + name, CALL_TIMEOUT)), "cut"));
    }

    private static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }

    /**
     * Stop every process and proxy this cluster started.
     */
    @Override
    public void close()
    {
        for (final NodeProcess member : members.values())
        {
            CloseHelper.quietClose(member);
        }
        CloseHelper.quietClose(primary);
        for (final FaultProxy proxy : proxies.values())
        {
            CloseHelper.quietClose(proxy);
        }
    }
}
