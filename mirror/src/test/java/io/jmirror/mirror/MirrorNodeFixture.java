package io.jmirror.mirror;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jmirror.mirror.Loopback.freeAddress;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the mirror node system tests share: one mirror's two failover members (node-a, node-b) and its async member
 * (dr-1) on free loopback ports, a directory per test, nodes and an arbiter started with the short QoS timeout and
 * heartbeats that keep these tests quick, and writes that return once the primary has acknowledged them. Whatever a
 * test starts it adds to {@link #closeables}, which are closed after it in the reverse order.
 */
abstract class MirrorNodeFixture
{
    static final String MIRROR = "CLINIC";
    static final long QOS_MS = 600;
    static final GlobalName G = GlobalName.of("USER", "Acct");

    @TempDir
    Path dir;
    final List<AutoCloseable> closeables = new ArrayList<>();
    final InetSocketAddress addressA = freeAddress();
    final InetSocketAddress addressB = freeAddress();
    final InetSocketAddress addressD = freeAddress();

    @AfterEach
    void close() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
    }

    MirrorNode node(final String name, final GlobalStore store, final Arbiter arbiter, final boolean first)
    {
        return node(name, store, arbiter, first, QOS_MS);
    }

    MirrorNode node(
        final String name, final GlobalStore store, final Arbiter arbiter, final boolean first, final long qosMs)
    {
        final MirrorNode node = MirrorNode.start(new MirrorNodeContext().mirrorName(MIRROR).memberName(name)
            .dir(dir.resolve(name)).target(new StoreTarget(store)).insecure(true).initialPrimary(first)
            .failoverMember("node-a", addressA).failoverMember("node-b", addressB).asyncMember("dr-1", addressD)
            .arbiterAddress(arbiter.address()).qosTimeoutMs(qosMs).heartbeatIntervalMs(100)
            .fileLength(4 * 1024 * 1024).syncPolicy(SyncPolicy.GROUP).workers(2));
        closeables.add(node);
        return node;
    }

    static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    Arbiter startArbiter()
    {
        final Arbiter arbiter = Arbiter.start(new ArbiterContext().dir(dir.resolve("arbiter")).insecure(true)
            .qosTimeoutMs(QOS_MS).member(MIRROR, "node-a").member(MIRROR, "node-b"));
        closeables.add(arbiter);
        return arbiter;
    }

    static void write(final MirrorNode primary, final GlobalStore store, final long from, final long to)
    {
        final JournalAppender appender = primary.journal().newAppender();
        for (long i = from; i <= to; i++)
        {
            appender.set(0, G, SubscriptKey.of(i), bytes("v" + i));
            store.set("USER", "Acct", SubscriptKey.of(i), bytes("v" + i));
        }
        assertTrue(primary.primary().awaitCommitted(primary.journal().tailLsn(), TimeUnit.SECONDS.toNanos(10)),
            "acknowledged: " + from + ".." + to);
    }
}
