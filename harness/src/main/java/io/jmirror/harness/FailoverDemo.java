package io.jmirror.harness;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code demo --failover}: two failover members and an arbiter as processes on 127.0.0.1 ({@link FailoverCluster}).
 * The application writes on the primary; mid-run the primary is killed with SIGKILL; the backup takes over and the
 * application follows it; the old primary restarts and rejoins as backup. At the end: every commit the old primary
 * acknowledged is on the new primary, and both stores are equal.
 */
final class FailoverDemo
{
    private static final Duration CALL = Duration.ofSeconds(30);

    private final Path workDir;
    private final Duration duration;
    private final long qosTimeoutMs;
    private final int rate;
    private final PrintStream out;
    private long overstateAcks;
    private MetricsPorts metricsPorts = MetricsPorts.none();
    private StoreKind store = StoreKind.ROCKSDB;

    FailoverDemo(final Path workDir, final Duration duration, final long qosTimeoutMs, final int rate,
        final PrintStream out)
    {
        this.workDir = workDir;
        this.duration = duration;
        this.qosTimeoutMs = qosTimeoutMs;
        this.rate = rate;
        this.out = out;
    }

    /**
     * @param count a broken first primary claims this many more acknowledged commits than it made (the checker's
     *              negative control: the demo must then FAIL with that many lost).
     * @return this.
     */
    FailoverDemo overstateAcks(final long count)
    {
        this.overstateAcks = count;
        return this;
    }

    /**
     * @param store the nodes' store.
     * @return this.
     */
    FailoverDemo store(final StoreKind store)
    {
        this.store = store;
        return this;
    }

    /**
     * @param ports where the nodes and the arbiter serve their meters.
     * @return this.
     */
    FailoverDemo metrics(final MetricsPorts ports)
    {
        this.metricsPorts = ports;
        return this;
    }

    /**
     * @return the last line, starting PASS or FAIL.
     */
    String run() throws Exception
    {
        try (FailoverCluster cluster = new FailoverCluster(new FailoverCluster.Settings(workDir, qosTimeoutMs, rate, 0,
            false, false, overstateAcks)).store(store).metrics(metricsPorts))
        {
            cluster.start();
            metricsPorts.urls().forEach(out::println);
            final long activeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!"true".equals(NodeProcess.field(cluster.arbiterRecord(), "backupActive")) &&
                System.nanoTime() < activeDeadline)
            {
                sleepMs(20);
            }
            NodeProcess a = cluster.node(FailoverCluster.NODE_A);
            final NodeProcess b = cluster.node(FailoverCluster.NODE_B);
            a.call("resume", CALL);
            b.call("resume", CALL);
            final long phaseMs = Math.max(2_000, duration.toMillis() / 3);
            progress(a, b, phaseMs);

            final String beforeKill = last(a.call("role", CALL));
            final long ackedFirst = Long.parseLong(NodeProcess.field(beforeKill, "ackedFirst"));
            final long ackedLast = Long.parseLong(NodeProcess.field(beforeKill, "ackedLast"));
            out.printf("failover: killing the primary node-a with SIGKILL (it has acknowledged commits %d..%d)%n",
                ackedFirst, ackedLast);
            final long killNs = System.nanoTime();
            cluster.kill(FailoverCluster.NODE_A);
            cluster.awaitRole(FailoverCluster.NODE_B, "PRIMARY", qosTimeoutMs + 60_000);
            awaitAcked(b, 2 * FailoverWorkload.EPOCH_TXN_BASE);
            final long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killNs);
            out.printf("failover: node-b is primary after %d ms; restarting node-a%n", takeoverMs);

            cluster.startNode(FailoverCluster.NODE_A);
            a = cluster.node(FailoverCluster.NODE_A);
            cluster.awaitRole(FailoverCluster.NODE_A, "BACKUP", qosTimeoutMs + 60_000);
            out.println("failover: node-a rejoined as backup");
            progress(b, a, phaseMs);

            b.call("pause", CALL);
            final String last = last(b.call("role", CALL));
            final boolean caughtUp = awaitApplied(a, b);
            final long present = Long.parseLong(NodeProcess.field(
                last(b.call("acked " + ackedFirst + " " + ackedLast, CALL)), "present"));
            final long lostAcked = ackedLast < ackedFirst ? 0 : (ackedLast - ackedFirst + 1) - present;
            final Map<String, String> primaryDigests = DigestLines.parse(b.call("digests", CALL));
            final Map<String, String> backupDigests = DigestLines.parse(a.call("digests", CALL));
            final List<String> differences = DigestLines.differences(primaryDigests, backupDigests);
            final String failure = NodeProcess.field(last, "failure");
            final boolean pass = lostAcked == 0 && caughtUp && differences.isEmpty() && takeoverMs <=
                qosTimeoutMs + 2_000 && ackedLast > ackedFirst && null == failure;
            return String.format("%s failovers=1 takeoverMs=%d qosTimeoutMs=%d lostAcked=%d acked=%d epoch=%s " +
                "caughtUp=%s dataCheck=%s%s", pass ? "PASS" : "FAIL", takeoverMs, qosTimeoutMs, lostAcked,
                Math.max(0, ackedLast - ackedFirst + 1), NodeProcess.field(last, "epoch"), caughtUp,
                differences.isEmpty() ? "equal" : differences.size() + "-globals-differ",
                null == failure ? "" : " failure=" + failure);
        }
    }

    private String progress(final NodeProcess primary, final NodeProcess backup, final long forMs)
    {
        final long end = System.currentTimeMillis() + forMs;
        String line = "";
        while (System.currentTimeMillis() < end)
        {
            sleepMs(1_000);
            line = last(primary.call("role", CALL));
            final String backupLine = last(backup.call("role", CALL));
            // Transaction ids are numbered per epoch (epoch x 10^9 + n), so the last one is not a count.
            out.printf("   %s %s epoch=%s lastAckedTxn=%s | %s %s%n", primary.name(), NodeProcess.field(line, "role"),
                NodeProcess.field(line, "epoch"), NodeProcess.field(line, "ackedLast"), backup.name(),
                NodeProcess.field(backupLine, "role"));
        }
        return line;
    }

    private void awaitAcked(final NodeProcess node, final long above)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Long.parseLong(NodeProcess.field(last(node.call("role", CALL)), "ackedLast")) < above)
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException(node.name() + " acknowledged no commit after the takeover");
            }
            sleepMs(5);
        }
    }

    private boolean awaitApplied(final NodeProcess backup, final NodeProcess primary)
    {
        final long tail = Long.parseLong(NodeProcess.field(last(primary.call("applied", CALL)), "tail"));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            final String line = last(backup.call("applied", CALL));
            if (Long.parseLong(NodeProcess.field(line, "applied")) >= tail)
            {
                return true;
            }
            sleepMs(20);
        }
        return false;
    }

    private static String last(final List<String> lines)
    {
        return lines.get(lines.size() - 1);
    }

    private static void sleepMs(final long ms)
    {
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
    }
}
