package io.jmirror.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SleepingWaitStrategy;
import io.jmirror.dejournal.DejournalContext;
import io.jmirror.journal.JournalContext;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import org.agrona.BufferUtil;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Ceilings: what this machine can do at all, measured in the same run as jmirror's figures so that a
 * figure reads as "x% of what the hardware allows" rather than as a bare number that changes with
 * the machine.
 * <p>
 * Each ceiling is one {@code @Benchmark} method with its own {@code @State} class, so that later
 * ceilings (compression, an empty Disruptor hand-off) can be added beside it without touching it.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED" })
public class CeilingBenchmark
{
    /** Bytes copied by one {@link #memoryCopy} op; the runner's bytes/s ratios multiply by it. */
    public static final int MEMORY_COPY_BYTES = 1024 * 1024;

    /**
     * Raw journal bytes compressed by one {@link #lz4Compress} or {@link #zstdCompress} op (a multiple of 8, so
     * {@link JournalSample} builds exactly this many); the runner's bytes/s ratios multiply by it.
     */
    public static final int COMPRESS_BYTES = 1024 * 1024;

    /** The Zstd level of {@link #zstdCompress}: the one system-selected compression ships to asyncs. */
    public static final int ZSTD_LEVEL = 1;

    /** Events published per {@link #disruptorNoop} op batch: the dejournal dispatcher's default batch. */
    public static final int DISRUPTOR_BATCH = DejournalContext.DISPATCH_BATCH_DEFAULT;

    /**
     * Two page-aligned direct buffers, larger than L2 on most machines so the copy goes to memory
     * the way appending to a mapped journal file does.
     */
    @State(Scope.Thread)
    public static class CopyBuffers
    {
        UnsafeBuffer source;
        UnsafeBuffer target;

        /**
         * Allocates once per trial: the allocation is not what is measured.
         */
        @Setup
        public void setup()
        {
            final ByteBuffer src = BufferUtil.allocateDirectAligned(MEMORY_COPY_BYTES, 4096);
            final ByteBuffer dst = BufferUtil.allocateDirectAligned(MEMORY_COPY_BYTES, 4096);
            source = new UnsafeBuffer(src);
            target = new UnsafeBuffer(dst);
            for (int i = 0; i < MEMORY_COPY_BYTES; i += Long.BYTES)
            {
                source.putLong(i, i * 31L);
            }
        }
    }

    /**
     * The memory-bandwidth ceiling: one op copies 1 MiB between two direct buffers, so ops/s × 1 MiB is
     * the copy bandwidth that any zero-copy append or read is bounded by.
     *
     * @param buffers the source and target.
     * @return the target, so the copy has a visible effect.
     */
    @Benchmark
    public UnsafeBuffer memoryCopy(final CopyBuffers buffers)
    {
        buffers.target.putBytes(0, buffers.source, 0, MEMORY_COPY_BYTES);
        return buffers.target;
    }

    /**
     * The LZ4 ceiling's buffers: 1 MiB of real journal frames and an output buffer of LZ4's worst case, both
     * direct, as a member session compresses a mapped journal slice into its reused buffer.
     */
    @State(Scope.Thread)
    public static class Lz4Buffers
    {
        ByteBuffer source;
        ByteBuffer target;
        LZ4Compressor compressor;
        private int compressedLength;

        /**
         * Builds the sample once per trial: building it is not what is measured.
         */
        @Setup
        public void setup()
        {
            source = JournalSample.build(COMPRESS_BYTES);
            compressor = LZ4Factory.nativeInstance().fastCompressor();
            target = ByteBuffer.allocateDirect(compressor.maxCompressedLength(source.remaining()));
            compressedLength = compressor.compress(source, 0, source.remaining(), target, 0, target.capacity());
        }

        /**
         * Prints the ratio beside the figure, since a fast codec that does not compress is no ceiling.
         */
        @TearDown
        public void tearDown()
        {
            printRatio("lz4", source.remaining(), compressedLength);
        }
    }

    /**
     * The Zstd ceiling's buffers and its context, made once so the op measures compression, not context setup.
     */
    @State(Scope.Thread)
    public static class ZstdBuffers
    {
        ByteBuffer source;
        ByteBuffer target;
        ZstdCompressCtx ctx;
        private int compressedLength;

        /**
         * Builds the sample and the level-{@value CeilingBenchmark#ZSTD_LEVEL} context once per trial.
         */
        @Setup
        public void setup()
        {
            source = JournalSample.build(COMPRESS_BYTES);
            target = ByteBuffer.allocateDirect((int)Zstd.compressBound(source.remaining()));
            ctx = new ZstdCompressCtx().setLevel(ZSTD_LEVEL);
            compressedLength = ctx.compressDirectByteBuffer(
                target, 0, target.capacity(), source, 0, source.remaining());
        }

        /**
         * Prints the ratio and frees the native context.
         */
        @TearDown
        public void tearDown()
        {
            printRatio("zstd level " + ZSTD_LEVEL, source.remaining(), compressedLength);
            ctx.close();
        }
    }

    /**
     * The LZ4 ceiling: one op compresses 1 MiB of journal with lz4-java's JNI fast compressor between direct
     * buffers, so ops/s × 1 MiB is the most an LZ4 member session can ship on one core.
     *
     * @param buffers the sample, the target and the compressor.
     * @return the compressed length, so the work has a visible effect.
     */
    @Benchmark
    public int lz4Compress(final Lz4Buffers buffers)
    {
        return buffers.compressor.compress(
            buffers.source, 0, buffers.source.remaining(), buffers.target, 0, buffers.target.capacity());
    }

    /**
     * The Zstd ceiling: one op compresses 1 MiB of journal at level {@value #ZSTD_LEVEL} with a reused
     * {@link ZstdCompressCtx} between direct buffers, so ops/s × 1 MiB is the most a Zstd member session can ship
     * on one core.
     *
     * @param buffers the sample, the target and the context.
     * @return the compressed length, so the work has a visible effect.
     */
    @Benchmark
    public int zstdCompress(final ZstdBuffers buffers)
    {
        return buffers.ctx.compressDirectByteBuffer(
            buffers.target, 0, buffers.target.capacity(), buffers.source, 0, buffers.source.remaining());
    }

    /**
     * One slot of the {@link #disruptorNoop} ring: a long, the least an event can carry.
     */
    public static final class LongEvent
    {
        long value;
    }

    /**
     * The dejournal's hand-off with nothing around it: one single-producer ring of the dejournaler's default size
     * and wait strategy ({@link SleepingWaitStrategy}), one {@link BatchEventProcessor} on its own thread whose
     * handler only reads the long, and the dispatcher's back-off idle strategy for waiting on a full ring.
     */
    @State(Scope.Thread)
    public static class DisruptorRing
    {
        RingBuffer<LongEvent> ring;
        IdleStrategy idle;
        private BatchEventProcessor<LongEvent> processor;
        private Thread consumer;

        /**
         * Builds the ring and starts the consumer once per trial.
         */
        @Setup
        public void setup()
        {
            ring = RingBuffer.createSingleProducer(LongEvent::new, DejournalContext.RING_SIZE_DEFAULT,
                new SleepingWaitStrategy());
            processor = new BatchEventProcessorBuilder().build(ring, ring.newBarrier(), new NoopHandler());
            ring.addGatingSequences(processor.getSequence());
            idle = JournalContext.defaultIdleStrategy();
            consumer = new Thread(processor, "jmirror-bench-disruptor-consumer");
            consumer.setDaemon(true);
            consumer.start();
        }

        /**
         * Stops the consumer.
         *
         * @throws InterruptedException if interrupted while joining it.
         */
        @TearDown
        public void tearDown() throws InterruptedException
        {
            processor.halt();
            consumer.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    /**
     * Reads each event's long into a field of its own, so the JIT cannot drop the read.
     */
    static final class NoopHandler implements EventHandler<LongEvent>
    {
        private long sum;

        @Override
        public void onEvent(final LongEvent event, final long sequence, final boolean endOfBatch)
        {
            sum += event.value;
        }
    }

    /**
     * The Disruptor hand-off ceiling, one op = one event: what the dejournal dispatcher's ring can pass to one
     * worker when neither side does any work. Like the dispatcher, an op batch waits (backing off) until the ring
     * has room for {@value #DISRUPTOR_BATCH} events, claims each with {@code next()}, fills it and publishes the
     * batch's range at once.
     *
     * @param state the ring, its consumer and the idle strategy.
     * @return the last sequence published, so the work has a visible effect.
     */
    @Benchmark
    @OperationsPerInvocation(DISRUPTOR_BATCH)
    public long disruptorNoop(final DisruptorRing state)
    {
        final RingBuffer<LongEvent> ring = state.ring;
        while (ring.remainingCapacity() < DISRUPTOR_BATCH)
        {
            state.idle.idle();
        }
        state.idle.reset();
        long low = -1;
        long high = -1;
        for (int i = 0; i < DISRUPTOR_BATCH; i++)
        {
            high = ring.next();
            ring.get(high).value = high;
            if (low < 0)
            {
                low = high;
            }
        }
        ring.publish(low, high);
        return high;
    }

    private static void printRatio(final String codec, final int rawLength, final int compressedLength)
    {
        System.out.printf("%n%s: rawLength=%d compressedLength=%d ratio=%.2f%n",
            codec, rawLength, compressedLength, (double)rawLength / compressedLength);
    }
}
