package io.jmirror.dejournal;

import io.jmirror.journal.JournalRecord;
import org.agrona.DirectBuffer;

/**
 * Transaction markers read by the dispatcher and not yet handed to the target: a TCOMMIT or TROLLBACK reaches the
 * target only once every record before it is applied by every worker, so a target that commits on TCOMMIT never
 * commits a transaction whose records a slower worker still holds. A queue of (buffer, offset, LSN) in journal
 * order; the frames stay mapped because the dispatcher's consumer position never passes the applied LSN, which is at
 * or below the oldest pending marker. Allocation-free once grown.
 */
final class PendingMarkers
{
    private final JournalRecord record = new JournalRecord();
    private DirectBuffer[] buffers = new DirectBuffer[64];
    private int[] offsets = new int[64];
    private long[] lsns = new long[64];
    private int head;
    private int size;

    void add(final DirectBuffer buffer, final int offset, final long lsn)
    {
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
     * @return the number handed over.
     */
    int deliverBelow(final long appliedLsn, final Target target)
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
        return delivered;
    }

    int size()
    {
        return size;
    }

    private void grow()
    {
        final int capacity = lsns.length * 2;
        final DirectBuffer[] newBuffers = new DirectBuffer[capacity];
        final int[] newOffsets = new int[capacity];
        final long[] newLsns = new long[capacity];
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
