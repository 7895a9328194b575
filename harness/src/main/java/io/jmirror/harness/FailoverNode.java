package io.jmirror.harness;

import io.jmirror.journal.Journal;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.mirror.MirrorNode;
import io.jmirror.mirror.MirrorNodeContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A failover member (or DR async) process for {@code demo --failover} and {@code soak}: a {@link MirrorNode} with
 * its store ({@code --store}: RocksDB under the node's directory by default, or in memory), and, while it is primary,
 * an application ({@link FailoverWorkload}) that writes transactions into its journal and that store and waits for
 * each commit, keeping a history when given one. A RocksDB store restarted after a kill resumes at its checkpoint:
 * the node replays its journal from there before it serves as primary or applies as member, and refuses (naming the
 * purged LSN, "seed" it) when its journal no longer holds the records from there on. An in-memory store is rebuilt
 * from the whole journal at every start, so such a node must keep it all. Transaction {@code t}
 * sets {@code ^Acked(t)}, so the demo and the soak can check every acknowledged commit on whichever node is primary
 * later. Commands: {@code role}, {@code resume}, {@code pause}, {@code acked FROM TO} (how many of
 * {@code ^Acked(FROM..TO)} the store holds), {@code dump FILE}, {@code digests}, {@code applied}, {@code stop}.
 * With {@code --metrics-port} on loopback the port also serves the store to {@code jmirror check}
 * ({@link StoreEndpoint}): as a member at its applied LSN, as primary while its application is paused.
 */
@Command(name = "failover", description = "Run a failover member (driven by demo --failover and soak).",
    mixinStandardHelpOptions = true)
final class FailoverNode implements Callable<Integer>
{
    @Option(names = "--dir", required = true, description = "Node directory.")
    Path dir;

    @Option(names = "--name", required = true, description = "This member's name.")
    String name;

    @Option(names = "--member", required = true, description = "A failover member, NAME:PORT (give both).")
    List<String> members;

    @Option(names = "--arbiter-port", required = true, description = "The arbiter's port on 127.0.0.1.")
    int arbiterPort;

    @Option(names = "--mirror", defaultValue = "JMIRROR", description = "Mirror name.")
    String mirror;

    @Option(names = "--qos-timeout-ms", defaultValue = "8000", description = "QoS timeout.")
    long qosTimeoutMs;

    @Option(names = "--initial-primary", description = "Claim the primary role when the arbiter knows none.")
    boolean initialPrimary;

    @Option(names = "--rate", defaultValue = "2000", description = "Transactions per second while primary.")
    int rate;

    @Option(names = "--file-size", defaultValue = "67108864", description = "Journal file size in bytes "
        + "(default: ${DEFAULT-VALUE}).")
    long fileSize;

    @Option(names = "--journal-retain", defaultValue = "24h", converter = DurationConverter.class,
        description = "Purge keeps every journal file written within this long, in every role; as backup or DR async "
            + "that is what the node can serve to lagging members should it become primary (default: "
            + "${DEFAULT-VALUE}).")
    java.time.Duration journalRetain;

    @Option(names = "--purge-interval", defaultValue = "10s", converter = DurationConverter.class,
        description = "How often the node purges its journal: as primary what no member seen within a day needs, "
            + "as backup or DR async what it has applied and checkpointed; 0s never (default: ${DEFAULT-VALUE}).")
    java.time.Duration purgeInterval;

    @Mixin
    MetricsOptions metrics = new MetricsOptions();

    @Option(names = "--overstate-acks", defaultValue = "0", hidden = true,
        description = "A broken member for the demo's negative control: claim this many more acknowledged commits.")
    long overstateAcks;

    @Option(names = "--async", description = "An async (DR) member, NAME:PORT (repeat).")
    List<String> asyncs = new ArrayList<>();

    @Option(names = "--route", description = "Reach member NAME through PORT on 127.0.0.1 (a proxy), NAME:PORT.")
    List<String> routes = new ArrayList<>();

    @Option(names = "--history", description = "Append each transaction's outcome to this file.")
    Path historyFile;

    @Option(names = "--rollback-percent", defaultValue = "0", description = "Transactions the application rolls "
        + "back.")
    int rollbackPercent;

    @Option(names = "--store", defaultValue = "rocksdb", description = "The node's store: rocksdb (in the node's "
        + "directory; a restart resumes at its checkpoint and replays the journal from there) or memory (rebuilt from "
        + "the whole journal at every start) (default: ${DEFAULT-VALUE}).")
    String storeName;

    /**
     * Whether the application is paused (it starts so) and done with its last transaction: then, as primary, the
     * store holds every record of the journal.
     */
    private volatile boolean isApplicationPaused = true;

    @Override
    public Integer call() throws Exception
    {
        final PrintStream out = System.out;
        try (MemberStore store = MemberStore.open(StoreKind.fromOptionName(storeName), dir))
        {
            return run(store, out);
        }
    }

    @SuppressWarnings("try") // the metrics endpoint serves for as long as the node runs
    private int run(final MemberStore store, final PrintStream out) throws Exception
    {
        final MirrorNodeContext ctx = new MirrorNodeContext().mirrorName(mirror).memberName(name).dir(dir)
            .target(store.target()).insecure(true).initialPrimary(initialPrimary)
            .arbiterAddress(new InetSocketAddress("127.0.0.1", arbiterPort)).qosTimeoutMs(qosTimeoutMs)
            .heartbeatIntervalMs(Math.max(10, qosTimeoutMs / 10)).fileLength(fileSize)
            .retainMs(journalRetain.toMillis()).purgeIntervalMs(purgeInterval.toMillis());
        for (final String member : members)
        {
            ctx.failoverMember(member.substring(0, member.indexOf(':')), address(member));
        }
        for (final String member : asyncs)
        {
            ctx.asyncMember(member.substring(0, member.indexOf(':')), address(member));
        }
        for (final String route : routes)
        {
            ctx.route(route.substring(0, route.indexOf(':')), address(route));
        }
        try (WorkloadHistory history = null == historyFile ? null : WorkloadHistory.append(historyFile);
            MirrorNode node = MirrorNode.start(ctx);
            MetricsEndpoint endpoint = metrics.start(() -> MetricsEndpoint.parts(node.primary(), node.member()),
                MetricsEndpoint::bindersOf))
        {
            StoreEndpoint.serve(endpoint, new LiveStore(store.reader(), () -> position(node)));
            final FailoverWorkload workload = new FailoverWorkload(node, store, name, rate, qosTimeoutMs,
                rollbackPercent, history).overstateAcks(null == history ? 0 : overstateAcks)
                .lastTxn(null == history ? 0 : WorkloadHistory.lastTxn(historyFile));
            final Thread app = new Thread(workload, "jmirror-failover-app");
            app.setDaemon(true);
            app.start();
            try
            {
                serve(node, workload, store, history, out);
            }
            finally
            {
                // the application lets go of the store before the node and the store close
                workload.stop();
            }
        }
        out.println("@ok stopped");
        out.flush();
        return 0;
    }

    private void serve(final MirrorNode node, final FailoverWorkload workload, final MemberStore store,
        final WorkloadHistory history, final PrintStream out) throws java.io.IOException
    {
        NodeControl.serve("name=" + name, (command, args, printer) ->
        {
            switch (command)
            {
                case "role":
                    final long ackedLast = workload.ackedLast();
                    final Throwable failure = workload.failure();
                    return "role=" + node.role() + " epoch=" + node.epoch() + " ackedFirst=" +
                        workload.ackedFirst() + " ackedLast=" + (ackedLast < 0 || null != history ? ackedLast :
                        ackedLast + overstateAcks) + " takeovers=" + node.takeovers() + " takeoverMs=" +
                        node.lastTakeoverMs() + (null == failure ? "" : " failure=" +
                        failure.toString().replace(' ', '_')) + " reason=" +
                        String.valueOf(node.reason()).replace(' ', '_');
                case "resume":
                    isApplicationPaused = false;
                    workload.resume();
                    return "resumed";
                case "pause":
                    workload.pause();
                    isApplicationPaused = true;
                    return "paused";
                case "dump":
                    return "written=" + WorkloadStoreDump.write(store.reader(), Path.of(args));
                case "acked":
                    final String[] range = args.split(" ");
                    return "present=" + present(store, Long.parseLong(range[0]), Long.parseLong(range[1]));
                case "digests":
                    return "globals=" + DigestLines.write(store.digests(), printer);
                case "applied":
                    return applied(node);
                default:
                    return null;
            }
        }, out);
    }

    /**
     * Where the node stands, for the data check. As a member, its dejournaler's applied LSN and its journal's tail. As
     * primary, its application applies each record it journals moments later on its own thread, so the store holds
     * the whole journal only while the application is paused: then both LSNs are the journal's tail; otherwise the
     * applied LSN is unknown (-1).
     */
    private LiveStore.Position position(final MirrorNode node)
    {
        final Journal journal = node.journal();
        if (node.role() == MirrorNode.Role.PRIMARY && null != journal)
        {
            final long tail = journal.tailLsn();
            return new LiveStore.Position(isApplicationPaused ? tail : -1, tail, journal);
        }
        return LiveStore.of(node.member());
    }

    private static InetSocketAddress address(final String nameAndPort)
    {
        final int colon = nameAndPort.indexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("expected NAME:PORT: " + nameAndPort);
        }
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(nameAndPort.substring(colon + 1)));
    }

    private static long present(final MemberStore store, final long from, final long to)
    {
        final SubscriptKey key = new SubscriptKey();
        long present = 0;
        for (long txn = from; txn <= to; txn++)
        {
            if (null != store.get("USER", "Acked", key.clear().add(txn)))
            {
                present++;
            }
        }
        return present;
    }

    private static String applied(final MirrorNode node)
    {
        if (null != node.journal())
        {
            return "tail=" + node.journal().tailLsn() + " applied=" + node.journal().tailLsn();
        }
        if (null != node.member() && null != node.member().dejournaler() && null != node.member().receiver().journal())
        {
            return "tail=" + node.member().receiver().journal().tailLsn() + " applied=" +
                node.member().dejournaler().appliedLsn();
        }
        return "tail=-1 applied=-1";
    }
}
