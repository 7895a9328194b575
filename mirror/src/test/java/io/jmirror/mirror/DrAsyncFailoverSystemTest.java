package io.jmirror.mirror;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.shipper.LoopbackProxy;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.MemberStatus;
import io.jmirror.shipper.TransferStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

import static io.jmirror.mirror.Loopback.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A DR async member at failovers, on loopback with a real arbiter: promoted to failover member into the slot of a
 * lost backup, it becomes the ACTIVE backup and takes over with every acknowledged commit; and ahead of the backup
 * when the backup takes over, it undoes and cuts what the old primary sent it alone and ends equal to the new primary.
 */
@Timeout(40)
class DrAsyncFailoverSystemTest extends MirrorNodeFixture
{
    @Test
    void aDrAsyncPromotedToFailoverMemberBecomesTheActiveBackupAndTakesOverWithEveryAcknowledgedCommit()
    {
        final Arbiter arbiter = startArbiterWithDr();
        final GlobalStore storeA = new GlobalStore();
        final GlobalStore storeD = new GlobalStore();
        final MirrorNode a = startNode(context("node-a", storeA, arbiter.address()).initialPrimary(true));
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = startNode(context("node-b", new GlobalStore(), arbiter.address()));
        final MirrorNode d = startNode(context("dr-1", storeD, arbiter.address()));
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        assertTrue(d.awaitRole(MirrorNode.Role.ASYNC, 20_000), d.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "node-b ACTIVE");
        write(a, storeA, 1, 100);

        assertFalse(d.promoteToFailover(3 * QOS_MS), "promoted while the arbiter still hears the backup");
        assertEquals(MirrorNode.Role.ASYNC, d.role(), d.reason());

        // node-b is gone: node-a's commits wait until the arbiter releases it, then go on alone.
        b.close();
        write(a, storeA, 101, 150);
        assertTrue(d.promoteToFailover(20_000), d.role() + " " + d.reason());
        assertEquals("dr-1", arbiter.record(MIRROR).backup());
        await(() -> isActiveBackup(a, "dr-1"), "node-a ships to dr-1 as its ACTIVE backup");

        // Commits now wait for dr-1; the arbiter holds it ACTIVE once node-a reports it above its tail.
        write(a, storeA, 151, 200);
        await(() -> arbiter.record(MIRROR).backupActive(), "the arbiter holds dr-1 ACTIVE");
        final byte[] lastAcked = storeA.get("USER", "Acct", SubscriptKey.of(200));

        a.close();
        assertTrue(d.awaitRole(MirrorNode.Role.PRIMARY, 20_000), d.role() + " " + d.reason());
        assertEquals(2, d.epoch());
        assertEquals("dr-1", arbiter.record(MIRROR).primary());
        assertArrayEquals(lastAcked, storeD.get("USER", "Acct", SubscriptKey.of(200)));
        assertEquals(storeA.digests(), storeD.digests(), "every acknowledged commit survives the takeover");
        write(d, storeD, 201, 210);
    }

    @Test
    void aDrAsyncAheadOfTheBackupAtATakeoverUndoesAndCutsItsExtraRecordsAndEndsEqualToTheNewPrimary()
        throws IOException
    {
        final Arbiter arbiter = startArbiterWithDr();
        final LoopbackProxy backupToPrimary = new LoopbackProxy(addressA);
        final LoopbackProxy arbiterOfA = new LoopbackProxy(arbiter.address());
        closeables.add(backupToPrimary);
        closeables.add(arbiterOfA);
        final GlobalStore storeA = new GlobalStore();
        final GlobalStore storeB = new GlobalStore();
        final GlobalStore storeD = new GlobalStore();
        final MirrorNode a = startNode(context("node-a", storeA, arbiterOfA.address()).initialPrimary(true));
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = startNode(context("node-b", storeB, arbiter.address())
            .route("node-a", backupToPrimary.address()));
        final MirrorNode d = startNode(context("dr-1", storeD, arbiter.address()));
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        assertTrue(d.awaitRole(MirrorNode.Role.ASYNC, 20_000), d.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "node-b ACTIVE");
        write(a, storeA, 1, 50);

        // node-a loses node-b and the arbiter, and ships a transaction only dr-1 receives, none of it acknowledged.
        for (final LoopbackProxy proxy : List.of(backupToPrimary, arbiterOfA))
        {
            proxy.stall(true);
            proxy.cutAll();
        }
        final JournalAppender appender = a.journal().newAppender();
        final BeforeImage before = new BeforeImage();
        appender.tstart(77);
        appender.set(77, G, SubscriptKey.of(10), bytes("ahead"), before.value(storeA.get("USER", "Acct",
            SubscriptKey.of(10))));
        appender.set(77, G, SubscriptKey.of(999), bytes("ahead"), before.undefined());
        appender.tcommit(77);
        final long aheadEnd = a.journal().tailLsn();
        await(() -> appliedLsn(d) >= aheadEnd, "dr-1 applied what only it received");
        assertArrayEquals(bytes("ahead"), storeD.get("USER", "Acct", SubscriptKey.of(999)));
        a.close();

        assertTrue(b.awaitRole(MirrorNode.Role.PRIMARY, 20_000), "node-b took over: " + b.reason());
        assertTrue(b.journal().epochHistory().get(b.journal().epochHistory().size() - 1).lsn() < aheadEnd,
            "node-b's epoch starts below what dr-1 held");
        write(b, storeB, 51, 60);
        final long end = b.journal().tailLsn();
        await(() -> d.epoch() == 2 && appliedLsn(d) >= end, "dr-1 follows node-b");
        assertEquals(MirrorNode.Role.ASYNC, d.role(), d.reason());
        assertNotNull(d.divergentBytes(), "its extra records are kept in a file");
        assertNull(storeD.get("USER", "Acct", SubscriptKey.of(999)), "what only it received is undone");
        assertEquals(storeB.digests(), storeD.digests());
        assertEquals(b.journal().epochHistory(), d.member().receiver().journal().epochHistory());
    }

    private static boolean isActiveBackup(final MirrorNode primary, final String member)
    {
        final MemberStatus status = primary.primary().memberStatus(member);
        return null != status && status.role() == MemberRole.BACKUP &&
            TransferStatus.ACTIVE.name().equals(status.transferStatus());
    }

    private static long appliedLsn(final MirrorNode node)
    {
        final Member member = node.member();
        return null == member || null == member.dejournaler() ? -1 : member.dejournaler().appliedLsn();
    }

    /**
     * An arbiter that also knows dr-1, so it can promote it to failover member.
     */
    private Arbiter startArbiterWithDr()
    {
        final Arbiter arbiter = Arbiter.start(new ArbiterContext().dir(dir.resolve("arbiter")).insecure(true)
            .qosTimeoutMs(QOS_MS).member(MIRROR, "node-a").member(MIRROR, "node-b").asyncMember(MIRROR, "dr-1"));
        closeables.add(arbiter);
        return arbiter;
    }

    private MirrorNodeContext context(final String name, final GlobalStore store, final InetSocketAddress arbiter)
    {
        return new MirrorNodeContext().mirrorName(MIRROR).memberName(name).dir(dir.resolve(name))
            .target(new StoreTarget(store)).insecure(true).failoverMember("node-a", addressA)
            .failoverMember("node-b", addressB).asyncMember("dr-1", addressD).arbiterAddress(arbiter)
            .qosTimeoutMs(QOS_MS).heartbeatIntervalMs(100).fileLength(4 * 1024 * 1024).syncPolicy(SyncPolicy.GROUP)
            .workers(2);
    }

    private MirrorNode startNode(final MirrorNodeContext ctx)
    {
        final MirrorNode node = MirrorNode.start(ctx);
        closeables.add(node);
        return node;
    }
}
