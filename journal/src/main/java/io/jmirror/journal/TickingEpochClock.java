package io.jmirror.journal;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.EpochClock;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Record timestamps at the cost of a memory read. Reading the system clock costs about 35 ns on these virtual
 * machines, a third of an append's budget, so a daemon thread refreshes a cached millisecond clock every
 * millisecond instead; timestamps are at most about a millisecond (plus scheduling delay) behind.
 */
final class TickingEpochClock implements EpochClock, AutoCloseable
{
    private final CachedEpochClock cached = new CachedEpochClock();
    private final ScheduledExecutorService ticker;

    TickingEpochClock()
    {
        cached.update(System.currentTimeMillis());
        ticker = Executors.newSingleThreadScheduledExecutor((runnable) ->
        {
            final Thread thread = new Thread(runnable, "jmirror-journal-clock");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleAtFixedRate(() -> cached.update(System.currentTimeMillis()), 1, 1, TimeUnit.MILLISECONDS);
    }

    @Override
    public long time()
    {
        return cached.time();
    }

    @Override
    public void close()
    {
        ticker.shutdownNow();
    }
}
