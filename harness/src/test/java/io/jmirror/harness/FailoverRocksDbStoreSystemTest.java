package io.jmirror.harness;

import io.jmirror.dejournal.GlobalDigest;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.GlobalName;
import io.jmirror.mirror.Arbiter;
import io.jmirror.mirror.ArbiterContext;
import io.jmirror.mirror.MirrorNode;
import io.jmirror.mirror.MirrorNodeContext;
import io.jmirror.shipper.MemberStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failover primary that keeps its store in RocksDB, as the CLI's failover nodes do by default, with its journal
 * purged down to one file: after a crash its store comes back at its last checkpoint, older than its journal's end,
 * and the node replays its journal from there before it opens as primary; a store whose checkpoint lies in purged
 * files refuses to open.
 */
class FailoverRocksDbStoreSystemTest
{
    private static final String MIRROR = "ROCKS";
    private static final long QOS_MS = 2000;
    private static final long FILE_LENGTH = 16 * 1024;

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final InetSocketAddress addressA = freeAddress();
    private final InetSocketAddress addressB = freeAddress();

    @AfterEach
    void close() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCrashedPrimaryReplaysFromItsStoreCheckpointOverAPurgedJournalAndAStoreNeedingPurgedRecordsRefuses()
        throws Exception
    {
        final Arbiter arbiter = Arbiter.start(new ArbiterContext().dir(dir.resolve("arbiter")).insecure(true)
            .qosTimeoutMs(QOS_MS).member(MIRROR, "node-a").member(MIRROR, "node-b"));
        closeables.add(arbiter);
        final MemberStore storeA = store(RocksDbTarget.open(dir.resolve("node-a").resolve(MemberStore.ROCKSDB_DIR)));
        final MemberStore storeB = store(RocksDbTarget.open(dir.resolve("node-b").resolve(MemberStore.ROCKSDB_DIR)));
        final MirrorNode a = node("node-a", storeA.target(), arbiter, true);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = node("node-b", storeB.target(), arbiter, false);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        await(() ->
        {
            final MemberStatus status = a.primary().memberStatus("node-b");
            return null != status && "ACTIVE".equals(status.transferStatus());
        }, "backup ACTIVE");

        final FailoverWorkload workload = new FailoverWorkload(a, storeA, "node-a", 5000, QOS_MS, 10, null);
        final Thread app = new Thread(workload, "test-failover-app");
        app.setDaemon(true);
        app.start();
        closeables.add(workload::stop);
        workload.resume();
        await(() -> workload.ackedLast() - workload.ackedFirst() >= 200, "200 commits");
        final RocksDbTarget liveA = (RocksDbTarget)storeA.target();
        // A copy of the store as a crash would leave it: its last checkpoint, with data beyond it or not.
        final long earlyLsn = liveA.copyTo(dir.resolve("early-copy"));
        await(() -> a.journal().startLsn() > earlyLsn + 4 * FILE_LENGTH && workload.ackedLast() -
            workload.ackedFirst() >= 2000, "the primary purges past the early copy's checkpoint: startLsn=" +
            a.journal().startLsn() + " earlyLsn=" + earlyLsn);
        workload.pause();
        final long end = a.journal().tailLsn();
        await(() -> null != b.member() && null != b.member().dejournaler() &&
            b.member().dejournaler().appliedLsn() >= end, "the backup applies everything");
        final long lateLsn = liveA.copyTo(dir.resolve("late-copy"));
        assertTrue(lateLsn < end, "the late copy's checkpoint is older than the journal's end, so the restart " +
            "replays: lateLsn=" + lateLsn + " end=" + end);
        assertTrue(a.journal().startLsn() > earlyLsn, "purged past the early copy");
        assertTrue(a.journal().startLsn() <= lateLsn, "purge kept every record from the store's checkpoint on: " +
            "startLsn=" + a.journal().startLsn() + " checkpointLsn=" + lateLsn);
        workload.stop();
        b.close();
        a.close();
        final Map<GlobalName, GlobalDigest> expected = storeB.digests();
        assertTrue(expected.size() >= 3, "the workload's globals: " + expected);

        // Restarted on a store whose checkpoint lies in purged journal files: it must not open for writes.
        final RocksDbTarget early = RocksDbTarget.open(dir.resolve("early-copy"));
        closeables.add(early);
        final MirrorNode refused = node("node-a", early, arbiter, true);
        assertFalse(refused.awaitRole(MirrorNode.Role.PRIMARY, 3_000), "opened as primary without purged records");
        final String reason = String.valueOf(refused.reason());
        assertTrue(reason.contains("purged") && reason.contains("seed"), refused.role() + " " + reason);
        refused.close();

        // Restarted on the store as its last checkpoint left it: replays the journal from there, then opens.
        final RocksDbTarget late = RocksDbTarget.open(dir.resolve("late-copy"));
        closeables.add(late);
        assertEquals(lateLsn, late.recoveredLsn());
        final MirrorNode again = node("node-a", late, arbiter, true);
        assertTrue(again.awaitRole(MirrorNode.Role.PRIMARY, 20_000), again.role() + " " + again.reason());
        assertTrue(late.recoveredLsn() >= end, "replayed to the journal's end: recoveredLsn=" + late.recoveredLsn());
        assertEquals(expected, late.digests(), "the restarted primary's store equals its backup's");
    }

    private MemberStore store(final RocksDbTarget target)
    {
        final MemberStore store = MemberStore.rocksDb(target);
        closeables.add(store);
        return store;
    }

    private MirrorNode node(final String name, final Target target, final Arbiter arbiter, final boolean first)
    {
        final MirrorNode node = MirrorNode.start(new MirrorNodeContext().mirrorName(MIRROR).memberName(name)
            .dir(dir.resolve(name)).target(target).insecure(true).initialPrimary(first)
            .failoverMember("node-a", addressA).failoverMember("node-b", addressB)
            .arbiterAddress(arbiter.address()).qosTimeoutMs(QOS_MS).heartbeatIntervalMs(100)
            .fileLength(FILE_LENGTH).workers(2).retainMs(0).retainMinFiles(1).purgeIntervalMs(50));
        closeables.add(node);
        return node;
    }

    private static void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static InetSocketAddress freeAddress()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return new InetSocketAddress("127.0.0.1", socket.getLocalPort());
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
