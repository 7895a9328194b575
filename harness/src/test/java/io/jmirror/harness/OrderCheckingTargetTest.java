package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrderCheckingTargetTest
{
    @TempDir
    Path dir;

    @Test
    void aLowerVersionOverAHigherOneIsAViolationAndAReplayIsNot()
    {
        final OrderCheckingTarget target = new OrderCheckingTarget(new GlobalStore());
        applyAll(target, new long[] {1, 2, 2, 5, 3});
        assertEquals(1, target.violations());
        assertTrue(target.firstViolation().contains("held version 5 > incoming version 3"), target.firstViolation());
        assertEquals(3, VersionedValue.version(target.store().get("DB", "G", SubscriptKey.of(1))),
            "the record is still applied: the check only reports");
    }

    @Test
    void inOrderVersionsPass()
    {
        final OrderCheckingTarget target = new OrderCheckingTarget(new GlobalStore());
        applyAll(target, new long[] {1, 2, 3, 10});
        assertEquals(0, target.violations());
        assertNull(target.firstViolation());
    }

    @Test
    void aSabotagedTargetDropsEveryNthSet()
    {
        final GlobalStore store = new GlobalStore();
        final OrderCheckingTarget target = new OrderCheckingTarget(store, 2);
        applyAll(target, new long[] {1, 2});
        assertEquals(1, VersionedValue.version(store.get("DB", "G", SubscriptKey.of(1))));
    }

    @Test
    void overADurableStoreTheReplayUpToTheRestartJournalEndIsNoViolation()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal"))
            .fileLength(1024 * 1024).mirrorName("T").syncPolicy(SyncPolicy.NONE)))
        {
            append(journal, 1, 5);
            try (MemberStore store = MemberStore.rocksDb(RocksDbTarget.open(dir.resolve("store"))))
            {
                replay(journal, new OrderCheckingTarget(store, 0));
                // The store closes with version 5 applied and no checkpoint: a restart replays 1 and then 5 over it.
            }
            try (MemberStore store = MemberStore.open(StoreKind.ROCKSDB, dir))
            {
                assertEquals(5, VersionedValue.version(store.get("DB", "G", SubscriptKey.of(1))));
            }
            try (MemberStore store = MemberStore.rocksDb(RocksDbTarget.open(dir.resolve("store"))))
            {
                final OrderCheckingTarget restarted = new OrderCheckingTarget(store, 0);
                restarted.replayEnds(journal.completeLsn());
                append(journal, 3);
                replay(journal, restarted);
                assertEquals(1, restarted.violations(), "only the record after the restart's journal end counts");
                assertTrue(restarted.firstViolation().contains("held version 5 > incoming version 3"),
                    restarted.firstViolation());
            }
        }
    }

    private static void append(final Journal journal, final long... versions)
    {
        final JournalAppender appender = journal.newAppender();
        for (final long version : versions)
        {
            final byte[] value = new byte[16];
            VersionedValue.write(value, version);
            appender.set(0, GlobalName.of("DB", "G"), SubscriptKey.of(1), value);
        }
    }

    private static void replay(final Journal journal, final OrderCheckingTarget target)
    {
        try (JournalReader reader = journal.reader(0))
        {
            while (reader.poll((record) -> target.apply(record, 0), 100) > 0)
            {
                // drain
            }
        }
    }

    private void applyAll(final OrderCheckingTarget target, final long[] versions)
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("j" + System.nanoTime()))
            .fileLength(1024 * 1024).mirrorName("T").syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = journal.newAppender();
            for (final long version : versions)
            {
                final byte[] value = new byte[16];
                VersionedValue.write(value, version);
                appender.set(0, GlobalName.of("DB", "G"), SubscriptKey.of(1), value);
            }
            try (JournalReader reader = journal.reader(0))
            {
                while (reader.poll((record) -> target.apply(record, 0), 100) > 0)
                {
                    // drain
                }
            }
        }
    }
}
