package io.jmirror.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

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
}
