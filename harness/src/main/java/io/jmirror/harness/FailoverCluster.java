package io.jmirror.harness;

import org.agrona.CloseHelper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A mirror as processes on 127.0.0.1, for {@code demo --failover} and {@code soak}: two failover members
 * ({@code node-a}, first primary, and {@code node-b}), optionally a DR async ({@code dr1}), and the arbiter, each its
 * own JVM. Every link runs through its own {@link FaultProxy}, named {@code FROM>TO} after the node that connects and
 * the node it reaches ({@code node-b>node-a}: node-b following node-a; {@code node-a>arbiter}), so a fault can cut any
 * pair, or one direction of it. Nodes listen on fixed ports, so one killed restarts where its peers expect it; the
 * arbiter restarts on a new port and its proxies follow it.
 */
final class FailoverCluster implements AutoCloseable
{
    static final String MIRROR = "JMIRROR";
    static final String NODE_A = "node-a";
    static final String NODE_B = "node-b";
    static final String DR = "dr1";
    static final String ARBITER = "arbiter";
    static final Duration CALL = Duration.ofSeconds(30);

    /**
     * How the cluster runs.
     *
     * @param workDir         node directories, logs and histories.
     * @param qosTimeoutMs    the QoS timeout of members and arbiter.
     * @param rate            transactions per second of the primary's application.
     * @param rollbackPercent transactions the application rolls back.
     * @param withDr          start a DR async member too.
     * @param withHistory     keep a {@link WorkloadHistory} per node.
     * @param overstateAcks   node-a's application claims this many commits it never made (a negative control).
     */
    record Settings(Path workDir, long qosTimeoutMs, int rate, int rollbackPercent, boolean withDr,
        boolean withHistory, long overstateAcks)
    {
    }

    private final Settings settings;
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, FaultProxy> proxies = new LinkedHashMap<>();
    private final Map<String, NodeProcess> nodes = new ConcurrentHashMap<>();
    private final Set<String> stalled = ConcurrentHashMap.newKeySet();
    private final List<NodeProcess> started = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::close, "jmirror-failover-cluster-stop");
    private NodeProcess arbiter;
    private int arbiterPort;
    private boolean isClosed;
    private List<String> journalArgs = List.of();
    private MetricsPorts metricsPorts = MetricsPorts.none();
    private StoreKind store = StoreKind.ROCKSDB;

    FailoverCluster(final Settings settings)
    {
        this.settings = settings;
    }

    /**
     * @param fileSize        journal file size of every node.
     * @param retainMs        how long every node's journal keeps a file after it was written.
     * @param purgeIntervalMs how often every node purges.
     * @return this, before {@link #start()}.
     */
    FailoverCluster journal(final long fileSize, final long retainMs, final long purgeIntervalMs)
    {
        journalArgs = List.of("--file-size", Long.toString(fileSize), "--journal-retain", retainMs + "ms",
            "--purge-interval", purgeIntervalMs + "ms");
        return this;
    }

    /**
     * @param store the nodes' store (each node's own, in its directory for RocksDB).
     * @return this, before {@link #start()}.
     */
    FailoverCluster store(final StoreKind store)
    {
        this.store = store;
        return this;
    }

    /**
     * @param ports where the nodes and the arbiter serve their meters.
     * @return this, before {@link #start()}.
     */
    FailoverCluster metrics(final MetricsPorts ports)
    {
        final List<String> all = new ArrayList<>(names());
        all.add(ARBITER);
        metricsPorts = ports.assign(all);
        return this;
    }

    /**
     * @return the node's directory: its journal and status files.
     */
    Path nodeDir(final String name)
    {
        return settings.workDir().resolve(name);
    }

    /**
     * Start the arbiter, the proxies and the nodes; return once node-a is primary and node-b its backup.
     */
    void start() throws IOException
    {
        Files.createDirectories(settings.workDir());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        for (final String name : names())
        {
            ports.put(name, freePort());
        }
        startArbiter();
        for (final String from : names())
        {
            link(from, ARBITER, arbiterAddress());
            for (final String to : List.of(NODE_A, NODE_B))
            {
                if (!to.equals(from))
                {
                    link(from, to, new InetSocketAddress("127.0.0.1", ports.get(to)));
                }
            }
        }
        for (final String name : names())
        {
            startNode(name);
        }
        awaitRole(NODE_A, "PRIMARY", settings.qosTimeoutMs() + 60_000);
        awaitRole(NODE_B, "BACKUP", settings.qosTimeoutMs() + 60_000);
    }

    /**
     * @return the nodes holding data: both failover members, then the DR async if there is one.
     */
    List<String> names()
    {
        return settings.withDr() ? List.of(NODE_A, NODE_B, DR) : List.of(NODE_A, NODE_B);
    }

    static String partner(final String failoverMember)
    {
        return NODE_A.equals(failoverMember) ? NODE_B : NODE_A;
    }

    private void link(final String from, final String to, final InetSocketAddress target) throws IOException
    {
        final String name = from + ">" + to;
        proxies.put(name, new FaultProxy(name, target));
    }

    /**
     * @return the proxy that carries {@code from}'s connections to {@code to}.
     */
    FaultProxy link(final String from, final String to)
    {
        final FaultProxy proxy = proxies.get(from + ">" + to);
        if (null == proxy)
        {
            throw new IllegalArgumentException("no link from " + from + " to " + to);
        }
        return proxy;
    }

    private InetSocketAddress arbiterAddress()
    {
        return new InetSocketAddress("127.0.0.1", arbiterPort);
    }

    void startArbiter()
    {
        final List<String> args = new ArrayList<>(List.of("arbiter", "--dir",
            settings.workDir().resolve(ARBITER).toString(), "--mirror", MIRROR, "--member", NODE_A, "--member",
            NODE_B, "--qos-timeout-ms", Long.toString(settings.qosTimeoutMs())));
        if (settings.withDr())
        {
            args.add("--async");
            args.add(DR);
        }
        args.addAll(metricsPorts.arguments(ARBITER));
        final NodeProcess process = new NodeProcess(ARBITER, args, settings.workDir().resolve(ARBITER + ".log"),
            "128m");
        started.add(process);
        arbiterPort = Integer.parseInt(NodeProcess.field(process.start(CALL), "port"));
        arbiter = process;
        for (final Map.Entry<String, FaultProxy> proxy : proxies.entrySet())
        {
            if (proxy.getKey().endsWith(">" + ARBITER))
            {
                proxy.getValue().target(arbiterAddress());
            }
        }
    }

    void killArbiter()
    {
        arbiter.kill();
    }

    /**
     * @return the arbiter's {@code record} answer: epoch, primary, backup, ACTIVE.
     */
    String arbiterRecord()
    {
        return last(arbiter.call("record", CALL));
    }

    void startNode(final String name)
    {
        final List<String> args = new ArrayList<>(List.of("failover", "--dir",
            settings.workDir().resolve(name).toString(), "--name", name, "--mirror", MIRROR,
            "--member", NODE_A + ":" + ports.get(NODE_A), "--member", NODE_B + ":" + ports.get(NODE_B),
            "--arbiter-port", Integer.toString(link(name, ARBITER).port()),
            "--qos-timeout-ms", Long.toString(settings.qosTimeoutMs()), "--rate", Integer.toString(settings.rate()),
            "--rollback-percent", Integer.toString(settings.rollbackPercent())));
        if (settings.withDr())
        {
            args.add("--async");
            args.add(DR + ":" + ports.get(DR));
        }
        for (final String to : List.of(NODE_A, NODE_B))
        {
            if (!to.equals(name))
            {
                args.add("--route");
                args.add(to + ":" + link(name, to).port());
            }
        }
        if (settings.withHistory())
        {
            args.add("--history");
            args.add(historyFile(name).toString());
        }
        if (NODE_A.equals(name))
        {
            args.add("--initial-primary");
            args.add("--overstate-acks");
            args.add(Long.toString(settings.overstateAcks()));
        }
        args.addAll(journalArgs);
        args.add("--store");
        args.add(store.optionName());
        args.addAll(metricsPorts.arguments(name));
        final NodeProcess process = new NodeProcess(name, args, logFile(name), "512m");
        started.add(process);
        nodes.put(name, process);
        process.start(CALL);
    }

    /**
     * Delete a stopped node's directory (journal and status): it starts again empty. Its history and log stay.
     */
    void wipe(final String name) throws IOException
    {
        final Path dir = settings.workDir().resolve(name);
        if (Files.exists(dir))
        {
            try (java.util.stream.Stream<Path> paths = Files.walk(dir))
            {
                for (final Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList())
                {
                    Files.delete(path);
                }
            }
        }
    }

    Path historyFile(final String name)
    {
        return settings.workDir().resolve(name + ".history");
    }

    Path logFile(final String name)
    {
        return settings.workDir().resolve(name + ".log");
    }

    Path journalDir(final String name)
    {
        return settings.workDir().resolve(name).resolve("journal");
    }

    Path workDir()
    {
        return settings.workDir();
    }

    long qosTimeoutMs()
    {
        return settings.qosTimeoutMs();
    }

    NodeProcess node(final String name)
    {
        return nodes.get(name);
    }

    /**
     * @return true when the node runs and is not frozen, so it can answer.
     */
    boolean isAnswering(final String name)
    {
        final NodeProcess node = nodes.get(name);
        return null != node && node.isAlive() && !stalled.contains(name);
    }

    /**
     * @return the node's {@code role} answer, or null when it is down, frozen or does not answer.
     */
    String role(final String name)
    {
        if (!isAnswering(name))
        {
            return null;
        }
        try
        {
            return last(nodes.get(name).call("role", CALL));
        }
        catch (final IllegalStateException ex)
        {
            return null;
        }
    }

    /**
     * @return the failover member that answers PRIMARY, or null.
     */
    String primary()
    {
        for (final String name : List.of(NODE_A, NODE_B))
        {
            final String role = role(name);
            if (null != role && "PRIMARY".equals(NodeProcess.field(role, "role")))
            {
                return name;
            }
        }
        return null;
    }

    /**
     * @return {@code [tail, applied]} of the node's journal, or null when it does not answer.
     */
    long[] applied(final String name)
    {
        if (!isAnswering(name))
        {
            return null;
        }
        try
        {
            final String line = last(nodes.get(name).call("applied", CALL));
            return new long[] {Long.parseLong(NodeProcess.field(line, "tail")),
                Long.parseLong(NodeProcess.field(line, "applied"))};
        }
        catch (final IllegalStateException ex)
        {
            return null;
        }
    }

    void kill(final String name)
    {
        final NodeProcess node = nodes.get(name);
        stalled.remove(name);
        node.kill();
    }

    /**
     * Freeze the node (SIGSTOP) or let it go on (SIGCONT).
     */
    void stall(final String name, final boolean on)
    {
        if (on)
        {
            stalled.add(name);
            nodes.get(name).signal("STOP");
        }
        else
        {
            nodes.get(name).signal("CONT");
            stalled.remove(name);
        }
    }

    /**
     * Wait for the node to answer the role.
     *
     * @return the role line.
     * @throws IllegalStateException naming the node, its last answer and its log when it does not in time.
     */
    String awaitRole(final String name, final String role, final long timeoutMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String line = null;
        while (System.nanoTime() < deadline)
        {
            line = role(name);
            if (null != line && role.equals(NodeProcess.field(line, "role")))
            {
                return line;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new IllegalStateException(name + " did not become " + role + " within " + timeoutMs + " ms: " + line +
            " (log: " + logFile(name) + ")");
    }

    static String last(final List<String> lines)
    {
        return lines.get(lines.size() - 1);
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    /**
     * Stop every process and proxy this cluster started: frozen nodes are let go first, so they can stop.
     */
    @Override
    public synchronized void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        for (final String name : List.copyOf(stalled))
        {
            try
            {
                nodes.get(name).signal("CONT");
            }
            catch (final IllegalStateException ignore)
            {
                // already gone
            }
        }
        stalled.clear();
        for (final NodeProcess process : started)
        {
            CloseHelper.quietClose(process);
        }
        for (final FaultProxy proxy : proxies.values())
        {
            CloseHelper.quietClose(proxy);
        }
        try
        {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        catch (final IllegalStateException ignore)
        {
            // the JVM is shutting down: this is the hook
        }
    }
}
