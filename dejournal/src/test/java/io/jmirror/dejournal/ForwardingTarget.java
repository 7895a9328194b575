package io.jmirror.dejournal;

import io.jmirror.journal.JournalRecord;

/**
 * A test's wrapper of a target: forwards records one at a time (a pair goes through {@link #apply(JournalRecord,
 * int)} twice, so a subclass that counts there sees every record), a worker's batches, transaction markers and
 * checkpoints. Subclasses override what they count or drop.
 */
abstract class ForwardingTarget implements Target
{
    final Target target;

    ForwardingTarget(final Target target)
    {
        this.target = target;
    }

    @Override
    public void apply(final JournalRecord record, final int worker)
    {
        target.apply(record, worker);
    }

    @Override
    public void beginBatch(final int worker)
    {
        target.beginBatch(worker);
    }

    @Override
    public void endBatch(final int worker)
    {
        target.endBatch(worker);
    }

    @Override
    public void onTransactionMarker(final JournalRecord record)
    {
        target.onTransactionMarker(record);
    }

    @Override
    public void checkpoint(final long appliedLsn)
    {
        target.checkpoint(appliedLsn);
    }

    @Override
    public long recoveredLsn()
    {
        return target.recoveredLsn();
    }
}
