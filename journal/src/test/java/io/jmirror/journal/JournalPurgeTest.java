package io.jmirror.journal;

import org.agrona.concurrent.EpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class JournalPurgeTest
{
    private static final long FILE_LENGTH = 8192;
    private static final long CAPACITY = FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Purge");

    @TempDir
    Path dir;
    private final AtomicLong nowMs = new AtomicLong(System.currentTimeMillis());
    private Journal journal;

    @AfterEach
    void close()
    {
        if (null != journal)
        {
            journal.close();
        }
    }

    private Journal open(final int retainMinFiles, final long retainMs)
    {
        final EpochClock clock = nowMs::get;
        journal = Journal.open(new JournalContext()
            .journalDir(dir)
            .fileLength(FILE_LENGTH)
            .syncPolicy(SyncPolicy.NONE)
            .retainMinFiles(retainMinFiles)
            .retainMs(retainMs)
            .epochClock(clock));
        return journal;
    }

    private void fillFiles(final int files)
    {
        final SubscriptKey key = new SubscriptKey().add(1);
        while (journal.fileCount() < files)
        {
            journal.appender().set(0, GLOBAL, key, new byte[400]);
        }
    }

    @Test
    void purgeKeepsWhatConsumersNeed()
    {
        open(1, 0);
        fillFiles(6);
        final JournalConsumer slow = journal.registerConsumer("slow-member", 2 * CAPACITY + 16);

        assertEquals(2, journal.purge(), "files 0 and 1 are below every consumer");
        assertEquals(2 * CAPACITY, journal.startLsn());
        assertEquals(0, journal.purge(), "file 2 holds the consumer's LSN");

        slow.position(4 * CAPACITY);
        assertEquals(2, journal.purge());
        assertEquals(4 * CAPACITY, journal.startLsn());

        slow.close();
        assertEquals(1, journal.purge(), "with no consumer only the tail file is needed");
        assertEquals(1, journal.fileCount());
    }

    @Test
    void purgeKeepsTheMinimumNumberOfFiles()
    {
        open(3, 0);
        fillFiles(6);
        assertEquals(3, journal.purge());
        assertEquals(3, journal.fileCount());
        assertEquals(0, journal.purge());
    }

    @Test
    void purgeKeepsFilesWrittenWithinTheRetentionTime()
    {
        open(1, TimeUnit.HOURS.toMillis(2));
        fillFiles(4);
        assertEquals(0, journal.purge(), "every file was written within the last two hours");
        nowMs.set(System.currentTimeMillis() + TimeUnit.HOURS.toMillis(3));
        assertEquals(3, journal.purge());
    }

    @Test
    void anOpenReaderHoldsItsFile()
    {
        open(1, 0);
        fillFiles(5);
        try (JournalReader reader = journal.reader(CAPACITY))
        {
            assertEquals(1, journal.purge());
            assertEquals(CAPACITY, journal.startLsn());
            assertTrue(reader.poll((record) -> { }, 10) > 0);
        }
        assertEquals(3, journal.purge());
    }

    @Test
    void aFileAnAppenderMayStillBeWritingInIsKept()
    {
        open(1, 0);
        fillFiles(5);
        // An appender that read the tail in file 1 and has not published what it claimed there (it was descheduled
        // between its claim and its length store): purge must not take file 1 from under it.
        final JournalAppender stalled = journal.newAppender();
        stalled.claimFrom(CAPACITY + 64);
        assertEquals(1, journal.purge(), "only file 0 lies wholly below the stalled claim");
        assertEquals(CAPACITY, journal.startLsn());

        stalled.claimFrom(Long.MAX_VALUE);
        assertEquals(3, journal.purge(), "published: every file but the tail may go");
    }

    @Test
    void anAppenderBetweenAppendsHoldsNothing()
    {
        open(1, 0);
        final JournalAppender appender = journal.newAppender();
        final SubscriptKey key = new SubscriptKey().add(1);
        while (journal.fileCount() < 4)
        {
            appender.set(0, GLOBAL, key, new byte[400]);
        }
        assertEquals(Long.MAX_VALUE, appender.claimFrom());
        assertEquals(3, journal.purge());
    }

    @Test
    void askingForAPurgedLsnNamesTheOldestLsnHeld()
    {
        open(1, 0);
        fillFiles(4);
        journal.purge();
        final JournalException ex = assertThrows(JournalException.class, () -> journal.reader(0));
        assertEquals(JournalException.Code.LSN_PURGED, ex.code());
        assertTrue(ex.getMessage().contains("lsn=0"), ex.getMessage());
        assertTrue(ex.getMessage().contains("oldestLsnHeld=" + journal.startLsn()), ex.getMessage());
    }

    @Test
    void aPurgedJournalReopensAtItsOldestFile()
    {
        open(1, 0);
        fillFiles(4);
        final long tail = journal.tailLsn();
        journal.purge();
        final long start = journal.startLsn();
        journal.close();
        journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE));
        assertEquals(start, journal.startLsn());
        assertEquals(tail, journal.recoveredLsn());
    }
}
