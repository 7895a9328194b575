package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pause and resume per database, driven by hand on one thread: requests end however many arrive, one catch-up runs
 * at a time and the others wait their turn in the order they were resumed, and a database stays paused until its
 * catch-up is done.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DatabasePausesTest
{
    @TempDir
    Path dir;
    private Journal journal;
    private DatabasePauses pauses;
    private long middleLsn;

    @BeforeEach
    void open()
    {
        journal = Journal.open(new JournalContext().journalDir(dir).fileLength(1024 * 1024)
            .syncPolicy(SyncPolicy.NONE));
        final JournalAppender appender = journal.newAppender();
        final SubscriptKey key = new SubscriptKey();
        for (int i = 0; i < 100; i++)
        {
            final long lsn = appender.set(i, GlobalName.of(i % 2 == 0 ? "USER" : "AUDIT", "G"), key.clear().add(i),
                new byte[8]);
            if (i == 50)
            {
                middleLsn = lsn;
            }
        }
        pauses = new DatabasePauses(journal, true);
    }

    @AfterEach
    void close()
    {
        if (null != pauses)
        {
            pauses.close();
        }
        if (null != journal)
        {
            journal.close();
        }
    }

    private DatabasePauses.KnownDatabase known(final String name)
    {
        final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        // Padded as in a frame: the comparison reads whole words.
        return pauses.database(new UnsafeBuffer(java.util.Arrays.copyOf(bytes, 64)), 0, bytes.length);
    }

    /**
     * Catch up the database being resumed, as the dispatcher does once its reader reached the main reader.
     *
     * @return the database whose catch-up ended.
     */
    private String finishCatchUp(final List<String> order)
    {
        assertNotNull(pauses.catchUpReader(), "a catch-up runs");
        for (final String name : new String[] {"USER", "AUDIT", "CLINICAL", "HR"})
        {
            if (pauses.isCatchingUp(known(name)))
            {
                order.add(name);
                pauses.onCatchUpDone();
                return name;
            }
        }
        throw new AssertionError("no known database is catching up");
    }

    @Test
    void resumesWhileAnotherCatchesUpWaitTheirTurnInOrderAndRequestsAlwaysEnd()
    {
        for (final String name : new String[] {"USER", "AUDIT", "CLINICAL", "HR"})
        {
            known(name);
            pauses.pause(name);
        }
        final long pausedAt = journal.completeLsn();
        assertEquals(4, pauses.runRequests(pausedAt));
        assertNull(pauses.catchUpReader());
        assertEquals(pausedAt, pauses.dispatchedBelow(pausedAt + 1000), "skipped records hold the position back");

        // resumed while USER still catches up, some twice, and pausing USER again changes nothing
        pauses.resume("USER");
        pauses.resume("CLINICAL");
        pauses.resume("AUDIT");
        pauses.resume("CLINICAL");
        pauses.pause("USER");
        pauses.resume("USER");
        // Each request is carried out once: the drain ends, whatever the catch-up state.
        assertEquals(6, pauses.runRequests(pausedAt + 1000));
        assertEquals(0, pauses.runRequests(pausedAt + 1000));
        assertTrue(pauses.isCatchingUp(known("USER")));
        assertFalse(pauses.isCatchingUp(known("AUDIT")));
        for (final String name : new String[] {"USER", "AUDIT", "CLINICAL", "HR"})
        {
            assertTrue(pauses.isPaused(name), name + " counts as paused until its catch-up is done");
        }

        final List<String> order = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            finishCatchUp(order);
        }
        assertEquals(List.of("USER", "CLINICAL", "AUDIT"), order, "catch-ups run in the order of the resumes");
        assertNull(pauses.catchUpReader(), "HR was never resumed");
        assertTrue(pauses.isPaused("HR"));
        assertFalse(pauses.isPaused("USER"));
        assertNull(known("USER").paused);
        assertNotNull(known("HR").paused);
        assertEquals(pausedAt, pauses.dispatchedBelow(pausedAt + 1000), "HR's skipped records still wait");

        pauses.resume("HR");
        pauses.runRequests(pausedAt + 1000);
        finishCatchUp(order);
        assertEquals(pausedAt + 1000, pauses.dispatchedBelow(pausedAt + 1000));
        for (final String name : new String[] {"USER", "AUDIT", "CLINICAL", "HR"})
        {
            assertFalse(pauses.isPaused(name), name);
        }
    }

    @Test
    void resumingADatabaseThatIsNotPausedDoesNothing()
    {
        pauses.resume("USER");
        assertEquals(1, pauses.runRequests(0));
        assertNull(pauses.catchUpReader());
        assertEquals(List.of(), pauses.databases());
        known("USER");
        assertEquals(List.of("USER"), pauses.databases());
    }

    @Test
    void theCatchUpReaderStartsWhereThePauseTookEffect()
    {
        final long pausedAt = middleLsn;
        pauses.pause("AUDIT");
        pauses.runRequests(pausedAt);
        pauses.resume("AUDIT");
        pauses.runRequests(journal.completeLsn());
        assertEquals(pausedAt, pauses.catchUpReader().position());
        assertEquals(pausedAt, pauses.dispatchedBelow(journal.completeLsn()));
    }
}
