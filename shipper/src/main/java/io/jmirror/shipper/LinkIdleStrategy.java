package io.jmirror.shipper;

import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * How a link's agent (a member session, a receiver, the primary's listener) idles: optionally hot for a short while
 * after its last work, then blocked until its socket or its journal has something for it.
 * <ol>
 *   <li><b>Spin</b> ({@code Thread.onSpinWait}) for {@code spinNs} after the last work, then <b>yield</b> until
 *   {@code yieldNs} after it. Both default to 0 ({@link ShipperDefaults#LINK_SPIN_NS_DEFAULT}): on 2 cores an agent
 *   that stays hot takes the core the next hop of the round trip needs, and commit latency measured no better with
 *   10-50 µs windows. On machines with cores to spare a window of a round trip's length saves a wake-up per hop.</li>
 *   <li>Then <b>block</b> in a {@link Selector} on the agent's socket for at most {@code maxBlockNs} (rounded up to
 *   whole milliseconds, the selector's resolution). The kernel wakes the thread when the peer's frame arrives (or
 *   the socket can take more, while a frame is half written), and another thread can wake it with
 *   {@link #wakeUp()}: the journal does when records are appended or made durable, the primary when a commit
 *   waits. A timed back-off finds its input only at the end of a park, which is what a commit waited for at
 *   moderate rates.</li>
 *   <li>With no socket to wait on (connecting, disconnected, a batch held back for {@code maxBatchDelayNs}, the rest
 *   of a large frame on its way) it <b>parks</b> instead, backing off from 1 µs to {@code maxParkNs}.</li>
 * </ol>
 * The agent tells the strategy what it waits for through a {@link BlockGuard}, which also re-checks for work after
 * arming its wake-ups, so a wake-up that races with going to sleep is not lost; the bounded block is the backstop.
 * <p>
 * One instance per agent thread: it owns a selector and unparks the thread that first blocked in it. Without a
 * channel registered it behaves as a plain spin, yield, park back-off, so it also suits agents that have no socket.
 */
public final class LinkIdleStrategy implements IdleStrategy
{
    /**
     * What the agent waits for; called on the agent's thread.
     */
    interface BlockGuard
    {
        /** Do not block: work is waiting. */
        int WORK_WAITING = -1;
        /** No socket to wait on: park. */
        int PARK = 0;

        /**
         * Arm the agent's wake-ups, then check once more for work.
         *
         * @return {@link #WORK_WAITING}, {@link #PARK}, or the {@link SelectionKey} interest ops to block on.
         */
        int beforeBlock();

        /**
         * Disarm the wake-ups armed by {@link #beforeBlock()}.
         */
        void afterBlock();
    }

    private static final int NOT_BLOCKED = 0;
    private static final int BLOCKING = 1;
    private static final int SELECTING = 2;
    private static final int PARKING = 3;
    private static final int WOKEN = 4;
    private static final long MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(1);

    private final long spinNs;
    private final long yieldNs;
    private final long maxBlockMs;
    private final long maxParkNs;
    private volatile Selector selector;
    private volatile Thread owner;
    private final AtomicInteger blockState = new AtomicInteger(NOT_BLOCKED);
    private SelectionKey key;
    private BlockGuard guard;
    private long idleSinceNs;
    private long parkNs;
    private boolean isIdle;
    private boolean isClosed;

    /**
     * @param spinNs     spin this long after the last work.
     * @param yieldNs    then yield until this long after it (at least {@code spinNs}).
     * @param maxBlockNs then block on the socket at most this long at a time (at least 1 ms; whole milliseconds).
     * @param maxParkNs  without a socket, park at most this long at a time.
     */
    public LinkIdleStrategy(final long spinNs, final long yieldNs, final long maxBlockNs, final long maxParkNs)
    {
        if (spinNs < 0 || yieldNs < spinNs || maxBlockNs <= 0 || maxParkNs < MIN_PARK_NS)
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG, "need 0 <= spinNs <= yieldNs, " +
                "maxBlockNs > 0 and maxParkNs >= 1000: spinNs=" + spinNs + " yieldNs=" + yieldNs + " maxBlockNs=" +
                maxBlockNs + " maxParkNs=" + maxParkNs);
        }
        this.spinNs = spinNs;
        this.yieldNs = yieldNs;
        this.maxBlockMs = Math.max(1, (maxBlockNs + TimeUnit.MILLISECONDS.toNanos(1) - 1) /
            TimeUnit.MILLISECONDS.toNanos(1));
        this.maxParkNs = maxParkNs;
    }

    /**
     * Set what the agent waits for; the agent calls this once, on its own thread or before it starts.
     */
    void guard(final BlockGuard guard)
    {
        this.guard = guard;
    }

    /**
     * Wait on {@code channel} from now on, in place of any channel registered before; on the agent's thread.
     *
     * @throws ShipperException IO_ERROR when the selector cannot be opened or the channel registered.
     */
    void register(final SelectableChannel channel)
    {
        deregister();
        try
        {
            Selector current = selector;
            if (null == current)
            {
                current = Selector.open();
                selector = current;
            }
            key = channel.register(current, 0);
        }
        catch (final IOException ex)
        {
            throw new ShipperException(ShipperException.Code.IO_ERROR, "cannot wait on the link: reason=" + ex, ex);
        }
    }

    /**
     * Stop waiting on the registered channel; on the agent's thread. The channel's socket is only really closed once
     * the selector has let go of it, so this does that at once.
     */
    void deregister()
    {
        if (null != key)
        {
            key.cancel();
            key = null;
            selectNowQuietly();
        }
    }

    /**
     * Wake the agent if it is blocked or parked; safe from any thread, cheap when it is not.
     */
    public void wakeUp()
    {
        int state;
        while (NOT_BLOCKED != (state = blockState.get()) && WOKEN != state)
        {
            if (blockState.compareAndSet(state, WOKEN))
            {
                final Selector current = selector;
                if (PARKING != state && null != current)
                {
                    current.wakeup();
                }
                final Thread thread = owner;
                if (SELECTING != state && null != thread)
                {
                    LockSupport.unpark(thread);
                }
                return;
            }
        }
    }

    /**
     * Let go of the selector, which closes any channel the agent closed while registered; on the agent's thread
     * (from its {@code onClose}). Safe to call twice.
     */
    void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            key = null;
            CloseHelper.quietClose(selector);
        }
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        final long nowNs = System.nanoTime();
        if (!isIdle)
        {
            isIdle = true;
            idleSinceNs = nowNs;
            parkNs = MIN_PARK_NS;
        }
        final long idleNs = nowNs - idleSinceNs;
        if (idleNs < spinNs)
        {
            Thread.onSpinWait();
        }
        else if (idleNs < yieldNs)
        {
            Thread.yield();
        }
        else
        {
            block();
        }
    }

    @Override
    public void reset()
    {
        isIdle = false;
    }

    @Override
    public String alias()
    {
        return "link";
    }

    private void block()
    {
        if (null == owner)
        {
            owner = Thread.currentThread();
        }
        blockState.set(BLOCKING);
        try
        {
            final int ops = null == guard ? BlockGuard.PARK : guard.beforeBlock();
            try
            {
                if (ops > 0 && null != key && key.isValid())
                {
                    if (key.interestOps() != ops)
                    {
                        key.interestOps(ops);
                    }
                    if (blockState.compareAndSet(BLOCKING, SELECTING))
                    {
                        select();
                    }
                }
                else if (BlockGuard.WORK_WAITING != ops)
                {
                    if (blockState.compareAndSet(BLOCKING, PARKING))
                    {
                        LockSupport.parkNanos(parkNs);
                        parkNs = Math.min(parkNs << 1, maxParkNs);
                    }
                }
            }
            finally
            {
                if (null != guard)
                {
                    guard.afterBlock();
                }
            }
        }
        finally
        {
            blockState.set(NOT_BLOCKED);
        }
    }

    private void select()
    {
        try
        {
            if (selector.select(maxBlockMs) > 0)
            {
                selector.selectedKeys().clear();
            }
        }
        catch (final IOException | ClosedSelectorException ex)
        {
            LockSupport.parkNanos(maxParkNs);
        }
    }

    private void selectNowQuietly()
    {
        final Selector current = selector;
        if (null != current)
        {
            try
            {
                current.selectNow();
                current.selectedKeys().clear();
            }
            catch (final IOException | ClosedSelectorException ignore)
            {
                // the selector is gone: nothing holds the channel
            }
        }
    }
}
