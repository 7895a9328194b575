package io.jmirror.dejournal;

import com.lmax.disruptor.EventHandler;
import io.jmirror.journal.JournalRecord;

/**
 * One apply thread: it applies exactly the records whose (database, global) hash to it, in journal order, so
 * per-global order holds while different globals proceed in parallel. Counts its records, busy time and the queue
 * depth it last saw, so skew between workers is visible.
 */
final class DejournalWorker implements EventHandler<RecordEvent>
{
    private final int index;
    private final Target target;
    private final JournalRecord record = new JournalRecord();
    private volatile long records;
    private volatile long busyNs;
    private volatile long queueDepth;
    private long batchStartNs;
    private long pendingRecords;

    DejournalWorker(final int index, final Target target)
    {
        this.index = index;
        this.target = target;
    }

    @Override
    public void onBatchStart(final long batchSize, final long queueDepth)
    {
        this.queueDepth = queueDepth;
        batchStartNs = System.nanoTime();
    }

    @Override
    public void onEvent(final RecordEvent event, final long sequence, final boolean endOfBatch)
    {
        record.wrap(event.buffer, event.offset, event.lsn);
        target.apply(record, index);
        pendingRecords++;
        if (endOfBatch)
        {
            records = records + pendingRecords;
            pendingRecords = 0;
            busyNs = busyNs + (System.nanoTime() - batchStartNs);
        }
    }

    int index()
    {
        return index;
    }

    long records()
    {
        return records;
    }

    long busyNs()
    {
        return busyNs;
    }

    long queueDepth()
    {
        return queueDepth;
    }
}
