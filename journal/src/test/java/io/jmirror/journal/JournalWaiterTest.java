package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A waiter is woken once per arm by the next append, replicated block or durable-LSN advance, and never while
 * disarmed or closed.
 */
class JournalWaiterTest
{
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Wait");

    @TempDir
    Path dir;

    private Journal open(final Path path, final SyncPolicy policy)
    {
        return Journal.open(new JournalContext().journalDir(path).fileLength(64 * 1024).mirrorName("M")
            .syncPolicy(policy).startSyncAgent(false).groupSyncIntervalNs(TimeUnit.HOURS.toNanos(1)).groupSyncBytes(1));
    }

    @Test
    void anAppendWakesAnArmedWaiterOnce()
    {
        try (Journal journal = open(dir, SyncPolicy.NONE))
        {
            final AtomicInteger wakes = new AtomicInteger();
            final JournalWaiter waiter = journal.newWaiter(wakes::incrementAndGet);
            final JournalAppender appender = journal.newAppender();
            appender.tcommit(1);
            assertEquals(0, wakes.get(), "not armed: no wake-up");

            waiter.arm();
            waiter.arm();
            assertTrue(waiter.isArmed());
            appender.tcommit(2);
            appender.tcommit(3);
            assertEquals(1, wakes.get(), "one wake-up per arm");
            assertFalse(waiter.isArmed(), "the wake-up disarms");

            waiter.arm();
            waiter.disarm();
            appender.tcommit(4);
            assertEquals(1, wakes.get(), "disarmed: no wake-up");

            waiter.arm();
            waiter.close();
            appender.tcommit(5);
            assertEquals(1, wakes.get(), "closed: no wake-up");
            waiter.close();
        }
    }

    @Test
    void aWaiterArmedAtATailIsWokenOnlyOnceTheTailReachesIt()
    {
        try (Journal journal = open(dir, SyncPolicy.NONE))
        {
            final AtomicInteger wakes = new AtomicInteger();
            final JournalWaiter waiter = journal.newWaiter(wakes::incrementAndGet);
            final JournalAppender appender = journal.newAppender();
            final long start = journal.tailLsn();
            waiter.armAt(start + 1000);
            while (journal.tailLsn() < start + 1000 - 64)
            {
                appender.tcommit(1);
                assertEquals(0, wakes.get(), "tail below the mark: no wake-up: tail=" + journal.tailLsn());
            }
            while (journal.tailLsn() < start + 1000)
            {
                appender.tcommit(2);
            }
            assertEquals(1, wakes.get(), "the append that reaches the mark wakes it");
            assertFalse(waiter.isArmed());

            waiter.arm();
            appender.tcommit(3);
            assertEquals(2, wakes.get(), "a plain arm wakes on the next append again");
            waiter.close();
        }
    }

    @Test
    void aForcedDurableLsnWakesAWaiterArmedAtAnyTail()
    {
        try (Journal journal = open(dir, SyncPolicy.GROUP))
        {
            final AtomicInteger wakes = new AtomicInteger();
            final JournalWaiter waiter = journal.newWaiter(wakes::incrementAndGet);
            final long lsn = journal.newAppender().tcommit(1);
            waiter.armAt(Long.MAX_VALUE);
            assertEquals(1, journal.syncAgent().doWork(), "one force");
            assertEquals(1, wakes.get(), "a durable move wakes whatever tail the waiter waits for");
            assertTrue(journal.durableLsn() > lsn);
            waiter.close();
        }
    }

    @Test
    void aForcedDurableLsnWakesAnArmedWaiter()
    {
        try (Journal journal = open(dir, SyncPolicy.GROUP))
        {
            final AtomicInteger wakes = new AtomicInteger();
            final JournalWaiter waiter = journal.newWaiter(wakes::incrementAndGet);
            final long lsn = journal.newAppender().tcommit(1);
            waiter.arm();
            assertTrue(journal.durableLsn() <= lsn);
            assertEquals(1, journal.syncAgent().doWork(), "one force");
            assertTrue(journal.durableLsn() > lsn);
            assertEquals(1, wakes.get(), "the sync agent's force wakes the waiter");
            waiter.close();
        }
    }

    @Test
    void aReplicatedBlockWakesAWaiterOnTheReplica()
    {
        try (Journal primary = open(dir.resolve("primary"), SyncPolicy.NONE);
            Journal replica = Journal.open(new JournalContext().journalDir(dir.resolve("replica")).fileLength(64 * 1024)
                .mirrorName("M").journalId(primary.journalId()).syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = primary.newAppender();
            appender.set(1, GLOBAL, new SubscriptKey().add(1), new byte[10]);
            final long end = appender.tcommit(1);
            final JournalReplicator replicator = replica.newReplicator();
            final AtomicInteger wakes = new AtomicInteger();
            final JournalWaiter waiter = replica.newWaiter(wakes::incrementAndGet);
            waiter.arm();
            try (JournalReader reader = primary.reader(0))
            {
                reader.pollBlock((block, lsn, length) ->
                {
                    final ByteBuffer copy = ByteBuffer.allocateDirect(length);
                    copy.put(block.duplicate()).flip();
                    replicator.append(copy, lsn);
                }, 64 * 1024);
            }
            assertTrue(replicator.endLsn() > end);
            assertEquals(1, wakes.get());
            assertEquals(replicator.endLsn(), replica.completeLsn(), "a replicated block is complete at once");
            waiter.close();
        }
    }
}
