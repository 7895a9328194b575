package io.jmirror.dejournal;

import com.lmax.disruptor.EventHandler;
import io.jmirror.journal.JournalRecord;

/**
 * One apply thread: it applies exactly the records whose (database, global) hash to it, in journal order, so
 * per-global order holds while different globals proceed in parallel. Counts its records, busy time and its queue
 * depth (records waiting in its ring, as of its last batch's start and end), so skew between workers is visible.
 * <p>
 * Records go to the target two at a time ({@link Target#apply(JournalRecord, JournalRecord, int)}): a record waits
 * for the next one of its batch, and the last of a batch goes alone, so every record of a batch is applied before
 * the processor's sequence (from which the applied LSN is computed) moves past the batch. The batch is bracketed by
 * {@link Target#beginBatch} and {@link Target#endBatch}, so a target may write a batch's records together.
 */
final class DejournalWorker implements EventHandler<RecordEvent>
{
    private final int index;
    private final Target target;
    private final JournalRecord record = new JournalRecord();
    private final JournalRecord pending = new JournalRecord();
    private boolean hasPending;
    private long applyingLsn = -1;
    private volatile long records;
    private volatile long busyNs;
    private volatile long queueDepth;
    private long batchStartNs;
    private long batchSize;
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
        this.batchSize = batchSize;
        batchStartNs = System.nanoTime();
        target.beginBatch(index);
    }

    @Override
    public void onEvent(final RecordEvent event, final long sequence, final boolean endOfBatch)
    {
        if (hasPending)
        {
            hasPending = false;
            record.wrap(event.buffer, event.offset, event.lsn);
            target.apply(pending, record, index);
            pendingRecords += 2;
        }
        else if (endOfBatch)
        {
            applyingLsn = event.lsn;
            record.wrap(event.buffer, event.offset, event.lsn);
            target.apply(record, index);
            pendingRecords++;
        }
        else
        {
            // The slot and the frame it points to stay valid until the batch ends: the sequence has not moved.
            applyingLsn = event.lsn;
            pending.wrap(event.buffer, event.offset, event.lsn);
            hasPending = true;
        }
        if (endOfBatch)
        {
            target.endBatch(index);
            records = records + pendingRecords;
            pendingRecords = 0;
            busyNs = busyNs + (System.nanoTime() - batchStartNs);
            // What is left of the depth seen at the batch's start, so an idle worker shows 0, not its last batch.
            queueDepth = queueDepth - batchSize;
        }
    }

    /**
     * @return the LSN of the record (the first of the two) the worker is applying or last applied, for the error
     * report of a failed apply, which runs on this worker's thread.
     */
    long applyingLsn()
    {
        return applyingLsn;
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
