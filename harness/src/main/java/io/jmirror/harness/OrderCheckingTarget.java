package io.jmirror.harness;

import io.jmirror.dejournal.ForwardingTarget;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordType;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A member's target in demo and soak: applies to the member's store (in memory or RocksDB) and checks, before each
 * SET, that the node's version only rises. A lower version over a higher one means the node was applied out of order;
 * it is counted and the first one is kept with its LSN. An equal version is a replay (after a restart) and is allowed.
 * <p>
 * A durable store may hold records past its last checkpoint when the member restarts (a memtable flushed before a
 * kill -9), and the dejournaler applies them again from the checkpoint: older versions over newer ones until the
 * replay passes them, which is no disorder. So over a durable store the check starts at the end of the journal the
 * member restarted with ({@link #replayEnds}); every record before the crash was in that journal.
 */
final class OrderCheckingTarget extends ForwardingTarget
{
    private final MemberStore store;
    private final AtomicLong violations = new AtomicLong();
    private final AtomicReference<String> firstViolation = new AtomicReference<>();
    private final AtomicLong sets = new AtomicLong();
    private final long skipEvery;
    private volatile long replayEndLsn;

    OrderCheckingTarget(final GlobalStore store)
    {
        this(store, 0);
    }

    OrderCheckingTarget(final GlobalStore store, final long skipEvery)
    {
        this(MemberStore.memory(store), skipEvery);
    }

    /**
     * @param skipEvery when above 0, silently drop every n-th SET: a deliberately broken member, with which the
     *                  soak's own tests check that verification catches lost records.
     */
    OrderCheckingTarget(final MemberStore store, final long skipEvery)
    {
        super(store.target());
        this.store = store;
        this.skipEvery = skipEvery;
        this.replayEndLsn = store.isDurable() ? Long.MAX_VALUE : -1;
    }

    /**
     * Over a durable store, check records from {@code lsn} on: the end of the member's journal when it started, or
     * later. Until this is called, a durable store's records are not checked.
     */
    void replayEnds(final long lsn)
    {
        replayEndLsn = lsn;
    }

    /**
     * @return whether the check has started (the replay end is known).
     */
    boolean isChecking()
    {
        return replayEndLsn != Long.MAX_VALUE;
    }

    @Override
    public void apply(final JournalRecord record, final int worker)
    {
        if (record.type() == RecordType.SET)
        {
            final long incoming = VersionedValue.version(record.buffer(), record.valueOffset(), record.valueLength());
            final byte[] current = store.get(record.database(), record.global(), record.buffer(), record.keyOffset(),
                record.keyLength());
            final long held = VersionedValue.version(current);
            if (incoming >= 0 && held > incoming && record.lsn() >= replayEndLsn)
            {
                violations.incrementAndGet();
                firstViolation.compareAndSet(null, "lsn=" + record.lsn() + " database=" + record.database() +
                    " global=" + record.global() + " held version " + held + " > incoming version " + incoming);
            }
            if (skipEvery > 0 && sets.incrementAndGet() % skipEvery == 0)
            {
                return;
            }
        }
        target.apply(record, worker);
    }

    /**
     * Not passed on: each record is written before its {@code apply} returns, so the version check's read of the store
     * sees the records before it (a gathered RocksDB batch would hide them until its end).
     */
    @Override
    public void beginBatch(final int worker)
    {
    }

    @Override
    public void endBatch(final int worker)
    {
    }

    long violations()
    {
        return violations.get();
    }

    String firstViolation()
    {
        return firstViolation.get();
    }

    MemberStore store()
    {
        return store;
    }
}
