package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Journal#awaitDurable(long, long)} takes any position a getter returned as well as a record's LSN: it returns
 * once every record starting below the position is durable, and the record starting at it too once one is appended
 * there. {@code awaitDurable(tailLsn())} used to wait for a record nobody had appended.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalAwaitContractTest
{
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Await");
    private static final long SHORT_NS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long LONG_NS = TimeUnit.SECONDS.toNanos(10);

    @TempDir
    Path dir;

    private Journal open(final SyncPolicy policy)
    {
        return Journal.open(new JournalContext().journalDir(dir).fileLength(64 * 1024).mirrorName("M")
            .syncPolicy(policy).startSyncAgent(false).groupSyncIntervalNs(TimeUnit.HOURS.toNanos(1)).groupSyncBytes(1));
    }

    private static long appendSets(final Journal journal, final int count)
    {
        final JournalAppender appender = journal.newAppender();
        final SubscriptKey key = new SubscriptKey();
        long lsn = -1;
        for (int i = 0; i < count; i++)
        {
            lsn = appender.set(1, GLOBAL, key.clear().add(i), new byte[40]);
        }
        return lsn;
    }

    private static void assertEveryGetterIsDone(final Journal journal, final long timeoutNs)
    {
        final long[] positions =
        {
            journal.startLsn(), journal.recoveredLsn(), journal.completeLsn(), journal.durableLsn(), journal.tailLsn()
        };
        for (final long position : positions)
        {
            assertTrue(journal.awaitDurable(position, timeoutNs), "awaitDurable(" + position + ") with everything " +
                "durable: tail=" + journal.tailLsn() + " durable=" + journal.durableLsn());
        }
    }

    @Test
    void anEmptyJournalIsDurableAtEveryPositionItReports()
    {
        try (Journal journal = open(SyncPolicy.GROUP))
        {
            assertEveryGetterIsDone(journal, 0);
        }
    }

    @Test
    void theTailIsDurableOnceTheSyncAgentForcesWhatWasAppended()
    {
        try (Journal journal = open(SyncPolicy.GROUP))
        {
            final long record = appendSets(journal, 10);
            final long tail = journal.tailLsn();
            assertFalse(journal.awaitDurable(tail, SHORT_NS), "appended records are not durable before a force");
            assertFalse(journal.awaitDurable(record, SHORT_NS), "nor is the last record");

            assertEquals(1, journal.syncAgent().doWork(), "one force");
            assertEquals(tail, journal.durableLsn());
            assertTrue(journal.awaitDurable(tail, 0), "everything below the tail is durable and nothing starts at it");
            assertTrue(journal.awaitDurable(record, 0));
            assertEveryGetterIsDone(journal, 0);
        }
    }

    @Test
    void aRecordAppendedAtTheAwaitedPositionIsWaitedFor()
    {
        try (Journal journal = open(SyncPolicy.GROUP))
        {
            appendSets(journal, 3);
            journal.syncAgent().doWork();
            final long position = journal.tailLsn();
            assertTrue(journal.awaitDurable(position, 0));

            final long record = journal.newAppender().tcommit(7);
            assertEquals(position, record, "the next record starts at the old tail");
            assertFalse(journal.awaitDurable(position, SHORT_NS), "a record now starts at the position: it must be " +
                "durable too");
            journal.syncAgent().doWork();
            assertTrue(journal.awaitDurable(position, 0));
        }
    }

    @Test
    void aThreadWaitingForTheTailIsReleasedByTheForce() throws Exception
    {
        try (Journal journal = open(SyncPolicy.GROUP))
        {
            appendSets(journal, 5);
            final long tail = journal.tailLsn();
            final CompletableFuture<Boolean> waited =
                CompletableFuture.supplyAsync(() -> journal.awaitDurable(tail, LONG_NS));
            assertThrows(java.util.concurrent.TimeoutException.class, () -> waited.get(50, TimeUnit.MILLISECONDS),
                "still waiting: nothing is durable");
            journal.syncAgent().doWork();
            assertTrue(waited.get(LONG_NS, TimeUnit.NANOSECONDS), "the force releases a wait for the tail");
        }
    }

    @Test
    void everyCommitForcesUpToTheTailOnTheWaitingThread()
    {
        try (Journal journal = open(SyncPolicy.EVERY_COMMIT))
        {
            appendSets(journal, 4);
            final long tail = journal.tailLsn();
            assertTrue(journal.durableLsn() < tail, "SETs alone are not forced");
            assertTrue(journal.awaitDurable(tail, LONG_NS));
            assertEquals(tail, journal.durableLsn(), "the wait forced everything below the tail");
            assertEveryGetterIsDone(journal, 0);
        }
    }

    @Test
    void withoutForcesTheTailIsDoneOnceRecordsAreComplete()
    {
        try (Journal journal = open(SyncPolicy.NONE))
        {
            final long record = appendSets(journal, 4);
            assertTrue(journal.awaitDurable(journal.tailLsn(), LONG_NS));
            assertTrue(journal.awaitDurable(record, 0));
            assertEveryGetterIsDone(journal, 0);
        }
    }

    @Test
    void aPositionAtAFileSwitchIsPassedOnceTheRecordInTheNextFileIsDurable()
    {
        try (Journal journal = open(SyncPolicy.GROUP))
        {
            final long capacity = journal.fileCapacity();
            final JournalAppender appender = journal.newAppender();
            final SubscriptKey key = new SubscriptKey().add(1);
            while (capacity - journal.tailLsn() % capacity > 2048)
            {
                appender.set(1, GLOBAL, key, new byte[1000]);
            }
            journal.syncAgent().doWork();
            final long beforeSwitch = journal.tailLsn();
            final long record = appender.set(1, GLOBAL, key, new byte[4000]);
            assertTrue(record > beforeSwitch, "the record went to the next file, after padding");
            assertFalse(journal.awaitDurable(beforeSwitch, SHORT_NS), "padding and the next record are not durable");
            journal.syncAgent().doWork();
            assertTrue(journal.awaitDurable(beforeSwitch, 0));
            assertTrue(journal.awaitDurable(journal.tailLsn(), 0));
        }
    }

    @Test
    void aReadOnlyJournalIsDurableToTheEndItRecovered()
    {
        try (Journal journal = open(SyncPolicy.GROUP))
        {
            appendSets(journal, 6);
        }
        try (Journal journal = Journal.openReadOnly(dir))
        {
            assertTrue(journal.tailLsn() > journal.startLsn());
            assertEveryGetterIsDone(journal, 0);
            assertFalse(journal.awaitDurable(journal.tailLsn() + 8, SHORT_NS), "nothing can be appended there");
        }
    }
}
