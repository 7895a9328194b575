package io.jmirror.mirror;

import io.jmirror.dejournal.DejournalState;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.StatusCounter;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.MemberStatus;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.ReceiverContext;
import io.jmirror.dejournal.DataCheck;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.ReferenceTarget;
import io.jmirror.dejournal.RocksDbReadView;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.StoreTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * End to end over loopback: a primary journals a workload, a {@link Member} receives and applies it, and the
 * member's store ends equal to a replay of the primary's journal, with the applied LSN reported to the primary.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MemberSystemTest
{
    @TempDir
    Path dir;

    @Test
    void aMemberPurgesWhatItHasAppliedSoItsDiskStaysBounded()
    {
        final long fileLength = 64 * 1024;
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(fileLength).mirrorName("E2E").syncPolicy(SyncPolicy.NONE).retainMs(0).retainMinFiles(1));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC))))
        {
            final GlobalStore store = new GlobalStore();
            try (Member member = Member.start(new MemberContext().target(new StoreTarget(store)).workers(2)
                .checkpointIntervalMs(5).purgeIntervalMs(20)
                .receiverContext(new ReceiverContext().memberName("dr-1").role(MemberRole.DR_ASYNC).mirrorName("E2E")
                    .primaryAddress(primary.address()).insecure(true)
                    .journalContext(new JournalContext().journalDir(dir.resolve("member")).mirrorName("E2E")
                        .syncPolicy(SyncPolicy.NONE).retainMs(0).retainMinFiles(1).recycleFiles(1)))))
            {
                final JournalAppender appender = journal.newAppender();
                int maxFiles = 0;
                for (int round = 0; round < 40; round++)
                {
                    for (int i = 0; i < 200; i++)
                    {
                        appender.set(0, GlobalName.of("USER", "Disk"), SubscriptKey.of(round, i), new byte[100]);
                    }
                    primary.purge();
                    final long end = journal.tailLsn();
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (null == member.dejournaler() || member.dejournaler().appliedLsn() < end)
                    {
                        assertTrue(System.nanoTime() < deadline, () -> "not applied: " + member.status());
                        Thread.onSpinWait();
                    }
                    maxFiles = Math.max(maxFiles, member.receiver().journal().fileCount());
                }
                assertTrue(journal.tailLsn() > 20 * fileLength, "the journal spans many files");
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (member.receiver().journal().fileCount() > 3)
                {
                    assertTrue(System.nanoTime() < deadline, "member never purged: files=" +
                        member.receiver().journal().fileCount());
                    Thread.onSpinWait();
                }
                assertTrue(maxFiles < 15, "member journal files grew: maxFiles=" + maxFiles);
                assertEquals(8000, store.size());
            }
        }
    }

    @Test
    void aMemberWhoseTargetFailsShowsFailedWithTheReasonInItsStatusFile()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(1024 * 1024).mirrorName("E2E").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("backup-1", MemberRole.BACKUP))))
        {
            final AtomicLong failAtLsn = new AtomicLong(Long.MAX_VALUE);
            final ReferenceTarget target = new ReferenceTarget()
            {
                @Override
                public void apply(final JournalRecord record, final int worker)
                {
                    if ("Poison".equals(record.global()))
                    {
                        throw new IllegalStateException("disk full");
                    }
                    super.apply(record, 0);
                }
            };
            try (Member member = Member.start(new MemberContext().target(target).workers(2).checkpointIntervalMs(10)
                .receiverContext(new ReceiverContext().memberName("backup-1").role(MemberRole.BACKUP)
                    .mirrorName("E2E").primaryAddress(primary.address()).insecure(true)
                    .journalContext(new JournalContext().journalDir(dir.resolve("member")).mirrorName("E2E")
                        .syncPolicy(SyncPolicy.NONE)))))
            {
                final JournalAppender appender = journal.newAppender();
                for (int i = 0; i < 1_000; i++)
                {
                    final long lsn = appender.set(0, GlobalName.of("USER", i == 500 ? "Poison" : "Fine"),
                        SubscriptKey.of(i), new byte[8]);
                    if (i == 500)
                    {
                        failAtLsn.set(lsn);
                    }
                }
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!member.isFailed() || !statusShowsFailed(member))
                {
                    assertTrue(System.nanoTime() < deadline, () -> "member never showed FAILED: " + member.status());
                    Thread.yield();
                }
                assertTrue(member.failureReason().contains("lsn=" + failAtLsn.get()), member.failureReason());
                assertTrue(member.failureReason().contains("disk full"), member.failureReason());
                assertEquals("FAILED", member.status().dejournal().state());
                assertEquals(member.failureReason(), member.status().failure());
                assertTrue(member.dejournaler().appliedLsn() <= failAtLsn.get(), "nothing past the failed record");
                final String shown = member.receiver().statusFile().text(StatusCounterType.DEJOURNAL_LAST_ERROR,
                    "backup-1");
                assertTrue(shown.contains("lsn=" + failAtLsn.get()) && shown.contains("disk full"),
                    "the status file's lastError says why: " + shown);
            }
        }
    }

    private static StatusCounter stateCounter(final Member member)
    {
        for (final StatusCounter counter : member.receiver().statusFile().counters())
        {
            if (counter.type() == StatusCounterType.DEJOURNAL_STATE && counter.name().equals("backup-1"))
            {
                return counter;
            }
        }
        throw new AssertionError("no dejournal state counter");
    }

    private static boolean statusShowsFailed(final Member member)
    {
        final StatusCounter state = stateCounter(member);
        final String text = member.receiver().statusFile().text(StatusCounterType.DEJOURNAL_LAST_ERROR, "backup-1");
        return state.value() == DejournalState.FAILED.ordinal() && null != text && !text.isEmpty();
    }

    @Test
    void aMemberAppliesThePrimarysJournalAndReportsItsAppliedLsn()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(1024 * 1024).mirrorName("E2E").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("backup-1", MemberRole.BACKUP))))
        {
            final ReferenceTarget target = new ReferenceTarget();
            try (Member member = Member.start(new MemberContext()
                .target(target)
                .workers(2)
                .checkpointIntervalMs(10)
                .receiverContext(new ReceiverContext()
                    .memberName("backup-1").role(MemberRole.BACKUP).mirrorName("E2E")
                    .primaryAddress(primary.address()).insecure(true)
                    .journalContext(new JournalContext().journalDir(dir.resolve("member")).mirrorName("E2E")
                        .syncPolicy(SyncPolicy.NONE)))))
            {
                final JournalAppender appender = journal.newAppender();
                final Random random = new Random(9);
                final SubscriptKey key = new SubscriptKey();
                long version = 1;
                for (int i = 0; i < 20_000; i++)
                {
                    final GlobalName global = GlobalName.of(i % 2 == 0 ? "USER" : "CLINICAL", "G" + random.nextInt(20));
                    key.clear().add(random.nextInt(50)).add("x");
                    if (random.nextInt(10) == 0)
                    {
                        appender.kill(i, global, key.clear().add(random.nextInt(50)));
                    }
                    else
                    {
                        final byte[] value = new byte[16];
                        ByteBuffer.wrap(value).putLong(version++);
                        appender.set(i, global, key, value);
                    }
                }
                final long end = journal.tailLsn();
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while ((null == member.dejournaler() || member.dejournaler().appliedLsn() < end) &&
                    System.nanoTime() < deadline)
                {
                    Thread.onSpinWait();
                    Thread.yield();
                }
                assertNotNull(member.dejournaler(), "dejournaler started: " + member.status());
                assertEquals(end, member.dejournaler().appliedLsn(), () -> "not applied: " + member.status());
                assertEquals(0, target.orderViolations.get());

                final ReferenceTarget expected = new ReferenceTarget();
                try (JournalReader reader = journal.reader(0))
                {
                    while (reader.poll((record) ->
                    {
                        if (record.type().isNodeRecord())
                        {
                            expected.apply(record, 0);
                        }
                    }, 1000) > 0)
                    {
                        // drain
                    }
                }
                assertEquals(expected.contents(), target.contents());

                while (System.nanoTime() < deadline)
                {
                    final MemberStatus status = primary.memberStatus("backup-1");
                    if (null != status && status.appliedLsn() == end)
                    {
                        break;
                    }
                    Thread.yield();
                }
                assertEquals(end, primary.memberStatus("backup-1").appliedLsn(), "applied LSN reaches the primary");
                final Member.Status status = member.status();
                assertEquals("STREAMING", status.transfer().state());
                assertEquals("RUNNING", status.dejournal().state());
                assertFalse(member.isFailed(), member::failureReason);
                assertNull(member.failureReason());
                assertNull(status.failure());
                assertEquals(0, status.dejournal().bytesBehind());
            }
        }
    }

    @Test
    void aMemberStoreEndsDigestEqualToThePrimarysOwnStore() throws Exception
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(1024 * 1024).mirrorName("E2E").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC))))
        {
            final GlobalStore primaryStore = new GlobalStore();
            final GlobalStore memberStore = new GlobalStore();
            try (Member member = Member.start(new MemberContext()
                .target(new StoreTarget(memberStore))
                .workers(4)
                .receiverContext(new ReceiverContext()
                    .memberName("dr-1").role(MemberRole.DR_ASYNC).mirrorName("E2E")
                    .primaryAddress(primary.address()).insecure(true)
                    .journalContext(new JournalContext().journalDir(dir.resolve("dr-1")).mirrorName("E2E")
                        .syncPolicy(SyncPolicy.NONE)))))
            {
                // The application: two threads, each journaling its changes under the same lock it applies them
                // to its own store with, so the journal's order is the store's order.
                final Object lock = new Object();
                final Thread[] writers = new Thread[2];
                for (int t = 0; t < writers.length; t++)
                {
                    final int seed = t;
                    writers[t] = new Thread(() ->
                    {
                        final JournalAppender appender = journal.newAppender();
                        final Random random = new Random(seed);
                        final SubscriptKey key = new SubscriptKey();
                        for (int i = 0; i < 10_000; i++)
                        {
                            final GlobalName global = GlobalName.of("USER", "G" + random.nextInt(30));
                            key.clear().add(random.nextInt(40)).add(random.nextBoolean() ? "a" : "b");
                            final byte[] value = ("v" + seed + "-" + i).getBytes();
                            synchronized (lock)
                            {
                                if (random.nextInt(20) == 0)
                                {
                                    key.truncate(1);
                                    primaryStore.kill(global.database(), global.global(), key);
                                    appender.kill(i, global, key);
                                }
                                else
                                {
                                    primaryStore.set(global.database(), global.global(), key, value);
                                    appender.set(i, global, key, value);
                                }
                            }
                        }
                    });
                    writers[t].start();
                }
                for (final Thread writer : writers)
                {
                    writer.join();
                }
                final long end = journal.tailLsn();
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while ((null == member.dejournaler() || member.dejournaler().appliedLsn() < end) &&
                    System.nanoTime() < deadline)
                {
                    Thread.yield();
                }
                assertEquals(end, member.dejournaler().appliedLsn(), () -> "not applied: " + member.status());
                assertEquals(primaryStore.digests(), memberStore.digests(), "member digests equal the primary's");
                assertTrue(DataCheck.compare(primaryStore, memberStore).isEmpty());
                assertTrue(DataCheck.againstJournal(memberStore, member.receiver().journal(), end).isEmpty());
            }
        }
    }

    @Test
    void aMemberWithIsolatedReadersHidesAnOpenTransactionFromReadViewsUntilItCommits()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(1024 * 1024).mirrorName("E2E").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
            RocksDbTarget target = RocksDbTarget.open(dir.resolve("store")))
        {
            try (Member member = Member.start(new MemberContext().target(target).workers(2).isolatedReaders(true)
                .receiverContext(new ReceiverContext().memberName("dr-1").role(MemberRole.DR_ASYNC).mirrorName("E2E")
                    .primaryAddress(primary.address()).insecure(true)
                    .journalContext(new JournalContext().journalDir(dir.resolve("member")).mirrorName("E2E")
                        .syncPolicy(SyncPolicy.NONE)))))
            {
                final JournalAppender appender = journal.newAppender();
                final GlobalName first = GlobalName.of("USER", "Left");
                final GlobalName second = GlobalName.of("USER", "Right");
                appender.tstart(7);
                appender.set(7, first, SubscriptKey.of(1), new byte[] {1});
                appender.set(7, second, SubscriptKey.of(1), new byte[] {1});
                awaitApplied(member, journal.tailLsn());
                try (RocksDbReadView view = target.readView())
                {
                    assertNotNull(target.get("USER", "Left", SubscriptKey.of(1)), "applied as it came");
                    assertNull(view.get("USER", "Left", SubscriptKey.of(1)), "hidden while the transaction is open");
                    assertNull(view.get("USER", "Right", SubscriptKey.of(1)));
                }
                appender.tcommit(7);
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (true)
                {
                    try (RocksDbReadView view = target.readView())
                    {
                        final byte[] left = view.get("USER", "Left", SubscriptKey.of(1));
                        final byte[] right = view.get("USER", "Right", SubscriptKey.of(1));
                        assertEquals(null == left, null == right, "never one side of the transaction alone");
                        if (null != left)
                        {
                            break;
                        }
                    }
                    assertTrue(System.nanoTime() < deadline, () -> "commit never shown: " + member.status());
                    Thread.onSpinWait();
                }
            }
        }
    }

    private static void awaitApplied(final Member member, final long lsn)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (null == member.dejournaler() || member.dejournaler().appliedLsn() < lsn)
        {
            assertTrue(System.nanoTime() < deadline, () -> "not applied: " + member.status());
            Thread.onSpinWait();
        }
    }
}
