package io.jmirror.dejournal;

import io.jmirror.journal.JournalRecord;

/**
 * Applies records to the built-in {@link GlobalStore}. The store lives in memory, so its checkpoint is the
 * applied LSN it has reached in this process: a dejournaler restarted over the same store resumes there, and a
 * new process starts from the journal's oldest LSN.
 */
public final class StoreTarget implements Target
{
    private final GlobalStore store;
    private volatile long checkpointLsn = -1;

    /**
     * @param store the store to apply to.
     */
    public StoreTarget(final GlobalStore store)
    {
        this.store = store;
    }

    /**
     * @return the store.
     */
    public GlobalStore store()
    {
        return store;
    }

    @Override
    public void apply(final JournalRecord record, final int worker)
    {
        store.apply(record);
    }

    @Override
    public void apply(final JournalRecord first, final JournalRecord second, final int worker)
    {
        store.apply(first, second);
    }

    @Override
    public void checkpoint(final long appliedLsn)
    {
        checkpointLsn = appliedLsn;
    }

    @Override
    public long recoveredLsn()
    {
        return checkpointLsn;
    }
}
