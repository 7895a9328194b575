package io.jmirror.journal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

class TickingEpochClockTest
{
    private static final long AWAIT_NS = TimeUnit.SECONDS.toNanos(10);

    @Test
    void dozesWhenUnreadAndTheFirstReadAfterIsCurrent() throws InterruptedException
    {
        try (TickingEpochClock clock = new TickingEpochClock())
        {
            assertTrue(await(clock::isDozing), "an unread clock dozes");
            Thread.sleep(50);

            // Read straight from the system clock: a cached time from before the doze would be older than this.
            final long beforeMs = System.currentTimeMillis();
            final long timeMs = clock.time();
            assertTrue(timeMs >= beforeMs, "time after a doze: " + timeMs + " < " + beforeMs);
            assertFalse(clock.isDozing(), "a read wakes the clock");

            // Awake and read, it ticks: the time keeps up, within a tick plus scheduling delay.
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            while (System.nanoTime() - deadlineNs < 0)
            {
                final long readMs = clock.time();
                assertTrue(readMs >= beforeMs, "time went back before the wake-up: " + readMs);
                Thread.sleep(1);
            }
            final long afterMs = System.currentTimeMillis();
            assertTrue(await(() -> clock.time() >= afterMs), "the ticking clock reaches the system clock");
            assertFalse(clock.isDozing(), "a clock read every millisecond does not doze");
        }
    }

    @Test
    void closeEndsTheTickerAwakeOrDozing() throws InterruptedException
    {
        final TickingEpochClock awake = new TickingEpochClock();
        awake.time();
        awake.close();
        assertTrue(await(() -> !awake.isTickerAlive()), "awake ticker ended");

        final TickingEpochClock dozing = new TickingEpochClock();
        assertTrue(await(dozing::isDozing));
        dozing.close();
        assertTrue(await(() -> !dozing.isTickerAlive()), "dozing ticker ended");
    }

    private static boolean await(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + AWAIT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }
}
