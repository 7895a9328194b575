package io.jmirror.dejournal;

import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordHandler;
import org.agrona.DirectBuffer;

/**
 * Transaction markers read by the dispatcher and not yet handed to the target: a TCOMMIT or TROLLBACK reaches the
 * target only once every record before it is applied by every worker, so a target that commits on TCOMMIT never
 * commits a transaction whose records a slower worker still holds. A queue of (buffer, offset, LSN) in journal
 * order; the frames stay mapped because the dispatcher's consumer position never passes {@link #deliveredBelow()}.
 * Allocation-free once grown.
 * <p>
 * <b>Bounded.</b> The applied LSN can stay behind the reader for long, while a database is paused, and every marker
 * read meanwhile would wait here. So the queue holds at most {@code capacity} markers; the first one that finds it
 * full and every later one are not queued but found again, once the queue has drained, by a scan of the journal from
 * that marker's LSN (the journal holds those records anyway), up to the applied LSN. Once the scan has caught up with
 * the dispatcher's reader, markers are queued again.
 */
final class PendingMarkers implements RecordHandler
{
    /** Records the scan reads per call, so that a long scan does not hold up the dispatcher's duty cycle. */
    static final int SCAN_BATCH = 4096;

    private final Journal journal;
    private final boolean verifyChecksums;
    private final int capacity;
    private final JournalRecord record = new JournalRecord();
    private DirectBuffer[] buffers = new DirectBuffer[64];
    private int[] offsets = new int[64];
    private long[] lsns = new long[64];
    private int head;
    private int size;
    /** While at least 0: the markers from this LSN on were not queued, and the scan finds them. */
    private long overflowFromLsn = -1;
    private JournalReader scan;
    private Target scanTarget;
    private long overflows;

    /**
     * @param journal         read again for the markers that did not fit.
     * @param verifyChecksums whether that read checks frame CRCs.
     * @param capacity        markers held at most.
     */
    PendingMarkers(final Journal journal, final boolean verifyChecksums, final int capacity)
    {
        this.journal = journal;
        this.verifyChecksums = verifyChecksums;
        this.capacity = capacity;
    }

    /**
     * A marker the dispatcher read; markers come in journal order.
     */
    void add(final DirectBuffer buffer, final int offset, final long lsn)
    {
        if (overflowFromLsn >= 0)
        {
            return;
        }
        if (size == capacity)
        {
            overflowFromLsn = lsn;
            overflows++;
            return;
        }
        if (size == lsns.length)
        {
            grow();
        }
        final int tail = (head + size) & (lsns.length - 1);
        buffers[tail] = buffer;
        offsets[tail] = offset;
        lsns[tail] = lsn;
        size++;
    }

    /**
     * Hand the target every marker below {@code appliedLsn}, oldest first.
     *
     * @param appliedLsn   every record below it is applied.
     * @param readPosition where the dispatcher's reader is: every marker below it has been offered to {@link #add}.
     * @return the number of markers and, while scanning, records handled.
     */
    int deliverBelow(final long appliedLsn, final long readPosition, final Target target)
    {
        int delivered = 0;
        while (size > 0 && lsns[head] < appliedLsn)
        {
            record.wrap(buffers[head], offsets[head], lsns[head]);
            buffers[head] = null;
            head = (head + 1) & (lsns.length - 1);
            size--;
            target.onTransactionMarker(record);
            delivered++;
        }
        if (overflowFromLsn >= 0 && size == 0)
        {
            delivered += scan(Math.min(appliedLsn, readPosition), readPosition, target);
        }
        return delivered;
    }

    private int scan(final long below, final long readPosition, final Target target)
    {
        if (null == scan)
        {
            scan = journal.reader(overflowFromLsn).verifyChecksums(verifyChecksums);
        }
        int work = 0;
        scanTarget = target;
        try
        {
            while (scan.position() < below && work < SCAN_BATCH && scan.poll(this, 1) > 0)
            {
                work++;
            }
        }
        finally
        {
            scanTarget = null;
        }
        if (scan.position() >= readPosition)
        {
            // Every marker the dispatcher has read is delivered: queue the next ones again.
            scan.close();
            scan = null;
            overflowFromLsn = -1;
        }
        return work;
    }

    /**
     * The scan's handler: a record below the applied LSN, so a marker among them is delivered at once.
     */
    @Override
    public void onRecord(final JournalRecord scanned)
    {
        if (scanned.type().isTransactionMarker())
        {
            scanTarget.onTransactionMarker(scanned);
        }
    }

    /**
     * @return every marker below it has been handed to the target: the journal must be held from here, and a
     * checkpoint must not claim more, or a restart would never hand over the markers in between.
     */
    long deliveredBelow()
    {
        if (size > 0)
        {
            return lsns[head];
        }
        if (overflowFromLsn >= 0)
        {
            return null == scan ? overflowFromLsn : scan.position();
        }
        return Long.MAX_VALUE;
    }

    int size()
    {
        return size;
    }

    /**
     * @return how many times the queue was full, so that markers were found again by a scan.
     */
    long overflows()
    {
        return overflows;
    }

    /**
     * Let go of the scan's reader, if one is open.
     */
    void close()
    {
        if (null != scan)
        {
            scan.close();
            scan = null;
        }
    }

    private void grow()
    {
        final int length = lsns.length * 2;
        final DirectBuffer[] newBuffers = new DirectBuffer[length];
        final int[] newOffsets = new int[length];
        final long[] newLsns = new long[length];
        for (int i = 0; i < size; i++)
        {
            final int from = (head + i) & (lsns.length - 1);
            newBuffers[i] = buffers[from];
            newOffsets[i] = offsets[from];
            newLsns[i] = lsns[from];
        }
        buffers = newBuffers;
        offsets = newOffsets;
        lsns = newLsns;
        head = 0;
    }
}
