package io.jmirror.mirror;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.jmirror.mirror.Loopback.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Two failover members and an arbiter on loopback, with small journal files purged as soon as they may be: both
 * roles purge within the retention, and a primary restarted on a store older than what it purged does not open for
 * writes.
 */
@Timeout(120)
class MirrorNodePurgeSystemTest extends MirrorNodeFixture
{
    private static final long PURGE_FILE_LENGTH = 16 * 1024;

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
}
