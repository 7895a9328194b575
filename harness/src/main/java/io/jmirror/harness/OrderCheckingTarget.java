package io.jmirror.harness;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordType;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A member's target in demo and soak: applies to the in-memory {@link GlobalStore} and checks, before each SET, that
 * the node's version only rises. A lower version over a higher one means the node was applied out of order; it is
 * counted and the first one is kept with its LSN. An equal version is a replay (after a restart) and is allowed.
 */
final class OrderCheckingTarget implements Target
{
    private final GlobalStore store;
    private final StoreTarget target;
    private final AtomicLong violations = new AtomicLong();
    private final AtomicReference<String> firstViolation = new AtomicReference<>();
    private final AtomicLong sets = new AtomicLong();
    private final long skipEvery;

    OrderCheckingTarget(final GlobalStore store)
    {
        this(store, 0);
    }

    /**
     * @param skipEvery when above 0, silently drop every n-th SET: a deliberately broken member, with which the
     *                  soak's own tests check that verification catches lost records.
     */
    OrderCheckingTarget(final GlobalStore store, final long skipEvery)
    {
        this.store = store;
        this.target = new StoreTarget(store);
        this.skipEvery = skipEvery;
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
            if (incoming >= 0 && held > incoming)
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

    long violations()
    {
        return violations.get();
    }

    String firstViolation()
    {
        return firstViolation.get();
    }

    GlobalStore store()
    {
        return store;
    }
}
