package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Transaction markers wait for the records before them in a bounded queue: the ones that do not fit are found again
 * in the journal, and every marker reaches the target once, in journal order, only below the applied LSN, however
 * long the applied LSN stays behind (a paused database).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PendingMarkersTest
{
    @TempDir
    Path dir;
    private Journal journal;

    @AfterEach
    void close()
    {
        if (null != journal)
        {
            journal.close();
        }
    }

    /** Records the LSN of every marker it is handed. */
    private static final class MarkerTarget extends ApplyOnlyTarget
    {
        final List<Long> markers = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void apply(final JournalRecord record, final int worker)
        {
        }

        @Override
        public void onTransactionMarker(final JournalRecord record)
        {
            markers.add(record.lsn());
        }
    }

    /**
     * @return the LSN of every transaction marker in the journal, in order.
     */
    private List<Long> writeTransactions(final String database, final int transactions)
    {
        final JournalAppender appender = journal.newAppender();
        for (int t = 1; t <= transactions; t++)
        {
            appender.tstart(t);
            for (int i = 0; i < 3; i++)
            {
                final byte[] value = new byte[8];
                ByteBuffer.wrap(value).putLong(t * 10L + i);
                appender.set(t, GlobalName.of(database, "T" + i), SubscriptKey.of(t), value);
            }
            appender.tcommit(t);
        }
        return markerLsns();
    }

    private List<Long> markerLsns()
    {
        final List<Long> lsns = new ArrayList<>();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) ->
            {
                if (record.type().isTransactionMarker())
                {
                    lsns.add(record.lsn());
                }
            }, 1000) > 0)
            {
                // drain
            }
        }
        return lsns;
    }

    private void openJournal()
    {
        journal = Journal.open(new JournalContext().journalDir(dir).fileLength(64 * 1024)
            .syncPolicy(SyncPolicy.NONE));
    }

    @Test
    void markersBeyondTheQueueAreFoundAgainAndDeliveredOnceInOrderBelowTheAppliedLsn()
    {
        openJournal();
        final List<Long> expected = writeTransactions("USER", 200);
        final PendingMarkers pending = new PendingMarkers(journal, true, 8);
        final long end = journal.tailLsn();
        // as the dispatcher reads: every marker offered in journal order
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) ->
            {
                if (record.type().isTransactionMarker())
                {
                    pending.add(record.buffer(), record.offset(), record.lsn());
                    assertTrue(pending.size() <= 8, "the queue stays within its capacity");
                }
            }, 1000) > 0)
            {
                // drain
            }
        }
        assertEquals(1, pending.overflows());
        assertEquals(expected.get(0), pending.deliveredBelow());

        final MarkerTarget target = new MarkerTarget();
        final long middle = expected.get(100);
        while (pending.deliverBelow(middle, end, target) > 0)
        {
            assertTrue(pending.deliveredBelow() <= middle);
        }
        assertEquals(expected.subList(0, 100), target.markers, "only the markers below the applied LSN");
        assertTrue(pending.deliveredBelow() <= middle);

        while (pending.deliverBelow(end, end, target) > 0)
        {
            // the rest, in scan batches
        }
        assertEquals(expected, target.markers, "every marker once, in journal order");
        assertEquals(Long.MAX_VALUE, pending.deliveredBelow());

        // caught up: markers are queued again
        final List<Long> more = writeTransactions("USER", 2);
        pending.add(null, 0, more.get(more.size() - 1));
        assertEquals(1, pending.size());
        pending.close();
    }

    @Test
    void aLongPauseHoldsABoundedQueueAndEveryMarkerArrivesAfterItsRecords()
    {
        openJournal();
        final MarkerTarget target = new MarkerTarget();
        try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(target)
            .workers(2).ringSize(256).dispatchBatch(32).checkpointIntervalMs(5).maxPendingMarkers(16)))
        {
            writeTransactions("USER", 10);
            assertTrue(dejournaler.awaitApplied(journal.tailLsn(), TimeUnit.SECONDS.toNanos(30)));
            dejournaler.pause("CLINICAL");
            final long pausedFrom = journal.tailLsn();
            // CLINICAL's records wait, and so does every marker after them
            final JournalAppender appender = journal.newAppender();
            appender.set(0, GlobalName.of("CLINICAL", "Wait"), SubscriptKey.of(1), new byte[8]);
            final List<Long> all = writeTransactions("USER", 500);
            assertFalse(dejournaler.awaitApplied(journal.tailLsn(), TimeUnit.MILLISECONDS.toNanos(300)));
            for (final long lsn : target.markers)
            {
                assertTrue(lsn < pausedFrom, "no marker passes the paused database's waiting record: lsn=" + lsn);
            }
            assertTrue(dejournaler.markerOverflows() > 0, "the markers overflowed the queue");

            dejournaler.resume("CLINICAL");
            assertTrue(dejournaler.awaitApplied(journal.tailLsn(), TimeUnit.SECONDS.toNanos(30)),
                () -> "not applied: " + dejournaler.status());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (target.markers.size() < all.size() && System.nanoTime() < deadline)
            {
                Thread.yield();
            }
            assertEquals(all, target.markers, "every marker once, in journal order");
        }
    }
}
