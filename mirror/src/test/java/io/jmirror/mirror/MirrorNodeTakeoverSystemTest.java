package io.jmirror.mirror;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.shipper.MemberStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.jmirror.mirror.Loopback.await;
import static io.jmirror.mirror.Loopback.freeAddress;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Two failover members and an arbiter on loopback, taking over from each other: the primary dies with a transaction
 * open and the backup takes over in the next epoch with every acknowledged commit, the open transaction rolled back,
 * and opens for writes; a planned switch, a takeover over mutual TLS, a double failover, an async member that
 * follows the new primary or is promoted once both failover members are lost, and the cases where the backup must
 * not take over (the no-failover flag, no arbiter).
 */
@Timeout(120)
class MirrorNodeTakeoverSystemTest extends MirrorNodeFixture
{
    @Test
    void theBackupTakesOverWithEveryAcknowledgedCommitAndRollsBackTheOpenTransaction() throws IOException
    {
        final Arbiter arbiter = startArbiter();
        final GlobalStore storeA = new GlobalStore();
        final GlobalStore storeB = new GlobalStore();
        final MirrorNode a = node("node-a", storeA, arbiter, true);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = node("node-b", storeB, arbiter, false);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        assertEquals(1, a.epoch());
        await(() ->
        {
            final MemberStatus status = a.primary().memberStatus("node-b");
            return null != status && "ACTIVE".equals(status.transferStatus());
        }, "backup ACTIVE");
        await(() -> arbiter.record(MIRROR).backupActive(), "the arbiter holds the backup ACTIVE");

        // the application: journal and store changed together, every transaction awaited
        final JournalAppender appender = a.journal().newAppender();
        final BeforeImage before = new BeforeImage();
        final Map<String, String> acknowledged = new LinkedHashMap<>();
        for (long txn = 1; txn <= 100; txn++)
        {
            appender.tstart(txn);
            final SubscriptKey key = SubscriptKey.of(txn % 20);
            final String value = "v" + txn;
            appender.set(txn, G, key, bytes(value), before.value(storeA.get("USER", "Acct", key)));
            storeA.set("USER", "Acct", key, bytes(value));
            final long commit = appender.tcommit(txn);
            assertTrue(a.primary().awaitCommitted(commit, TimeUnit.SECONDS.toNanos(10)), "commit " + txn);
            acknowledged.put(key.toString(), value);
        }
        // a transaction left open when the primary dies: its changes must not survive the takeover
        appender.tstart(500);
        final SubscriptKey touched = SubscriptKey.of(3);
        appender.set(500, G, touched, bytes("uncommitted"), before.value(storeA.get("USER", "Acct", touched)));
        appender.set(500, G, SubscriptKey.of(99), bytes("uncommitted"), before.undefined());
        final long openEnd = a.journal().tailLsn();
        await(() -> null != b.member() && b.member().receiver().receivedLsn() >= openEnd, "open txn shipped");

        final long killedAtNs = System.nanoTime();
        a.close();

        assertTrue(b.awaitRole(MirrorNode.Role.PRIMARY, 20_000), "no takeover: " + b.role() + " " + b.reason());
        final long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAtNs);
        assertEquals(2, b.epoch());
        assertEquals(2, b.journal().epoch());
        assertEquals(1, b.takeovers());
        assertTrue(takeoverMs < QOS_MS + 5_000, "takeoverMs=" + takeoverMs);

        for (final Map.Entry<String, String> entry : acknowledged.entrySet())
        {
            final byte[] value = storeB.get("USER", "Acct", keyOf(entry.getKey()));
            assertNotNull(value, "acknowledged commit lost: " + entry);
        }
        assertEquals(acknowledged.get(touched.toString()),
            new String(storeB.get("USER", "Acct", touched), StandardCharsets.UTF_8), "the open transaction is undone");
        assertNull(storeB.get("USER", "Acct", SubscriptKey.of(99)), "the open transaction is undone");

        // the new primary takes writes (no backup yet: nothing gates them)
        final JournalAppender newAppender = b.journal().newAppender();
        newAppender.tstart(1000);
        newAppender.set(1000, G, SubscriptKey.of(1), bytes("after"), before.value(storeB.get("USER", "Acct",
            SubscriptKey.of(1))));
        storeB.set("USER", "Acct", SubscriptKey.of(1), bytes("after"));
        assertTrue(b.primary().awaitCommitted(newAppender.tcommit(1000), TimeUnit.SECONDS.toNanos(10)));

        // The old primary had written more that node-b never received (it lost its backup, say, and wrote on until
        // it stopped): records of epoch 1 beyond where epoch 2 starts.
        final long divergence = b.journal().epochHistory().get(1).lsn();
        try (io.jmirror.journal.Journal old = io.jmirror.journal.Journal.open(new io.jmirror.journal.JournalContext()
            .journalDir(dir.resolve("node-a").resolve("journal")).mirrorName(MIRROR)))
        {
            assertEquals(divergence, old.tailLsn(), "node-b received all node-a had");
            old.newAppender().set(0, G, SubscriptKey.of(777), bytes("divergent"));
        }

        // the old primary comes back: it keeps its divergent bytes aside, cuts them off and follows node-b
        final GlobalStore storeA2 = new GlobalStore();
        final MirrorNode back = node("node-a", storeA2, arbiter, true);
        assertTrue(back.awaitRole(MirrorNode.Role.BACKUP, 20_000), back.role() + " " + back.reason());
        assertNotNull(back.divergentBytes(), "the divergent bytes are kept");
        assertTrue(java.nio.file.Files.size(back.divergentBytes()) > 0);
        final long end = b.journal().tailLsn();
        await(() -> null != back.member() && null != back.member().dejournaler() &&
            back.member().dejournaler().appliedLsn() >= end, "the rejoined member catches up");
        assertEquals(storeB.digests(), storeA2.digests(), "the rejoined member's store equals the primary's");
        assertNull(storeA2.get("USER", "Acct", SubscriptKey.of(777)), "no divergent record applied");
        assertEquals(b.journal().epochHistory(), back.member().receiver().journal().epochHistory());
    }

    @Test
    void aPlannedSwitchHandsOverWithoutWaitingForTheQosTimeout()
    {
        final long qosMs = 10_000;
        final Arbiter arbiter = Arbiter.start(new ArbiterContext().dir(dir.resolve("arbiter")).insecure(true)
            .qosTimeoutMs(qosMs).member(MIRROR, "node-a").member(MIRROR, "node-b"));
        closeables.add(arbiter);
        final GlobalStore storeA = new GlobalStore();
        final GlobalStore storeB = new GlobalStore();
        final MirrorNode a = node("node-a", storeA, arbiter, true, qosMs);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = node("node-b", storeB, arbiter, false, qosMs);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "the arbiter holds the backup ACTIVE");

        final JournalAppender appender = a.journal().newAppender();
        for (long i = 1; i <= 50; i++)
        {
            appender.set(0, G, SubscriptKey.of(i), bytes("a" + i));
            storeA.set("USER", "Acct", SubscriptKey.of(i), bytes("a" + i));
        }
        assertTrue(a.primary().awaitCommitted(a.journal().tailLsn(), TimeUnit.SECONDS.toNanos(10)));

        final long startNs = System.nanoTime();
        assertTrue(a.handOver(20_000), a.role() + " " + a.reason());
        assertTrue(b.awaitRole(MirrorNode.Role.PRIMARY, 20_000), b.reason());
        final long switchMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(switchMs < qosMs / 2, "the switch waited for the QoS timeout: switchMs=" + switchMs);
        assertEquals(2, b.epoch());
        assertNull(a.divergentBytes(), "a handed-over primary holds nothing the new primary lacks");

        final JournalAppender next = b.journal().newAppender();
        next.set(0, G, SubscriptKey.of(51), bytes("b51"));
        storeB.set("USER", "Acct", SubscriptKey.of(51), bytes("b51"));
        final long end = b.journal().tailLsn();
        await(() -> null != a.member() && null != a.member().dejournaler() &&
            a.member().dejournaler().appliedLsn() >= end, "the old primary follows the new one");
        assertEquals(storeB.digests(), storeA.digests());
    }

    @Test
    void anAsyncMemberFollowsTheNewPrimaryAfterATakeover()
    {
        final Arbiter arbiter = arbiterWithAsync();
        final GlobalStore storeB = new GlobalStore();
        final GlobalStore storeD = new GlobalStore();
        final GlobalStore storeA = new GlobalStore();
        final MirrorNode a = node("node-a", storeA, arbiter, true);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = node("node-b", storeB, arbiter, false);
        final MirrorNode d = node("dr-1", storeD, arbiter, false);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        assertTrue(d.awaitRole(MirrorNode.Role.ASYNC, 20_000), d.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "the arbiter holds the backup ACTIVE");
        assertEquals("node-b", arbiter.record(MIRROR).backup(), "an async member never registers as backup");
        write(a, storeA, 1, 100);

        a.close();
        assertTrue(b.awaitRole(MirrorNode.Role.PRIMARY, 20_000), b.reason());
        write(b, storeB, 101, 200);
        final long end = b.journal().tailLsn();
        await(() -> null != d.member() && null != d.member().dejournaler() &&
            d.member().dejournaler().appliedLsn() >= end, "the async member follows the new primary");
        assertEquals(MirrorNode.Role.ASYNC, d.role());
        assertEquals(storeB.digests(), storeD.digests());
        assertEquals(b.journal().epochHistory(), d.member().receiver().journal().epochHistory());
    }

    @Test
    void anAsyncMemberIsPromotedOnlyWhenBothFailoverMembersAreLost()
    {
        final Arbiter arbiter = arbiterWithAsync();
        final GlobalStore storeA = new GlobalStore();
        final GlobalStore storeD = new GlobalStore();
        final MirrorNode a = node("node-a", storeA, arbiter, true);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = node("node-b", new GlobalStore(), arbiter, false);
        final MirrorNode d = node("dr-1", storeD, arbiter, false);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        assertTrue(d.awaitRole(MirrorNode.Role.ASYNC, 20_000), d.reason());
        write(a, storeA, 1, 100);
        final long end = a.journal().tailLsn();
        await(() -> null != d.member() && null != d.member().dejournaler() &&
            d.member().dejournaler().appliedLsn() >= end, "the async member caught up");

        assertFalse(d.promote(3 * QOS_MS), "promoted while the failover members are alive");
        assertEquals(MirrorNode.Role.ASYNC, d.role());

        a.close();
        b.close();
        assertTrue(d.promote(20_000), d.role() + " " + d.reason());
        assertEquals(2, d.epoch());
        final List<ArbiterRecord.Start> starts = arbiter.record(MIRROR).starts();
        assertTrue(starts.get(starts.size() - 1).forced(), "the data loss is recorded: " + starts);
        assertEquals("dr-1", arbiter.record(MIRROR).primary());
        write(d, storeD, 101, 110);
        assertEquals(storeA.get("USER", "Acct", SubscriptKey.of(100)).length,
            storeD.get("USER", "Acct", SubscriptKey.of(100)).length, "what it received survives");
    }

    @Test
    void overMutualTlsTheBackupTakesOver() throws Exception
    {
        final io.jmirror.shipper.TestPki pki = io.jmirror.shipper.TestPki.create(
            java.nio.file.Files.createDirectories(dir.resolve("pki")), "arbiter", "node-a", "node-b");
        final Arbiter arbiter = Arbiter.start(new ArbiterContext().dir(dir.resolve("arbiter"))
            .tls(pki.config("arbiter")).qosTimeoutMs(QOS_MS).member(MIRROR, "node-a").member(MIRROR, "node-b"));
        closeables.add(arbiter);
        final GlobalStore storeA = new GlobalStore();
        final GlobalStore storeB = new GlobalStore();
        final MirrorNode a = MirrorNode.start(tlsContext("node-a", storeA, arbiter, pki).initialPrimary(true));
        closeables.add(a);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 30_000), a.reason());
        final MirrorNode b = MirrorNode.start(tlsContext("node-b", storeB, arbiter, pki));
        closeables.add(b);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 30_000), b.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "node-b ACTIVE over TLS");
        write(a, storeA, 1, 50);
        a.close();
        assertTrue(b.awaitRole(MirrorNode.Role.PRIMARY, 30_000), b.reason());
        assertEquals(storeA.digests(), storeB.digests());

        // a member whose certificate names someone else is refused by the arbiter: it never becomes anything
        final MirrorNode intruder = MirrorNode.start(new MirrorNodeContext().mirrorName(MIRROR)
            .memberName("node-a").dir(dir.resolve("intruder")).target(new StoreTarget(new GlobalStore()))
            .tls(pki.config("node-b")).failoverMember("node-a", freeAddress()).failoverMember("node-b", addressB)
            .arbiterAddress(arbiter.address()).qosTimeoutMs(QOS_MS).heartbeatIntervalMs(100));
        closeables.add(intruder);
        assertFalse(intruder.awaitRole(MirrorNode.Role.BACKUP, 2 * QOS_MS), intruder.reason());
        assertEquals(MirrorNode.Role.CANDIDATE, intruder.role());
    }

    private MirrorNodeContext tlsContext(
        final String name, final GlobalStore store, final Arbiter arbiter, final io.jmirror.shipper.TestPki pki)
    {
        return new MirrorNodeContext().mirrorName(MIRROR).memberName(name).dir(dir.resolve(name))
            .target(new StoreTarget(store)).tls(pki.config(name)).failoverMember("node-a", addressA)
            .failoverMember("node-b", addressB).arbiterAddress(arbiter.address()).qosTimeoutMs(QOS_MS)
            .heartbeatIntervalMs(100).fileLength(4 * 1024 * 1024).workers(2);
    }

    @Test
    void aDoubleFailoverGoesBackToTheFirstNodeWithNothingLost()
    {
        final Arbiter arbiter = startArbiter();
        final GlobalStore storeA = new GlobalStore();
        final GlobalStore storeB = new GlobalStore();
        final MirrorNode a = primaryNode(storeA, arbiter);
        final MirrorNode b = activeBackupNode(storeB, arbiter);
        write(a, storeA, 1, 100);
        a.close();
        assertTrue(b.awaitRole(MirrorNode.Role.PRIMARY, 20_000), b.reason());
        write(b, storeB, 101, 200);

        final GlobalStore storeA2 = new GlobalStore();
        final MirrorNode a2 = node("node-a", storeA2, arbiter, true);
        assertTrue(a2.awaitRole(MirrorNode.Role.BACKUP, 20_000), a2.role() + " " + a2.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "node-a ACTIVE again");
        write(b, storeB, 201, 300);
        b.close();
        assertTrue(a2.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a2.reason());
        assertEquals(3, a2.epoch());
        for (long i = 1; i <= 300; i++)
        {
            assertNotNull(storeA2.get("USER", "Acct", SubscriptKey.of(i)), "acknowledged write lost: " + i);
        }
        assertEquals(storeB.digests(), storeA2.digests());
        write(a2, storeA2, 301, 310);
    }

    @Test
    void theNoFailoverFlagKeepsTheBackupFromTakingOver()
    {
        final Arbiter arbiter = startArbiter();
        final MirrorNode a = primaryNode(new GlobalStore(), arbiter);
        final MirrorNode b = activeBackupNode(new GlobalStore(), arbiter);
        try (io.jmirror.shipper.ArbiterClient operator =
            new io.jmirror.shipper.ArbiterClient(arbiter.address(), null, 5000))
        {
            assertTrue(operator.request(new io.jmirror.shipper.ArbiterRequest(
                io.jmirror.shipper.ArbiterProtocol.Kind.SET_NO_FAILOVER, MIRROR, "node-a", 1,
                io.jmirror.shipper.ArbiterProtocol.FLAG_VALUE)).isGranted());
        }
        a.close();
        assertFalse(b.awaitRole(MirrorNode.Role.PRIMARY, 4 * QOS_MS), "took over despite the no-failover flag");
        assertEquals(1, arbiter.record(MIRROR).epoch());
    }

    @Test
    void withoutTheArbiterTheBackupDoesNotTakeOver()
    {
        final Arbiter arbiter = startArbiter();
        final MirrorNode a = primaryNode(new GlobalStore(), arbiter);
        final MirrorNode b = activeBackupNode(new GlobalStore(), arbiter);

        arbiter.close();
        a.close();
        assertFalse(b.awaitRole(MirrorNode.Role.PRIMARY, 5 * QOS_MS), "took over without the arbiter's grant");
        assertEquals(MirrorNode.Role.BACKUP, b.role());
        assertEquals(0, b.takeovers());
    }

    /** node-a, started as the first primary. */
    private MirrorNode primaryNode(final GlobalStore store, final Arbiter arbiter)
    {
        final MirrorNode a = node("node-a", store, arbiter, true);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        return a;
    }

    /** node-b, started as backup and waited for until the arbiter holds it ACTIVE. */
    private MirrorNode activeBackupNode(final GlobalStore store, final Arbiter arbiter)
    {
        final MirrorNode b = node("node-b", store, arbiter, false);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        await(() -> arbiter.record(MIRROR).backupActive(), "the arbiter holds the backup ACTIVE");
        return b;
    }

    private Arbiter arbiterWithAsync()
    {
        final Arbiter arbiter = Arbiter.start(new ArbiterContext().dir(dir.resolve("arbiter")).insecure(true)
            .qosTimeoutMs(QOS_MS).member(MIRROR, "node-a").member(MIRROR, "node-b").asyncMember(MIRROR, "dr-1"));
        closeables.add(arbiter);
        return arbiter;
    }

    private static SubscriptKey keyOf(final String text)
    {
        // SubscriptKey.toString() is "(n)" for the keys above
        return SubscriptKey.of(Long.parseLong(text.substring(1, text.length() - 1)));
    }
}
