package io.jmirror.mirror;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jmirror.mirror.Loopback.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Two failover members and an arbiter on loopback, with links cut through proxies: a cut between primary and backup
 * only pauses commits until the arbiter releases the backup, which is ACTIVE again once the cut heals; with every
 * link cut nobody takes over and the primary acknowledges nothing, unless an operator forces it on; an isolated
 * primary is replaced and on the heal undoes what it wrote alone and rejoins.
 */
@Timeout(120)
class MirrorNodeLinkCutSystemTest extends MirrorNodeFixture
{
    @Test
    void aCutBetweenPrimaryAndBackupOnlyPausesCommitsUntilTheArbiterReleasesTheBackup() throws IOException
    {
        final Arbiter arbiter = startArbiter();
        final io.jmirror.shipper.LoopbackProxy proxy = new io.jmirror.shipper.LoopbackProxy(addressA);
        closeables.add(proxy);
        final GlobalStore storeA = new GlobalStore();
        final MirrorNode a = node("node-a", storeA, arbiter, true);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = MirrorNode.start(new MirrorNodeContext().mirrorName(MIRROR).memberName("node-b")
            .dir(dir.resolve("node-b")).target(new StoreTarget(new GlobalStore())).insecure(true)
            .failoverMember("node-a", addressA).failoverMember("node-b", addressB).route("node-a", proxy.address())
            .arbiterAddress(arbiter.address()).qosTimeoutMs(QOS_MS).heartbeatIntervalMs(100)
            .fileLength(4 * 1024 * 1024).workers(2));
        closeables.add(b);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "the arbiter holds the backup ACTIVE");
        write(a, storeA, 1, 50);

        proxy.stall(true);
        proxy.cutAll();
        final JournalAppender appender = a.journal().newAppender();
        appender.set(0, G, SubscriptKey.of(51), bytes("v51"));
        final long lsn = a.journal().tailLsn();
        assertTrue(a.primary().awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(20)),
            "the arbiter released the cut-off backup, so commits go on");
        assertEquals(MirrorNode.Role.PRIMARY, a.role(), "no failover: the arbiter still hears the primary");
        assertEquals(MirrorNode.Role.BACKUP, b.role());
        assertEquals(1, arbiter.record(MIRROR).epoch());
        assertTrue(arbiter.record(MIRROR).revoked());

        proxy.stall(false);
        write(a, storeA, 52, 60);
        final long end = a.journal().tailLsn();
        await(() -> null != b.member() && null != b.member().dejournaler() &&
            b.member().dejournaler().appliedLsn() >= end, "the backup catches up once the link heals");
    }

    @Test
    void afterACutHealsTheBackupIsActiveAgainAndTakesOverWithEveryAcknowledgedCommit() throws IOException
    {
        final LinkedPair pair = startLinkedPair();
        final Arbiter arbiter = pair.arbiter();
        final MirrorNode a = pair.a();
        final MirrorNode b = pair.b();

        // Only the link between the members is cut: the arbiter hears both and releases the backup, which says it
        // lost the primary; node-a acknowledges 51..60 alone.
        pair.toPrimary().stall(true);
        pair.toPrimary().cutAll();
        write(a, pair.storeA(), 51, 60);
        assertTrue(arbiter.record(MIRROR).revoked(), arbiter.record(MIRROR).toString());
        assertFalse(arbiter.record(MIRROR).backupActive());

        // Healed: node-b catches up on what node-a acknowledged alone, node-a reports it ACTIVE again above the
        // revoke's LSN (commits after the heal make sure there is something above it) and the arbiter re-admits it.
        pair.toPrimary().stall(false);
        write(a, pair.storeA(), 61, 70);
        await(() -> arbiter.record(MIRROR).backupActive(), "the arbiter holds the healed backup ACTIVE again");
        assertFalse(arbiter.record(MIRROR).revoked());
        assertEquals(1, arbiter.record(MIRROR).epoch());
        write(a, pair.storeA(), 71, 80);

        a.close();
        assertTrue(b.awaitRole(MirrorNode.Role.PRIMARY, 20_000), "no takeover: " + b.role() + " " + b.reason());
        assertEquals(2, b.epoch());
        final GlobalStore storeB = pair.storeB();
        for (long i = 1; i <= 80; i++)
        {
            assertNotNull(storeB.get("USER", "Acct", SubscriptKey.of(i)), "acknowledged write lost: " + i);
        }
        assertEquals(pair.storeA().digests(), storeB.digests());
    }

    @Test
    void withEveryLinkCutNobodyTakesOverAndThePrimaryAcknowledgesNothingUntilTheyHeal() throws IOException
    {
        final LinkedPair pair = startLinkedPair();
        final Arbiter arbiter = pair.arbiter();
        final io.jmirror.shipper.LoopbackProxy toPrimary = pair.toPrimary();
        final io.jmirror.shipper.LoopbackProxy arbiterOfA = pair.arbiterOfA();
        final io.jmirror.shipper.LoopbackProxy arbiterOfB = pair.arbiterOfB();
        final GlobalStore storeA = pair.storeA();
        final MirrorNode a = pair.a();
        final MirrorNode b = pair.b();

        pair.cutEveryLink();
        final JournalAppender appender = a.journal().newAppender();
        appender.set(0, G, SubscriptKey.of(51), bytes("v51"));
        final long lsn = a.journal().tailLsn();
        assertFalse(a.primary().awaitCommitted(lsn, TimeUnit.MILLISECONDS.toNanos(4 * QOS_MS)),
            "an isolated primary acknowledges nothing");
        assertTrue(a.primary().isWaitingForBackupRelease());
        assertEquals(MirrorNode.Role.BACKUP, b.role(), "no takeover without the arbiter");
        assertEquals(1, arbiter.record(MIRROR).epoch());

        for (final io.jmirror.shipper.LoopbackProxy proxy : List.of(toPrimary, arbiterOfA, arbiterOfB))
        {
            proxy.stall(false);
        }
        // At the heal either node-a goes on in epoch 1 (the waiting commit completes), or a request node-b sent to
        // the arbiter while cut off is delivered late, finds the primary silent for the QoS timeout and grants
        // node-b the takeover: then node-a is fenced and the waiting commit is never acknowledged. Never both.
        boolean acknowledged;
        try
        {
            acknowledged = a.primary().awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(20));
        }
        catch (final RuntimeException ex)
        {
            acknowledged = false;
        }
        await(() -> (a.role() == MirrorNode.Role.PRIMARY && b.role() == MirrorNode.Role.BACKUP) ||
            b.role() == MirrorNode.Role.PRIMARY, "one primary after the heal");
        // The arbiter's record decides which way it went: node-b may have been granted the takeover while it still
        // showed BACKUP when the roles were read.
        if ("node-b".equals(arbiter.record(MIRROR).primary()))
        {
            assertTrue(b.awaitRole(MirrorNode.Role.PRIMARY, 20_000), "granted, no takeover: " + b.reason());
            assertTrue(!acknowledged || b.journal().tailLsn() > lsn,
                "an acknowledged commit must be in the new primary's journal");
        }
        else
        {
            assertTrue(acknowledged, "node-a stayed primary: the healed backup acks the waiting commit");
            assertEquals(1, arbiter.record(MIRROR).epoch(), "healed in the same epoch: " + arbiter.record(MIRROR));
        }
    }

    @Test
    void anOperatorForcesAnIsolatedPrimaryOnAndTheArbiterRecordsItWhenItAnswersAgain() throws IOException
    {
        final LinkedPair pair = startLinkedPair();
        final Arbiter arbiter = pair.arbiter();
        final io.jmirror.shipper.LoopbackProxy toPrimary = pair.toPrimary();
        final io.jmirror.shipper.LoopbackProxy arbiterOfA = pair.arbiterOfA();
        final io.jmirror.shipper.LoopbackProxy arbiterOfB = pair.arbiterOfB();
        final GlobalStore storeA = pair.storeA();
        final MirrorNode a = pair.a();
        final MirrorNode b = pair.b();
        assertThrows(IllegalStateException.class, () -> b.forceWithoutBackup("not a primary"));
        OperatorRequests.submit(dir.resolve("node-b"), "force by mistake");
        final String refused = OperatorRequests.awaitAnswer(dir.resolve("node-b"), 10_000);
        assertTrue(null != refused && refused.startsWith("refused: only a primary"), String.valueOf(refused));

        pair.cutEveryLink();
        final JournalAppender appender = a.journal().newAppender();
        appender.set(0, G, SubscriptKey.of(51), bytes("v51"));
        final long lsn = a.journal().tailLsn();
        assertFalse(a.primary().awaitCommitted(lsn, TimeUnit.MILLISECONDS.toNanos(3 * QOS_MS)),
            "an isolated primary acknowledges nothing");
        assertFalse(arbiter.record(MIRROR).isForced(1));

        OperatorRequests.submit(dir.resolve("node-a"), "force backup site lost; accepted by the operator");
        final String answer = OperatorRequests.awaitAnswer(dir.resolve("node-a"), 10_000);
        assertTrue(null != answer && answer.startsWith("forced: member=node-a epoch=1"), String.valueOf(answer));
        assertTrue(a.primary().awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(20)), "forced on, commits go on alone");
        assertTrue(a.reason().contains("forced"), a.reason());
        await(() -> nodeStatusText(dir.resolve("node-a"), "node-a").contains("forced"),
            "jmirror status shows the force");
        try (io.jmirror.journal.StatusFile status = io.jmirror.journal.StatusFile.openReadOnly(dir.resolve("node-a")))
        {
            assertEquals(1, status.value(io.jmirror.journal.StatusCounterType.NODE_FORCES, "node-a", -1));
            assertEquals(MirrorNode.Role.PRIMARY.ordinal(),
                status.value(io.jmirror.journal.StatusCounterType.NODE_ROLE, "node-a", -1));
            assertEquals(1, status.value(io.jmirror.journal.StatusCounterType.NODE_EPOCH, "node-a", -1));
        }
        assertFalse(arbiter.record(MIRROR).isForced(1), "the arbiter cannot know yet");

        arbiterOfA.stall(false);
        await(() -> arbiter.record(MIRROR).isForced(1), "the arbiter records the force when it hears the primary");
        assertTrue(arbiter.record(MIRROR).revoked(), "the backup lacks what the forced primary acknowledged alone");
        arbiterOfB.stall(false);
        write(a, storeA, 52, 60);
        toPrimary.stall(false);
        final long end = a.journal().tailLsn();
        await(() -> null != b.member() && null != b.member().dejournaler() &&
            b.member().dejournaler().appliedLsn() >= end, "the backup catches up once its link heals");
        assertEquals(MirrorNode.Role.PRIMARY, a.role());
        assertEquals(MirrorNode.Role.BACKUP, b.role(), "no takeover: the backup was revoked for the epoch");
        assertEquals(1, arbiter.record(MIRROR).epoch());

        // Caught up and acknowledging commits again, the backup is reported ACTIVE above the revoke's LSN: in a
        // forced epoch that does not re-admit it.
        write(a, storeA, 61, 70);
        final long reportedUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10 * 100);
        while (System.nanoTime() < reportedUntil)
        {
            assertFalse(arbiter.record(MIRROR).backupActive(), "a forced epoch stays revoked");
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        assertTrue(arbiter.record(MIRROR).revoked());
    }

    @Test
    void anIsolatedPrimaryIsReplacedAndOnHealUndoesCutsAndRejoins() throws IOException
    {
        final Arbiter arbiter = startArbiter();
        final io.jmirror.shipper.LoopbackProxy toPrimary = new io.jmirror.shipper.LoopbackProxy(addressA);
        final io.jmirror.shipper.LoopbackProxy arbiterOfA = new io.jmirror.shipper.LoopbackProxy(arbiter.address());
        closeables.add(toPrimary);
        closeables.add(arbiterOfA);
        final GlobalStore storeA = new GlobalStore();
        final GlobalStore storeB = new GlobalStore();
        final MirrorNode a = MirrorNode.start(nodeContext("node-a", storeA, arbiterOfA.address()).initialPrimary(true));
        closeables.add(a);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = MirrorNode.start(nodeContext("node-b", storeB, arbiter.address())
            .route("node-a", toPrimary.address()));
        closeables.add(b);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "node-b ACTIVE");
        write(a, storeA, 1, 50);

        // node-a loses node-b and the arbiter; node-b and the arbiter still see each other
        for (final io.jmirror.shipper.LoopbackProxy proxy : List.of(toPrimary, arbiterOfA))
        {
            proxy.stall(true);
            proxy.cutAll();
        }
        // its application goes on writing: nothing it writes now is acknowledged
        final JournalAppender appender = a.journal().newAppender();
        final BeforeImage before = new BeforeImage();
        appender.tstart(77);
        appender.set(77, G, SubscriptKey.of(10), bytes("isolated"), before.value(storeA.get("USER", "Acct",
            SubscriptKey.of(10))));
        storeA.set("USER", "Acct", SubscriptKey.of(10), bytes("isolated"));
        appender.set(77, G, SubscriptKey.of(999), bytes("isolated"), before.undefined());
        storeA.set("USER", "Acct", SubscriptKey.of(999), bytes("isolated"));
        final long isolatedCommit = appender.tcommit(77);
        assertFalse(a.primary().awaitCommitted(isolatedCommit, TimeUnit.MILLISECONDS.toNanos(3 * QOS_MS)),
            "an isolated primary acknowledges nothing");
        assertTrue(b.awaitRole(MirrorNode.Role.PRIMARY, 20_000), "node-b took over: " + b.reason());
        write(b, storeB, 51, 60);

        for (final io.jmirror.shipper.LoopbackProxy proxy : List.of(toPrimary, arbiterOfA))
        {
            proxy.stall(false);
        }
        assertTrue(a.awaitRole(MirrorNode.Role.BACKUP, 20_000), a.role() + " " + a.reason());
        assertNotNull(a.divergentBytes(), "its divergent bytes are kept");
        final long end = b.journal().tailLsn();
        await(() -> null != a.member() && null != a.member().dejournaler() &&
            a.member().dejournaler().appliedLsn() >= end, "node-a follows node-b");
        assertNull(storeA.get("USER", "Acct", SubscriptKey.of(999)), "its unacknowledged write is undone");
        assertEquals(storeB.digests(), storeA.digests());
    }

    /**
     * A primary node-a and its ACTIVE backup node-b, each link (backup to primary, each node to the arbiter) through a
     * proxy that can cut it; 50 records written and acknowledged.
     */
    private record LinkedPair(Arbiter arbiter, io.jmirror.shipper.LoopbackProxy toPrimary,
        io.jmirror.shipper.LoopbackProxy arbiterOfA, io.jmirror.shipper.LoopbackProxy arbiterOfB, GlobalStore storeA,
        MirrorNode a, MirrorNode b, GlobalStore storeB)
    {
        void cutEveryLink()
        {
            for (final io.jmirror.shipper.LoopbackProxy proxy : List.of(toPrimary, arbiterOfA, arbiterOfB))
            {
                proxy.stall(true);
                proxy.cutAll();
            }
        }
    }

    private LinkedPair startLinkedPair() throws IOException
    {
        final Arbiter arbiter = startArbiter();
        final io.jmirror.shipper.LoopbackProxy toPrimary = new io.jmirror.shipper.LoopbackProxy(addressA);
        final io.jmirror.shipper.LoopbackProxy arbiterOfA = new io.jmirror.shipper.LoopbackProxy(arbiter.address());
        final io.jmirror.shipper.LoopbackProxy arbiterOfB = new io.jmirror.shipper.LoopbackProxy(arbiter.address());
        closeables.add(toPrimary);
        closeables.add(arbiterOfA);
        closeables.add(arbiterOfB);
        final GlobalStore storeA = new GlobalStore();
        final MirrorNode a = MirrorNode.start(nodeContext("node-a", storeA, arbiterOfA.address()).initialPrimary(true));
        closeables.add(a);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final GlobalStore storeB = new GlobalStore();
        final MirrorNode b = MirrorNode.start(nodeContext("node-b", storeB, arbiterOfB.address())
            .route("node-a", toPrimary.address()));
        closeables.add(b);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "the arbiter holds the backup ACTIVE");
        write(a, storeA, 1, 50);
        return new LinkedPair(arbiter, toPrimary, arbiterOfA, arbiterOfB, storeA, a, b, storeB);
    }

    private static String nodeStatusText(final java.nio.file.Path nodeDir, final String member)
    {
        try (io.jmirror.journal.StatusFile status = io.jmirror.journal.StatusFile.openReadOnly(nodeDir))
        {
            final String text = status.text(io.jmirror.journal.StatusCounterType.NODE_REASON, member);
            return null == text ? "" : text;
        }
    }

    private MirrorNodeContext nodeContext(final String name, final GlobalStore store, final InetSocketAddress arbiter)
    {
        return new MirrorNodeContext().mirrorName(MIRROR).memberName(name).dir(dir.resolve(name))
            .target(new StoreTarget(store)).insecure(true).failoverMember("node-a", addressA)
            .failoverMember("node-b", addressB).arbiterAddress(arbiter).qosTimeoutMs(QOS_MS).heartbeatIntervalMs(100)
            .fileLength(4 * 1024 * 1024).workers(2);
    }
}
