package io.jmirror.mirror;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
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

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Once the primary has purged its early journal, a new member cannot start from an empty store: it shows FAILED and
 * says to seed it. Seeded with a copy of a member's RocksDB store, it catches up from the copy's LSN and ends
 * digest-equal. A member whose resume point the primary purged while it was away is told the same.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MemberSeedSystemTest
{
    private static final long FILE_LENGTH = 64 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Seed");

    @TempDir
    Path dir;

    private Member member(final Primary primary, final String name, final RocksDbTarget store, final String journal)
    {
        return Member.start(new MemberContext().target(store).workers(2).checkpointIntervalMs(5).purgeIntervalMs(20)
            .receiverContext(new ReceiverContext().memberName(name).role(MemberRole.DR_ASYNC).mirrorName("SEED")
                .primaryAddress(primary.address()).insecure(true).reconnectIntervalMs(20)
                .journalContext(new JournalContext().journalDir(dir.resolve(journal)).mirrorName("SEED")
                    .syncPolicy(SyncPolicy.NONE).retainMs(0).retainMinFiles(1))));
    }

    /**
     * Write rounds of SETs to the primary (and the reference store), each applied by {@code member} and followed by
     * a purge of the primary's journal.
     */
    private static void rounds(final Journal journal, final Primary primary, final GlobalStore reference,
        final Member member, final int from, final int to)
    {
        final JournalAppender appender = journal.newAppender();
        for (int round = from; round < to; round++)
        {
            for (int i = 0; i < 200; i++)
            {
                final byte[] value = new byte[100];
                ByteBuffer.wrap(value).putInt(round).putInt(i);
                final SubscriptKey key = SubscriptKey.of(i % 50, round);
                appender.set(0, GLOBAL, key, value);
                reference.set(GLOBAL.database(), GLOBAL.global(), key, value);
            }
            final long end = journal.tailLsn();
            await(() -> null != member.dejournaler() && member.dejournaler().appliedLsn() >= end,
                () -> "not applied: " + member.status());
            primary.purge();
        }
    }

    private static void await(final BooleanSupplier condition, final Supplier<String> message)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, message);
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @Test
    void aNewMemberAfterAPurgeIsToldToSeedAndCatchesUpFromASeed()
    {
        final GlobalStore reference = new GlobalStore();
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(FILE_LENGTH).mirrorName("SEED").syncPolicy(SyncPolicy.NONE).retainMs(0).retainMinFiles(1));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true).memberRetentionMs(1)
                .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC))
                .member(AllowedMember.of("dr-2", MemberRole.DR_ASYNC))
                .member(AllowedMember.of("dr-3", MemberRole.DR_ASYNC)));
            RocksDbTarget storeOne = RocksDbTarget.open(dir.resolve("store-1")))
        {
            try (Member first = member(primary, "dr-1", storeOne, "journal-1"))
            {
                rounds(journal, primary, reference, first, 0, 30);
            }
            assertTrue(journal.startLsn() > 0, "the primary purged its early journal");

            // A new member with an empty store cannot apply what the primary no longer holds.
            try (RocksDbTarget empty = RocksDbTarget.open(dir.resolve("store-2"));
                Member unseeded = member(primary, "dr-2", empty, "journal-2"))
            {
                await(unseeded::isFailed, () -> "an unseeded member did not fail: " + unseeded.status());
                assertTrue(unseeded.failureReason().contains("jmirror seed --from"), unseeded.failureReason());
                assertTrue(unseeded.failureReason().contains("oldestLsnHeld=" + journal.startLsn()),
                    unseeded.failureReason());
                assertNull(unseeded.dejournaler(), "nothing applied from the middle of the data");
            }

            final long seedLsn = storeOne.copyTo(dir.resolve("store-3"));
            assertTrue(seedLsn >= journal.startLsn(), "the seed is within what the primary holds");
            try (RocksDbTarget seeded = RocksDbTarget.open(dir.resolve("store-3")))
            {
                assertEquals(seedLsn, seeded.recoveredLsn());
                try (Member third = member(primary, "dr-3", seeded, "journal-3"))
                {
                    rounds(journal, primary, reference, third, 30, 60);
                    assertFalse(third.isFailed(), third::failureReason);
                }
                assertEquals(reference.digests(), seeded.digests(), "the seeded member ends digest-equal");
                assertTrue(journal.startLsn() > seedLsn, "the primary purged on past the seed");
            }

            // The first member was away while the primary purged past its resume point.
            try (Member back = member(primary, "dr-1", storeOne, "journal-1"))
            {
                await(back::isFailed, () -> "a member whose resume point is purged did not fail: " + back.status());
                assertTrue(back.failureReason().contains("LSN_PURGED"), back.failureReason());
                assertTrue(back.failureReason().contains("jmirror seed --from"), back.failureReason());
            }
        }
    }
}
