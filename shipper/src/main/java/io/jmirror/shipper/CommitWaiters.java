package io.jmirror.shipper;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Threads parked in {@link Primary#awaitCommitted(long, long)}, so that the backup's session unparks them the moment
 * its ack makes their commit durable, instead of each waiter polling the ack on a timer. A fixed table of slots, so
 * registering allocates nothing; a waiter that finds no free slot polls instead.
 * <p>
 * Ordering: a waiter publishes its slot (volatile) and then reads the backup's acked durable LSN (volatile); the
 * session publishes the acked durable LSN and then reads the slots. Either the waiter sees the ack or the session
 * sees the waiter, so a wake-up is never lost; waiters still park with a timeout, for the gate changing under them.
 */
final class CommitWaiters
{
    static final int NO_SLOT = -1;

    private final AtomicReferenceArray<Thread> threads;
    private final AtomicLongArray lsns;
    private final AtomicInteger registered = new AtomicInteger();
    private final AtomicInteger highWater = new AtomicInteger();

    CommitWaiters(final int capacity)
    {
        threads = new AtomicReferenceArray<>(capacity);
        lsns = new AtomicLongArray(capacity);
    }

    /**
     * @param thread the waiting thread.
     * @param lsn    it waits until an ack covers this LSN (acked durable LSN above it).
     * @return the slot to {@link #unregister(int)}, or {@link #NO_SLOT} when every slot is taken.
     */
    int register(final Thread thread, final long lsn)
    {
        final int capacity = threads.length();
        for (int slot = 0; slot < capacity; slot++)
        {
            if (null == threads.getPlain(slot) && threads.compareAndSet(slot, null, thread))
            {
                lsns.set(slot, lsn);
                registered.incrementAndGet();
                int high;
                while ((high = highWater.get()) <= slot && !highWater.compareAndSet(high, slot + 1))
                {
                    Thread.onSpinWait();
                }
                return slot;
            }
        }
        return NO_SLOT;
    }

    void unregister(final int slot)
    {
        if (NO_SLOT != slot)
        {
            registered.decrementAndGet();
            threads.set(slot, null);
        }
    }

    /**
     * Unpark every waiter whose commit the acked durable LSN now covers; cheap when nobody waits.
     *
     * @param durableLsn the backup's acked durable LSN, already published.
     */
    void wake(final long durableLsn)
    {
        if (registered.get() > 0)
        {
            final int high = highWater.get();
            for (int slot = 0; slot < high; slot++)
            {
                final Thread thread = threads.get(slot);
                if (null != thread && lsns.get(slot) < durableLsn)
                {
                    LockSupport.unpark(thread);
                }
            }
        }
    }

    /**
     * Unpark every waiter: the gate changed (the backup left ACTIVE or went away) or the primary is closing.
     */
    void wakeAll()
    {
        wake(Long.MAX_VALUE);
    }
}
