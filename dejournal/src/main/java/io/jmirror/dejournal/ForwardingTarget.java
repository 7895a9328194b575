package io.jmirror.dejournal;

import io.jmirror.journal.JournalRecord;

/**
 * A target that wraps another and passes everything on: records, a worker's batches, transaction markers,
 * checkpoints, the recovered LSN, durability and {@link #unwrap}. A wrapper (a restore's filter, a soak's order check,
 * a test's counter) overrides only what it changes.
 * <p>
 * A pair of records goes through {@link #apply(JournalRecord, int)} twice (the interface's default), so a wrapper that
 * looks at records sees every one in one place; the wrapped target then applies them one at a time.
 */
public abstract class ForwardingTarget implements Target
{
    /** The wrapped target. */
    protected final Target target;

    /**
     * @param target the target to pass everything on to.
     */
    protected ForwardingTarget(final Target target)
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

    @Override
    public boolean isDurable()
    {
        return target.isDurable();
    }

    @Override
    public <T extends Target> T unwrap(final Class<T> type)
    {
        return type.isInstance(this) ? type.cast(this) : target.unwrap(type);
    }
}
