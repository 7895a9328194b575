package io.jmirror.mirror;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.shipper.MemberStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.jmirror.mirror.Loopback.await;
import static io.jmirror.mirror.Loopback.freeAddress;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Two failover members and an arbiter on loopback: the primary dies with a transaction open; the backup takes over
 * in the next epoch with every acknowledged commit, the open transaction rolled back, and opens for writes.
 */
@Timeout(120)
class MirrorNodeSystemTest
{
    private static final String MIRROR = "CLINIC";
    private static final long QOS_MS = 600;
    private static final GlobalName G = GlobalName.of("USER", "Acct");
    private static final long PURGE_FILE_LENGTH = 16 * 1024;

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final InetSocketAddress addressA = freeAddress();
    private final InetSocketAddress addressB = freeAddress();
    private final InetSocketAddress addressD = freeAddress();

    @AfterEach
    void close() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
    }


    private MirrorNode node(final String name, final GlobalStore store, final Arbiter arbiter, final boolean first)
    {
        return node(name, store, arbiter, first, QOS_MS);
    }

    private MirrorNode node(
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

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }


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

    private Arbiter startArbiter()
    {
        final Arbiter arbiter = Arbiter.start(new ArbiterContext().dir(dir.resolve("arbiter")).insecure(true)
            .qosTimeoutMs(QOS_MS).member(MIRROR, "node-a").member(MIRROR, "node-b"));
        closeables.add(arbiter);
        return arbiter;
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

    private static void write(final MirrorNode primary, final GlobalStore store, final long from, final long to)
    {
        final JournalAppender appender = primary.journal().newAppender();
        for (long i = from; i <= to; i++)
        {
            appender.set(0, G, SubscriptKey.of(i), bytes("v" + i));
            store.set("USER", "Acct", SubscriptKey.of(i), bytes("v" + i));
        }
        assertTrue(primary.primary().awaitCommitted(primary.journal().tailLsn(), TimeUnit.SECONDS.toNanos(10)));
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

    @Test
    void bothRolesPurgeTheirJournalWithinTheRetention() throws IOException
    {
        final Arbiter arbiter = startArbiter();
        final GlobalStore storeA = new GlobalStore();
        final GlobalStore storeB = new GlobalStore();
        final MirrorNode a = purgingNode("node-a", storeA, arbiter, true);
        assertTrue(a.awaitRole(MirrorNode.Role.PRIMARY, 20_000), a.reason());
        final MirrorNode b = purgingNode("node-b", storeB, arbiter, false);
        assertTrue(b.awaitRole(MirrorNode.Role.BACKUP, 20_000), b.reason());
        await(() -> a.primary().memberStatus("node-b") != null &&
            "ACTIVE".equals(a.primary().memberStatus("node-b").transferStatus()), "backup ACTIVE");

        // about 40 files of 16 KiB each: without purging, both journals would hold them all
        final JournalAppender appender = a.journal().newAppender();
        final BeforeImage before = new BeforeImage();
        final byte[] value = new byte[600];
        for (long txn = 1; txn <= 1000; txn++)
        {
            appender.tstart(txn);
            final SubscriptKey key = SubscriptKey.of(txn % 50);
            appender.set(txn, G, key, value, before.value(storeA.get("USER", "Acct", key)));
            storeA.set("USER", "Acct", key, value);
            assertTrue(a.primary().awaitCommitted(appender.tcommit(txn), TimeUnit.SECONDS.toNanos(10)), "commit " +
                txn);
        }
        final long end = a.journal().tailLsn();
        assertTrue(end > 30 * PURGE_FILE_LENGTH, "the run spans many files: end=" + end);
        await(() -> null != b.member() && null != b.member().dejournaler() &&
            b.member().dejournaler().appliedLsn() >= end, "the backup applies everything");
        final Path journalA = dir.resolve("node-a").resolve("journal");
        final Path journalB = dir.resolve("node-b").resolve("journal");
        await(() -> isPurged(journalA) && isPurged(journalB),
            "both journals purged: primary files=" + journalFiles(journalA) + " backup files=" +
            journalFiles(journalB));
        assertTrue(a.journal().startLsn() > 0, "the primary purged: startLsn=" + a.journal().startLsn());
        assertTrue(b.member().receiver().journal().startLsn() > 0, "the backup purged");
        assertEquals(storeA.digests(), storeB.digests(), "the backup's store equals the primary's after purging");

        // Restarted with a store checkpointed before the files it purged (a durable store restored from an old
        // backup, say), the primary would need records it no longer holds: it must not open for writes.
        b.close();
        a.close();
        final StoreTarget old = new StoreTarget(new GlobalStore());
        old.checkpoint(0);
        final MirrorNode again = MirrorNode.start(new MirrorNodeContext().mirrorName(MIRROR).memberName("node-a")
            .dir(dir.resolve("node-a")).target(old).insecure(true).initialPrimary(true)
            .failoverMember("node-a", addressA).failoverMember("node-b", addressB)
            .arbiterAddress(arbiter.address()).qosTimeoutMs(QOS_MS).heartbeatIntervalMs(100)
            .fileLength(PURGE_FILE_LENGTH).retainMs(0).retainMinFiles(1).purgeIntervalMs(50));
        closeables.add(again);
        assertFalse(again.awaitRole(MirrorNode.Role.PRIMARY, 3_000), "opened as primary without the purged records");
        assertTrue(String.valueOf(again.reason()).contains("purged"), again.role() + " " + again.reason());
    }

    private MirrorNode purgingNode(final String name, final GlobalStore store, final Arbiter arbiter,
        final boolean first)
    {
        final MirrorNode node = MirrorNode.start(new MirrorNodeContext().mirrorName(MIRROR).memberName(name)
            .dir(dir.resolve(name)).target(new StoreTarget(store)).insecure(true).initialPrimary(first)
            .failoverMember("node-a", addressA).failoverMember("node-b", addressB)
            .arbiterAddress(arbiter.address()).qosTimeoutMs(QOS_MS).heartbeatIntervalMs(100)
            .fileLength(PURGE_FILE_LENGTH).syncPolicy(SyncPolicy.GROUP).workers(2)
            .retainMs(0).retainMinFiles(1).purgeIntervalMs(50));
        closeables.add(node);
        return node;
    }

    private static boolean isPurged(final Path journalDir)
    {
        final long files = journalFiles(journalDir);
        return files >= 1 && files <= 4;
    }

    /**
     * @return journal files in use (not the ones kept for reuse), or -1 when the directory cannot be listed.
     */
    private static long journalFiles(final Path journalDir)
    {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(journalDir))
        {
            return files.filter((p) -> p.getFileName().toString().startsWith("journal-")).count();
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private static SubscriptKey keyOf(final String text)
    {
        // SubscriptKey.toString() is "(n)" for the keys above
        return SubscriptKey.of(Long.parseLong(text.substring(1, text.length() - 1)));
    }
}
