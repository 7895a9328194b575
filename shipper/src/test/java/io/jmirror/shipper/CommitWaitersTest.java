package io.jmirror.shipper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A waiter parks far longer than the test waits; only an ack that covers its LSN (or a wake of all) unparks it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CommitWaitersTest
{
    private static Thread parkUntil(final AtomicBoolean done, final AtomicInteger wakes)
    {
        final Thread thread = new Thread(() ->
        {
            while (!done.get())
            {
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(60));
                wakes.incrementAndGet();
            }
        }, "waiter");
        thread.start();
        return thread;
    }

    @Test
    void anAckCoveringTheLsnUnparksTheWaiterAndOneBelowDoesNot() throws Exception
    {
        final CommitWaiters waiters = new CommitWaiters(4);
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicInteger wakes = new AtomicInteger();
        final Thread thread = parkUntil(done, wakes);
        final int slot = waiters.register(thread, 100);
        assertNotEquals(CommitWaiters.NO_SLOT, slot);
        waiters.wake(100);
        thread.join(200);
        assertEquals(0, wakes.get(), "an ack of durable LSN 100 does not cover a commit at 100");
        done.set(true);
        waiters.wake(101);
        thread.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(thread.isAlive(), "an ack past the commit unparks it");
        waiters.unregister(slot);
    }

    @Test
    void wakeAllUnparksEveryWaiterAndAFullTableRefuses() throws Exception
    {
        final CommitWaiters waiters = new CommitWaiters(2);
        final AtomicBoolean done = new AtomicBoolean();
        final Thread first = parkUntil(done, new AtomicInteger());
        final Thread second = parkUntil(done, new AtomicInteger());
        final int a = waiters.register(first, 1);
        final int b = waiters.register(second, 2);
        assertEquals(CommitWaiters.NO_SLOT, waiters.register(Thread.currentThread(), 3), "every slot taken");
        done.set(true);
        waiters.wakeAll();
        first.join(TimeUnit.SECONDS.toMillis(10));
        second.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(first.isAlive() || second.isAlive());
        waiters.unregister(a);
        waiters.unregister(b);
        assertNotEquals(CommitWaiters.NO_SLOT, waiters.register(Thread.currentThread(), 3), "slots are reused");
    }
}
