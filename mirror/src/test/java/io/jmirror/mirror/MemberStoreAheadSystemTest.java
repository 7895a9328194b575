package io.jmirror.mirror;

import io.jmirror.dejournal.DataCheck;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalTruncation;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.ReceiverContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A member whose journal lost its tail at rest (a torn tail, a flipped bit cut off by recovery) while its RocksDB
 * store had already applied and persisted the records beyond the cut: it gets the records again from the primary
 * and starts applying at its store's LSN once its journal reaches it, rather than failing to start for good.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MemberStoreAheadSystemTest
{
    @TempDir
    Path dir;

    @Test
    void aMemberWhoseStoreIsAheadOfItsCutJournalRefetchesAndEndsDigestEqual()
    {
        final Path memberJournal = dir.resolve("member");
        final Path storeDir = dir.resolve("store");
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(1024 * 1024).mirrorName("E2E").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC))))
        {
            final JournalAppender appender = journal.newAppender();
            write(appender, 0, 200);
            final long cutLsn = journal.tailLsn();
            write(appender, 200, 400);
            final long appliedBeforeCut = journal.tailLsn();
            try (RocksDbTarget target = RocksDbTarget.open(storeDir);
                Member member = Member.start(context(primary, target, memberJournal)))
            {
                awaitApplied(member, appliedBeforeCut);
            }
            // The damage at rest: the journal loses its last records, the store keeps what it applied from them.
            JournalTruncation.truncate(memberJournal, cutLsn);
            write(appender, 400, 600);
            final long end = journal.tailLsn();
            try (RocksDbTarget target = RocksDbTarget.open(storeDir))
            {
                assertEquals(appliedBeforeCut, target.recoveredLsn(), "the store is ahead of the cut journal");
                try (Member member = Member.start(context(primary, target, memberJournal)))
                {
                    awaitApplied(member, end);
                    assertFalse(member.isFailed(), () -> "failed: " + member.failureReason());
                    assertNull(member.waitingReason(), "no longer waits once its journal reached its store");
                    assertNull(member.lastWiringError(), () -> "wiring error: " + member.lastWiringError());
                    assertEquals(DataCheck.replay(journal, end).digests(), target.digests(),
                        "the member's store ends digest-equal to a replay of the primary's journal");
                }
            }
        }
    }

    private static MemberContext context(final Primary primary, final RocksDbTarget target, final Path journalDir)
    {
        return new MemberContext().target(target).workers(2)
            .receiverContext(new ReceiverContext().memberName("dr-1").role(MemberRole.DR_ASYNC).mirrorName("E2E")
                .primaryAddress(primary.address()).insecure(true)
                .journalContext(new JournalContext().journalDir(journalDir).mirrorName("E2E")
                    .syncPolicy(SyncPolicy.NONE)));
    }

    private static void write(final JournalAppender appender, final int from, final int to)
    {
        final SubscriptKey key = new SubscriptKey();
        for (int i = from; i < to; i++)
        {
            key.clear().add(i % 50);
            appender.set(i, GlobalName.of("USER", "G" + (i % 7)), key, ("v" + i).getBytes());
        }
    }

    private static void awaitApplied(final Member member, final long lsn)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (null == member.dejournaler() || member.dejournaler().appliedLsn() < lsn)
        {
            assertTrue(System.nanoTime() < deadline, () -> "not applied to " + lsn + ": " + member.status() +
                " waiting=" + member.waitingReason() + " wiringError=" + member.lastWiringError());
            Thread.onSpinWait();
        }
    }
}
