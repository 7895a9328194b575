package io.jmirror.harness;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.mirror.MirrorNode;
import io.jmirror.mirror.MirrorNodeContext;
import io.jmirror.shipper.Primary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A failover member process for {@code demo --failover}: a {@link MirrorNode} with its in-memory store, and, while it
 * is primary, an application that writes transactions into that store and its journal and waits for each commit.
 * Transaction {@code t} sets {@code ^Acked(t)}, so the demo can check every acknowledged commit on whichever node is
 * primary later. Commands: {@code role}, {@code resume}, {@code pause}, {@code acked FROM TO} (how many of
 * {@code ^Acked(FROM..TO)} the store holds), {@code digests}, {@code applied}, {@code stop}.
 */
@Command(name = "failover", description = "Run a failover member (driven by demo --failover).",
    mixinStandardHelpOptions = true)
final class FailoverNode implements Callable<Integer>
{
    static final GlobalName ACKED = GlobalName.of("USER", "Acked");
    static final GlobalName DATA = GlobalName.of("USER", "Data");
    /** Transaction ids of epoch {@code e} start at {@code e * EPOCH_TXN_BASE}, so no two reigns share one. */
    static final long EPOCH_TXN_BASE = 1_000_000_000L;

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

    @Mixin
    MetricsOptions metrics = new MetricsOptions();

    @Option(names = "--overstate-acks", defaultValue = "0", hidden = true,
        description = "A broken member for the demo's negative control: claim this many more acknowledged commits.")
    long overstateAcks;

    private final GlobalStore store = new GlobalStore();
    private volatile boolean isRunning;
    private volatile long ackedFirst = -1;
    private volatile long ackedLast = -1;
    private volatile Throwable appFailure;

    @Override
    @SuppressWarnings("try") // the metrics endpoint serves for as long as the node runs
    public Integer call() throws Exception
    {
        final PrintStream out = System.out;
        final MirrorNodeContext ctx = new MirrorNodeContext().mirrorName(mirror).memberName(name).dir(dir)
            .target(new StoreTarget(store)).insecure(true).initialPrimary(initialPrimary)
            .arbiterAddress(new InetSocketAddress("127.0.0.1", arbiterPort)).qosTimeoutMs(qosTimeoutMs)
            .heartbeatIntervalMs(Math.max(10, qosTimeoutMs / 10)).fileLength(64L * 1024 * 1024);
        for (final String member : members)
        {
            final int colon = member.indexOf(':');
            ctx.failoverMember(member.substring(0, colon),
                new InetSocketAddress("127.0.0.1", Integer.parseInt(member.substring(colon + 1))));
        }
        try (MirrorNode node = MirrorNode.start(ctx);
            MetricsEndpoint endpoint = metrics.start(() -> MetricsEndpoint.parts(node.primary(), node.member()),
                MetricsEndpoint::bindersOf))
        {
            final Thread app = new Thread(() -> application(node), "jmirror-failover-app");
            app.setDaemon(true);
            app.start();
            NodeControl.serve("name=" + name, (command, args, printer) ->
            {
                switch (command)
                {
                    case "role":
                        return "role=" + node.role() + " epoch=" + node.epoch() + " ackedFirst=" + ackedFirst +
                            " ackedLast=" + (ackedLast < 0 ? ackedLast : ackedLast + overstateAcks) + " takeovers=" +
                            node.takeovers() + " takeoverMs=" +
                            node.lastTakeoverMs() + (null == appFailure ? "" : " failure=" +
                            appFailure.toString().replace(' ', '_'));
                    case "resume":
                        isRunning = true;
                        return "resumed";
                    case "pause":
                        isRunning = false;
                        return "paused";
                    case "acked":
                        final String[] range = args.split(" ");
                        return "present=" + present(Long.parseLong(range[0]), Long.parseLong(range[1]));
                    case "digests":
                        return "globals=" + DigestLines.write(store, printer);
                    case "applied":
                        return applied(node);
                    default:
                        return null;
                }
            }, out);
        }
        out.println("@ok stopped");
        out.flush();
        return 0;
    }

    /**
     * While the node is primary and the demo says run: one transaction at a time, awaited; the store and the journal
     * change together, with before-images, as an embedder's would.
     */
    private void application(final MirrorNode node)
    {
        final BeforeImage before = new BeforeImage();
        final SubscriptKey key = new SubscriptKey();
        final long intervalNs = TimeUnit.SECONDS.toNanos(1) / Math.max(1, rate);
        Journal journal = null;
        JournalAppender appender = null;
        long next = 0;
        while (true)
        {
            final Journal current = node.journal();
            final Primary primary = node.primary();
            if (!isRunning || null == current || null == primary || node.role() != MirrorNode.Role.PRIMARY)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                continue;
            }
            if (current != journal)
            {
                journal = current;
                appender = current.newAppender();
                next = node.epoch() * EPOCH_TXN_BASE + 1;
            }
            try
            {
                final long txn = next++;
                appender.tstart(txn);
                key.clear().add(txn);
                final byte[] value = Long.toString(txn).getBytes(StandardCharsets.UTF_8);
                appender.set(txn, ACKED, key, value, before.undefined());
                store.set("USER", "Acked", key, value);
                key.clear().add(txn % 1000);
                appender.set(txn, DATA, key, value, before.value(store.get("USER", "Data", key)));
                store.set("USER", "Data", key, value);
                final long commit = appender.tcommit(txn);
                if (!primary.awaitCommitted(commit, TimeUnit.MILLISECONDS.toNanos(4 * qosTimeoutMs)))
                {
                    // Stop rather than go on past a commit whose fate is unknown: acknowledged commits stay one
                    // contiguous range, which is what the demo checks on the next primary.
                    appFailure = new IllegalStateException("commit not acknowledged in time: txn=" + txn);
                    isRunning = false;
                    continue;
                }
                if (ackedFirst < 0 || txn < ackedFirst)
                {
                    ackedFirst = txn;
                }
                ackedLast = txn;
                LockSupport.parkNanos(intervalNs);
            }
            catch (final RuntimeException ex)
            {
                // fenced or closed under us: a failover; the role check above decides what comes next
                appFailure = null == node.primary() ? null : ex;
                journal = null;
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
    }

    private long present(final long from, final long to)
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
