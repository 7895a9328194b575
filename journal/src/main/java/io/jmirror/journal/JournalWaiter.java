package io.jmirror.journal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets a thread block until the journal moves instead of polling it: a member session waiting in a selector for its
 * socket and for new records alike, or a receiver waiting for its socket and for the sync agent to make records
 * durable. The thread {@link #arm() arms} the waiter, checks once more for what it waits for, then blocks; the next
 * append, replicated block or durable-LSN advance runs the wake-up once and disarms it. The wake-up runs on that
 * thread, so it must be quick and must not throw (a {@code Selector.wakeup()}, a {@code LockSupport.unpark}).
 * <pre>{@code
 * waiter.arm();
 * if (!reader.hasData())
 * {
 *     selector.select(1);   // bounded: the wake-up is a hint, see below
 * }
 * waiter.disarm();
 * }</pre>
 * An appender reads one shared count of armed waiters after publishing a record and only pays for a wake-up when it
 * is not zero. To keep appends free of a fence, it does not order that read after its release store, so in a rare
 * interleaving a thread that armed just as a record was published misses its wake-up: always block with a timeout.
 * A caller that must not miss one (a commit waiting for the backup) wakes the blocked thread itself, ordered by a
 * volatile write and read of its own.
 */
public final class JournalWaiter implements AutoCloseable
{
    private final Journal journal;
    private final AtomicInteger armedCount;
    private final Runnable wakeUp;
    private final AtomicInteger armed = new AtomicInteger();
    private volatile long wakeTailLsn = Long.MIN_VALUE;

    JournalWaiter(final Journal journal, final AtomicInteger armedCount, final Runnable wakeUp)
    {
        this.journal = journal;
        this.armedCount = armedCount;
        this.wakeUp = wakeUp;
    }

    /**
     * Ask to be woken when the journal next moves. Check for what you wait for after arming, before blocking.
     */
    public void arm()
    {
        armAt(Long.MIN_VALUE);
    }

    /**
     * Ask to be woken when the journal's tail reaches {@code tailLsn}, or its durable LSN next moves. A session that
     * waits for a batch's worth of records arms this way so that the appender wakes it once per batch instead of once
     * per record: on 2 cores a wake-up per record cost the appender a system call and the session a context switch
     * for a few hundred bytes each.
     *
     * @param tailLsn wake-ups from appends and replicated blocks are skipped while the tail is below this.
     */
    public void armAt(final long tailLsn)
    {
        wakeTailLsn = tailLsn;
        if (armed.get() == 0 && armed.compareAndSet(0, 1))
        {
            armedCount.incrementAndGet();
        }
    }

    /**
     * Stop asking; call after waking for any reason.
     */
    public void disarm()
    {
        if (armed.get() != 0 && armed.compareAndSet(1, 0))
        {
            armedCount.decrementAndGet();
        }
    }

    /**
     * @return true while armed and not yet woken.
     */
    public boolean isArmed()
    {
        return armed.get() != 0;
    }

    void wake(final long tailLsn)
    {
        if (armed.get() != 0 && tailLsn >= wakeTailLsn && armed.compareAndSet(1, 0))
        {
            armedCount.decrementAndGet();
            wakeUp.run();
        }
    }

    /**
     * Unregister; safe to call twice.
     */
    @Override
    public void close()
    {
        disarm();
        journal.removeWaiter(this);
    }
}
