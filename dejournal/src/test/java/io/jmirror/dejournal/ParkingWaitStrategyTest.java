package io.jmirror.dejournal;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.RingBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The workers' default wait: sleeps that double up to a cap, a worker that still sees every event in order, an idle
 * worker that costs almost no CPU, and a halt that is noticed within one sleep.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ParkingWaitStrategyTest
{
    /**
     * A ring slot for these tests.
     */
    static final class LongEvent
    {
        long value;
    }

    @Test
    void sleepsDoubleUpToTheCap()
    {
        long parkNs = 50_000;
        final long[] expected = {100_000, 200_000, 400_000, 800_000, 1_000_000, 1_000_000};
        for (final long next : expected)
        {
            parkNs = ParkingWaitStrategy.nextParkNs(parkNs, 1_000_000);
            assertEquals(next, parkNs);
        }
        assertEquals(7, ParkingWaitStrategy.nextParkNs(7, 7));
        assertEquals(Long.MAX_VALUE, ParkingWaitStrategy.nextParkNs(Long.MAX_VALUE / 2 + 1, Long.MAX_VALUE));
    }

    @Test
    void badSettingsAreRejected()
    {
        assertThrows(IllegalArgumentException.class, () -> new ParkingWaitStrategy(-1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new ParkingWaitStrategy(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ParkingWaitStrategy(0, 2, 1));
        final ParkingWaitStrategy defaults = new ParkingWaitStrategy();
        assertEquals(ParkingWaitStrategy.SPINS_DEFAULT, defaults.spins());
        assertEquals(ParkingWaitStrategy.MIN_PARK_NS_DEFAULT, defaults.minParkNs());
        assertEquals(ParkingWaitStrategy.MAX_PARK_NS_DEFAULT, defaults.maxParkNs());
        assertTrue(new DejournalContext().waitStrategySupplier().get() instanceof ParkingWaitStrategy,
            "the dejournaler's default");
    }

    @Test
    void aSleepingConsumerSeesEveryEventInOrderAndHaltsWithinOneSleep() throws InterruptedException
    {
        final RingBuffer<LongEvent> ring = RingBuffer.createSingleProducer(LongEvent::new, 64,
            new ParkingWaitStrategy(10, 20_000, 2_000_000));
        final AtomicLong seen = new AtomicLong();
        final AtomicLong outOfOrder = new AtomicLong();
        final BatchEventProcessor<LongEvent> processor = new BatchEventProcessorBuilder().build(ring, ring.newBarrier(),
            (event, sequence, endOfBatch) ->
            {
                if (event.value != seen.get())
                {
                    outOfOrder.incrementAndGet();
                }
                seen.lazySet(event.value + 1);
            });
        ring.addGatingSequences(processor.getSequence());
        final Thread consumer = new Thread(processor, "parking-wait-test-consumer");
        consumer.start();
        try
        {
            final int events = 20_000;
            for (int i = 0; i < events; i++)
            {
                final long sequence = ring.next();
                ring.get(sequence).value = i;
                ring.publish(sequence);
                if (i % 5000 == 0)
                {
                    // Let the consumer fall asleep, so that later events must wake it.
                    Thread.sleep(20);
                }
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seen.get() < events && System.nanoTime() - deadline < 0)
            {
                Thread.sleep(1);
            }
            assertEquals(events, seen.get());
            assertEquals(0, outOfOrder.get());

            // Asleep at the 2 ms cap by now: the halt is noticed when that sleep ends.
            Thread.sleep(50);
            final long haltNs = System.nanoTime();
            processor.halt();
            consumer.join(TimeUnit.SECONDS.toMillis(5));
            assertFalse(consumer.isAlive());
            assertTrue(System.nanoTime() - haltNs < TimeUnit.MILLISECONDS.toNanos(500),
                "halted in " + (System.nanoTime() - haltNs) + " ns");
        }
        finally
        {
            processor.halt();
            consumer.join(TimeUnit.SECONDS.toMillis(5));
        }
    }

    @Test
    void anIdleConsumerCostsAlmostNoCpu() throws InterruptedException
    {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final RingBuffer<LongEvent> ring = RingBuffer.createSingleProducer(LongEvent::new, 64,
            new ParkingWaitStrategy());
        final BatchEventProcessor<LongEvent> processor = new BatchEventProcessorBuilder().build(ring, ring.newBarrier(),
            (event, sequence, endOfBatch) -> { });
        ring.addGatingSequences(processor.getSequence());
        final Thread consumer = new Thread(processor, "parking-wait-test-idle");
        consumer.start();
        try
        {
            Thread.sleep(50);
            final long cpuStartNs = threads.getThreadCpuTime(consumer.getId());
            final long wallStartNs = System.nanoTime();
            Thread.sleep(500);
            final long cpuNs = threads.getThreadCpuTime(consumer.getId()) - cpuStartNs;
            final long wallNs = System.nanoTime() - wallStartNs;
            // About 500 wake-ups of a few µs each at the 1 ms cap: well under 1%. A consumer that spun or yielded
            // would use most of the 500 ms.
            assertTrue(cpuNs < wallNs / 20, "idle consumer used cpuNs=" + cpuNs + " of wallNs=" + wallNs);
        }
        finally
        {
            processor.halt();
            consumer.join(TimeUnit.SECONDS.toMillis(5));
        }
    }
}
