package io.jmirror.journal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.EpochClock;

/**
 * Record timestamps at the cost of a memory read. Reading the system clock costs about 35 ns on these virtual
 * machines, a third of an append's budget, so a daemon thread refreshes a cached millisecond clock every
 * millisecond instead; timestamps are at most about a millisecond (plus scheduling delay) behind.
 * <p>
 * A journal nobody appends to does not need a ticking clock, and a thousand wake-ups a second cost about 3% of a
 * core on these machines, idle or not. So the ticker dozes once {@value #IDLE_TICKS_BEFORE_DOZING} ticks pass without
 * a read, and the first reader after that takes the system clock itself and wakes it:
 * <ul>
 *   <li>A reader notes that it read ({@code isRead}) with at most one write per tick, since the ticker clears the
 *   flag once a tick: readers on the append path do not write a shared line per record.</li>
 *   <li>The waking reader stores the time before it clears {@code isDozing}, so a reader that sees the clock awake
 *   never reads the time from before the doze.</li>
 * </ul>
 */
final class TickingEpochClock implements EpochClock, AutoCloseable
{
    /** Ticks in a row without a read before the ticker dozes: 100 ms. */
    static final int IDLE_TICKS_BEFORE_DOZING = 100;

    private static final long TICK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A dozing ticker still wakes this often, to notice close. */
    private static final long DOZE_NS = TimeUnit.SECONDS.toNanos(1);

    private final Thread ticker;
    private volatile long timeMs;
    private volatile boolean isRead;
    private volatile boolean isDozing;
    private volatile boolean isClosed;

    TickingEpochClock()
    {
        timeMs = System.currentTimeMillis();
        ticker = new Thread(this::tick, "jmirror-journal-clock");
        ticker.setDaemon(true);
        ticker.start();
    }

    @Override
    public long time()
    {
        if (isDozing)
        {
            return wake();
        }
        if (!isRead)
        {
            isRead = true;
        }
        return timeMs;
    }

    private long wake()
    {
        final long nowMs = System.currentTimeMillis();
        timeMs = nowMs;
        isRead = true;
        isDozing = false;
        LockSupport.unpark(ticker);
        return nowMs;
    }

    /**
     * @return true while the ticker dozes, for tests.
     */
    boolean isDozing()
    {
        return isDozing;
    }

    /**
     * @return true until the ticker thread has ended after {@link #close()}, for tests.
     */
    boolean isTickerAlive()
    {
        return ticker.isAlive();
    }

    private void tick()
    {
        int idleTicks = 0;
        while (!isClosed)
        {
            if (isDozing)
            {
                LockSupport.parkNanos(this, DOZE_NS);
                continue;
            }
            timeMs = System.currentTimeMillis();
            if (isRead)
            {
                isRead = false;
                idleTicks = 0;
            }
            else if (++idleTicks >= IDLE_TICKS_BEFORE_DOZING)
            {
                idleTicks = 0;
                isDozing = true;
                continue;
            }
            LockSupport.parkNanos(this, TICK_NS);
        }
    }

    @Override
    public void close()
    {
        isClosed = true;
        LockSupport.unpark(ticker);
    }
}
