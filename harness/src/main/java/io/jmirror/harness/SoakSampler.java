package io.jmirror.harness;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples a {@link FailoverCluster} once a second for the failover soak: each node's role, epoch and applied LSN (for
 * the report's role, epoch and lag lanes) and its disk use (journal and the rest of its directory, {@link SoakDisk}),
 * and checks the epoch rules as it goes: a node's epoch never goes backward,
 * and one epoch has one primary. It also keeps the application running on whichever node is primary, unless the soak
 * has quiesced it for a checkpoint, and prints a progress line every few seconds.
 */
final class SoakSampler implements AutoCloseable
{
    /**
     * One node at one moment.
     *
     * @param elapsedMs from the start of the run.
     * @param node      the node.
     * @param role      its role, or DOWN.
     * @param epoch     its epoch, -1 when down.
     * @param applied   its applied LSN, -1 when down.
     * @param lagBytes  the primary's journal end minus its applied LSN.
     * @param journalBytes what its journal directory holds.
     * @param storeBytes   what the rest of its directory holds (store, status files).
     */
    record NodeSample(long elapsedMs, String node, String role, long epoch, long applied, long lagBytes,
        long journalBytes, long storeBytes)
    {
        long diskBytes()
        {
            return journalBytes + storeBytes;
        }
    }

    private final FailoverCluster cluster;
    private final PrintStream out;
    private final long startMs;
    private final Thread thread;
    private final List<NodeSample> samples = new ArrayList<>();
    private final Map<String, Long> lastEpoch = new HashMap<>();
    private final Map<Long, String> primaryOfEpoch = new HashMap<>();
    private final List<String> epochProblems = new ArrayList<>();
    private volatile boolean isQuiesced;
    private volatile boolean isClosed;
    private volatile String status = "";
    private long lastPrimaryEpoch = -1;
    private String lastPrimary;
    private long failovers;

    SoakSampler(final FailoverCluster cluster, final PrintStream out, final long startMs)
    {
        this.cluster = cluster;
        this.out = out;
        this.startMs = startMs;
        this.thread = new Thread(this::run, "jmirror-soak-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    void quiesced(final boolean quiesced)
    {
        isQuiesced = quiesced;
    }

    void status(final String status)
    {
        this.status = status;
    }

    private void run()
    {
        long nextPrintMs = 5_000;
        while (!isClosed)
        {
            final long elapsedMs = System.currentTimeMillis() - startMs;
            final String line = sampleOnce(elapsedMs);
            if (elapsedMs >= nextPrintMs)
            {
                out.println(line);
                nextPrintMs += 5_000;
            }
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
        }
    }

    private String sampleOnce(final long elapsedMs)
    {
        final Map<String, String> roles = new HashMap<>();
        final Map<String, long[]> applied = new HashMap<>();
        final Map<String, long[]> disk = new HashMap<>();
        long primaryTail = -1;
        String primary = null;
        for (final String name : cluster.names())
        {
            final String role = cluster.role(name);
            roles.put(name, role);
            applied.put(name, cluster.applied(name));
            disk.put(name, SoakDisk.use(cluster.nodeDir(name)));
            if (null != role && "PRIMARY".equals(NodeProcess.field(role, "role")) && null != applied.get(name))
            {
                primary = name;
                primaryTail = applied.get(name)[0];
            }
        }
        if (null != primary && !isQuiesced)
        {
            try
            {
                cluster.node(primary).call("resume", FailoverCluster.CALL);
            }
            catch (final IllegalStateException ignore)
            {
                // killed under us by a fault; the next sample finds the next primary
            }
        }
        final StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%5ds", elapsedMs / 1000));
        synchronized (this)
        {
            for (final String name : cluster.names())
            {
                final String role = roles.get(name);
                final String roleName = null == role ? "DOWN" : NodeProcess.field(role, "role");
                final long epoch = null == role ? -1 : Long.parseLong(NodeProcess.field(role, "epoch"));
                final long[] lsns = applied.get(name);
                final long appliedLsn = null == lsns ? -1 : lsns[1];
                final long lag = primaryTail < 0 || appliedLsn < 0 ? 0 : Math.max(0, primaryTail - appliedLsn);
                final long[] bytes = disk.get(name);
                samples.add(new NodeSample(elapsedMs, name, roleName, epoch, appliedLsn, lag, bytes[0], bytes[1]));
                checkEpoch(elapsedMs, name, roleName, epoch);
                line.append(String.format(Locale.ROOT, " | %s %s e%d lag=%dB disk=%.1fMiB", name, roleName,
                    Math.max(0, epoch), lag, (bytes[0] + bytes[1]) / (1024.0 * 1024.0)));
            }
        }
        return line.append(status.isEmpty() ? "" : " | " + status).toString();
    }

    private void checkEpoch(final long elapsedMs, final String name, final String role, final long epoch)
    {
        if (epoch <= 0 || "CANDIDATE".equals(role) || "DOWN".equals(role))
        {
            return; // a node starting up has not learned its epoch yet
        }
        final Long last = lastEpoch.put(name, epoch);
        if (null != last && epoch < last)
        {
            epochProblems.add("epoch went backward on " + name + " at " + elapsedMs / 1000 + "s: " + last + " -> " +
                epoch);
        }
        if ("PRIMARY".equals(role))
        {
            if (epoch > lastPrimaryEpoch)
            {
                // A restarted primary reigns on in a new epoch: only another member's reign is a failover.
                failovers += null != lastPrimary && !lastPrimary.equals(name) ? 1 : 0;
                lastPrimary = name;
                lastPrimaryEpoch = epoch;
            }
            final String other = primaryOfEpoch.putIfAbsent(epoch, name);
            if (null != other && !other.equals(name))
            {
                epochProblems.add("two primaries in epoch " + epoch + ": " + other + " and " + name + " (at " +
                    elapsedMs / 1000 + "s)");
            }
        }
    }

    synchronized List<NodeSample> samples()
    {
        return List.copyOf(samples);
    }

    synchronized List<String> epochProblems()
    {
        return List.copyOf(epochProblems);
    }

    /**
     * @return how often a newer epoch's primary, as sampled, was another member than the previous one's: failovers
     * (a restart of the primary also begins an epoch, but with the same primary).
     */
    synchronized long failovers()
    {
        return failovers;
    }

    @Override
    public void close()
    {
        isClosed = true;
        LockSupport.unpark(thread);
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(70));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
