package io.jmirror.bench;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import io.jmirror.dejournal.DejournalContext;
import io.jmirror.journal.JournalContext;
import org.agrona.concurrent.IdleStrategy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Which ring layout the dejournal's fan-out should use, one op = one event handed to its worker: one ring per worker
 * (what the dejournaler does) against one shared ring read by every worker, each skipping the events not hashed to
 * it (the Disruptor's usual fan-out). Handlers do no work, so the figure is the layout's own cost.
 * <p>
 * The producer works like the dejournal dispatcher: it waits (backing off) until every ring has room for a batch of
 * {@value #BATCH}, claims each event with {@code next()} on its worker's ring, and publishes each ring's range once
 * per batch. Both layouts get the same total slots ({@value #SLOTS_PER_WORKER} per worker), so neither buffers more.
 * The results and what they decided are in {@code bench/results/dejournal-rings.md}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class RingLayoutBenchmark
{
    /** Events published per batch. */
    public static final int BATCH = 64;

    /** Ring slots per worker: the dejournaler's default ring size. */
    public static final int SLOTS_PER_WORKER = DejournalContext.RING_SIZE_DEFAULT;

    /**
     * How the events reach the workers.
     */
    public enum Layout
    {
        /** One ring per worker, each read by its worker only. */
        PER_WORKER,
        /** One ring read by every worker; each skips the events of the others. */
        SHARED
    }

    /**
     * How an idle worker waits.
     */
    public enum Wait
    {
        /** Spin, yield, then sleep briefly: the dejournaler's default. */
        SLEEPING,
        /** Spin, then yield forever. */
        YIELDING;

        WaitStrategy newStrategy()
        {
            return this == SLEEPING ? new SleepingWaitStrategy() : new YieldingWaitStrategy();
        }
    }

    /**
     * A slot: the value and the worker it is for (which only the shared layout's handlers read).
     */
    public static final class LayoutEvent
    {
        long value;
        int worker;
    }

    /**
     * The rings, their worker threads and the producer's bookkeeping.
     */
    @State(Scope.Thread)
    public static class Rings
    {
        @Param({"PER_WORKER", "SHARED"})
        public Layout layout;

        @Param({"2", "16"})
        public int workers;

        @Param({"SLEEPING", "YIELDING"})
        public Wait wait;

        RingBuffer<LayoutEvent>[] rings;
        long[] claimedLow;
        long[] claimedHigh;
        IdleStrategy idle;
        long counter;
        private BatchEventProcessor<LayoutEvent>[] processors;
        private Thread[] threads;

        /**
         * Builds the rings and starts one thread per worker.
         */
        @Setup
        @SuppressWarnings("unchecked")
        public void setup()
        {
            final int ringCount = layout == Layout.SHARED ? 1 : workers;
            final int ringSize = layout == Layout.SHARED ? SLOTS_PER_WORKER * workers : SLOTS_PER_WORKER;
            rings = new RingBuffer[ringCount];
            for (int r = 0; r < ringCount; r++)
            {
                rings[r] = RingBuffer.createSingleProducer(LayoutEvent::new, ringSize, wait.newStrategy());
            }
            processors = new BatchEventProcessor[workers];
            threads = new Thread[workers];
            for (int w = 0; w < workers; w++)
            {
                final RingBuffer<LayoutEvent> ring = rings[layout == Layout.SHARED ? 0 : w];
                final EventHandler<LayoutEvent> handler = layout == Layout.SHARED ?
                    new FilteringHandler(w) : new WorkerHandler();
                processors[w] = new BatchEventProcessorBuilder().build(ring, ring.newBarrier(), handler);
                ring.addGatingSequences(processors[w].getSequence());
            }
            for (int w = 0; w < workers; w++)
            {
                threads[w] = new Thread(processors[w], "jmirror-bench-ring-worker-" + w);
                threads[w].setDaemon(true);
                threads[w].start();
            }
            claimedLow = new long[ringCount];
            claimedHigh = new long[ringCount];
            Arrays.fill(claimedLow, -1);
            idle = JournalContext.defaultIdleStrategy();
        }

        /**
         * Stops the workers.
         *
         * @throws InterruptedException if interrupted while joining them.
         */
        @TearDown
        public void tearDown() throws InterruptedException
        {
            for (final BatchEventProcessor<LayoutEvent> processor : processors)
            {
                processor.halt();
            }
            for (final Thread thread : threads)
            {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
        }

        boolean hasRoomForBatch()
        {
            for (final RingBuffer<LayoutEvent> ring : rings)
            {
                if (ring.remainingCapacity() < BATCH)
                {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * A worker of the per-worker layout: every event on its ring is its own.
     */
    static final class WorkerHandler implements EventHandler<LayoutEvent>
    {
        private long sum;

        @Override
        public void onEvent(final LayoutEvent event, final long sequence, final boolean endOfBatch)
        {
            sum += event.value;
        }
    }

    /**
     * A worker of the shared layout: it sees every event and skips those hashed to another worker.
     */
    static final class FilteringHandler implements EventHandler<LayoutEvent>
    {
        private final int index;
        private long sum;

        FilteringHandler(final int index)
        {
            this.index = index;
        }

        @Override
        public void onEvent(final LayoutEvent event, final long sequence, final boolean endOfBatch)
        {
            if (event.worker == index)
            {
                sum += event.value;
            }
        }
    }

    /**
     * Hands one batch of {@value #BATCH} events to their workers, each event's worker a hash of a counter (as the
     * dispatcher hashes a record's global).
     *
     * @param state the rings and the producer's bookkeeping.
     * @return the last value published, so the work has a visible effect.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long handOff(final Rings state)
    {
        while (!state.hasRoomForBatch())
        {
            state.idle.idle();
        }
        state.idle.reset();
        final RingBuffer<LayoutEvent>[] rings = state.rings;
        final boolean isShared = state.layout == Layout.SHARED;
        final int workers = state.workers;
        long value = state.counter;
        for (int i = 0; i < BATCH; i++)
        {
            value++;
            final int worker = workerFor(value, workers);
            final int r = isShared ? 0 : worker;
            final long sequence = rings[r].next();
            final LayoutEvent event = rings[r].get(sequence);
            event.value = value;
            event.worker = worker;
            if (state.claimedLow[r] < 0)
            {
                state.claimedLow[r] = sequence;
            }
            state.claimedHigh[r] = sequence;
        }
        for (int r = 0; r < rings.length; r++)
        {
            if (state.claimedLow[r] >= 0)
            {
                rings[r].publish(state.claimedLow[r], state.claimedHigh[r]);
                state.claimedLow[r] = -1;
            }
        }
        state.counter = value;
        return value;
    }

    /**
     * The murmur3 finalizer, as the dispatcher ends its hash, so consecutive values spread over the workers.
     */
    static int workerFor(final long value, final int workers)
    {
        long hash = value;
        hash ^= hash >>> 33;
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        return (int)((hash & Long.MAX_VALUE) % workers);
    }
}
