package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class JournalSyncTest
{
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Sync");

    @TempDir
    Path dir;

    private Journal open(final SyncPolicy policy, final boolean startAgent)
    {
        return Journal.open(new JournalContext()
            .journalDir(dir)
            .fileLength(1024 * 1024)
            .syncPolicy(policy)
            .startSyncAgent(startAgent)
            .groupSyncIntervalNs(TimeUnit.HOURS.toNanos(1))
            .groupSyncBytes(1024));
    }

    @Test
    void groupSyncMakesRecordsDurableOnlyWhenTheAgentForces()
    {
        try (Journal journal = open(SyncPolicy.GROUP, false))
        {
            final SubscriptKey key = new SubscriptKey().add(1);
            final long first = journal.appender().set(0, GLOBAL, key, new byte[100]);
            assertFalse(journal.awaitDurable(first, TimeUnit.MILLISECONDS.toNanos(20)),
                "nothing is durable before a force");
            assertEquals(0, journal.syncAgent().doWork(), "below the byte threshold and inside the interval");

            long last = first;
            while (journal.tailLsn() < 1024)
            {
                last = journal.appender().set(0, GLOBAL, key, new byte[100]);
            }
            assertEquals(1, journal.syncAgent().doWork(), "byte threshold reached: one force");
            assertTrue(journal.awaitDurable(last, 0));
            assertEquals(journal.tailLsn(), journal.durableLsn());
            assertEquals(1, journal.syncAgent().forces());
        }
    }

    @Test
    @Timeout(10)
    void groupSyncAgentThreadServesAwaitDurable()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).fileLength(1024 * 1024)))
        {
            final long lsn = journal.appender().tcommit(1);
            journal.awaitDurable(lsn);
            assertTrue(journal.durableLsn() > lsn);
        }
    }

    @Test
    void everyCommitForcesBeforeTheCommitReturns()
    {
        try (Journal journal = open(SyncPolicy.EVERY_COMMIT, false))
        {
            journal.appender().tstart(3);
            final long set = journal.appender().set(3, GLOBAL, new SubscriptKey().add(2), new byte[10]);
            assertTrue(journal.durableLsn() <= set, "a SET alone is not forced");
            final long commit = journal.appender().tcommit(3);
            assertTrue(journal.durableLsn() > commit);
        }
    }

    @Test
    void noneTreatsCompleteRecordsAsDurable()
    {
        try (Journal journal = open(SyncPolicy.NONE, false))
        {
            final long lsn = journal.appender().set(0, GLOBAL, new SubscriptKey().add(3), new byte[10]);
            assertTrue(journal.awaitDurable(lsn, 0));
        }
    }

    @Test
    @Timeout(10)
    void aTailingReaderWaitsForTheNextRecordWithItsIdleStrategy() throws Exception
    {
        try (Journal journal = open(SyncPolicy.NONE, false); JournalReader reader = journal.reader(0))
        {
            final org.agrona.concurrent.IdleStrategy idle = new org.agrona.concurrent.BackoffIdleStrategy();
            assertFalse(reader.awaitData(idle, TimeUnit.MILLISECONDS.toNanos(10)), "nothing written yet");
            final Thread appender = new Thread(() ->
                journal.newAppender().set(0, GLOBAL, new SubscriptKey().add(4), new byte[10]));
            appender.start();
            assertTrue(reader.awaitData(idle, TimeUnit.SECONDS.toNanos(5)));
            appender.join();
            assertEquals(1, reader.poll((record) -> assertEquals(0, record.lsn()), 10));
        }
    }

    @Test
    void closeTwiceIsSafeAndAppendsAfterCloseFail()
    {
        final Journal journal = open(SyncPolicy.GROUP, true);
        final JournalAppender writer = journal.newAppender();
        journal.close();
        journal.close();
        final JournalException ex = assertThrows(JournalException.class, () -> writer.tstart(1));
        assertEquals(JournalException.Code.CLOSED, ex.code());
    }
}
