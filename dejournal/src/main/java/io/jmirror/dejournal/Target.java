package io.jmirror.dejournal;

import io.jmirror.journal.JournalRecord;

/**
 * Where dejournaled records go: the embedder's store, or the built-in {@link GlobalStore}. jmirror calls
 * {@link #apply} for SET, KILL and ZKILL on the worker thread that owns the record's (database, global), in
 * journal order for that global; different globals are applied in parallel on other workers.
 */
public interface Target
{
    /**
     * Apply one SET, KILL or ZKILL. Values are absolute, so applying a record again leaves the same state.
     *
     * @param record valid only during the call.
     * @param worker index of the worker thread calling, 0..workers-1.
     */
    void apply(JournalRecord record, int worker);

    /**
     * Apply two records of one worker, {@code first} before {@code second} in journal order; workers hand records
     * over in pairs so that a target whose apply waits on memory can overlap two of them. The default applies them
     * one after the other; {@link StoreTarget} lets the {@link GlobalStore} do both SETs together. An exception stops
     * dejournaling at {@code first}, whichever record failed.
     *
     * @param first  valid only during the call.
     * @param second valid only during the call.
     * @param worker index of the worker thread calling, 0..workers-1.
     */
    default void apply(final JournalRecord first, final JournalRecord second, final int worker)
    {
        apply(first, worker);
        apply(second, worker);
    }

    /**
     * A worker is about to hand over a batch of records (the records its ring holds now): until {@link #endBatch}
     * the target may gather them and write them together, the way a store with a per-write cost (a RocksDB write
     * batch, a round trip) wants. Records applied outside a begin and end pair, by callers other than a worker, must
     * be applied when {@code apply} returns. The default gathers nothing.
     *
     * @param worker index of the worker thread calling, 0..workers-1.
     */
    default void beginBatch(final int worker)
    {
    }

    /**
     * The worker handed over the last record of its batch: every record of the batch must be applied when this
     * returns, since the worker's position, from which the applied LSN is computed, moves past them next. An exception
     * stops dejournaling as one from {@code apply} does. The default does nothing.
     *
     * @param worker index of the worker thread calling, 0..workers-1.
     */
    default void endBatch(final int worker)
    {
    }

    /**
     * See a transaction marker (TSTART, TCOMMIT, TROLLBACK), on the dispatcher thread, in journal order, once every
     * record before it has been applied by every worker: at a TCOMMIT, all of the transaction's records are in.
     *
     * @param record valid only during the call.
     */
    default void onTransactionMarker(final JournalRecord record)
    {
    }

    /**
     * Every record below {@code appliedLsn} has been applied: make that durable in the target and remember it, so
     * a restart can resume there. Called periodically from the dispatcher thread.
     *
     * @param appliedLsn the applied LSN.
     */
    void checkpoint(long appliedLsn);

    /**
     * @return the LSN the target recovered to (its last checkpoint), where dejournaling resumes; -1 to start at the
     * oldest LSN the journal holds.
     */
    long recoveredLsn();

    /**
     * Whether the store outlives its process at {@link #recoveredLsn()}: a restart resumes there, so the journal must
     * keep every record from the last checkpoint on. A failover node that is primary with such a store keeps its
     * journal from the store's checkpoint, and its application checkpoints the store as it writes. An in-memory
     * store, rebuilt from the journal at every start, is not durable.
     *
     * @return true for a store that survives a restart; false by default.
     */
    default boolean isDurable()
    {
        return false;
    }

    /**
     * The target of a given type that this one is, or that it applies through: a target that wraps another (to
     * check or count what it applies) answers for the one it wraps, so that options tied to a kind of store, such
     * as {@link DejournalContext#isolatedReaders(boolean)} on a {@link RocksDbTarget}, still find it. As
     * {@code java.sql.Wrapper.unwrap}, without the exception.
     *
     * @param type the kind of target wanted.
     * @param <T>  the kind of target wanted.
     * @return this target or the one it wraps if either is a {@code type}, else null.
     */
    default <T extends Target> T unwrap(final Class<T> type)
    {
        return type.isInstance(this) ? type.cast(this) : null;
    }
}
