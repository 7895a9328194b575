package io.jmirror.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.RecordType;
import io.jmirror.shipper.CompressionMode;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Synchronous commit latency: one op journals a small SET and its TCOMMIT on a primary and waits in
 * {@code Primary.awaitCommitted} until the ACTIVE backup has acked the commit durable over loopback. JMH samples
 * every op's time, so the report's percentiles (p50, p99, p99.9) are what an application thread waits per commit.
 * <p>
 * Why it is built this way:
 * <ul>
 *   <li>Ops are paced to {@code ratePerSecond}, a moderate load that leaves the link far from saturated (a commit
 *   ships 168 bytes), because that is where commit latency matters and where it is honest: back to back, the
 *   session and receiver threads never go idle, so the figure would hide the cost of waking them. The wait for the
 *   next slot runs in an invocation-level setup, outside the timed op. An op that overruns its slot moves the
 *   schedule on instead of queueing a burst, so this is service time, not time from an intended start.</li>
 *   <li>Both sides use sync policy NONE, so durable means written to the page cache: the figure is the shipper's
 *   round trip (session wake-up, batch, socket, receiver write, ack), not a disk's fsync.</li>
 *   <li>No compression: a commit's batch is a few hundred bytes, where a codec only adds time.</li>
 *   <li>A backup that left ACTIVE during an iteration fails the run: commits would no longer wait for it and the
 *   figure would be a local one.</li>
 * </ul>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Threads(1)
public class CommitLatencyBenchmark
{
    /** Value length of the SET each op commits: a small field update. */
    static final int VALUE_SIZE = 64;

    /** Left for the waiting thread to yield through rather than park, since a park can overshoot by ~50 µs. */
    private static final long SPIN_NS = TimeUnit.MICROSECONDS.toNanos(100);

    /**
     * A primary and its ACTIVE backup, the record committed, and the pacing schedule.
     */
    @State(Scope.Benchmark)
    public static class Mirror
    {
        /**
         * Commits started per second; 0 starts each as soon as the previous one is committed. Two moderate rates,
         * because the figure depends on how long the session and receiver threads sit idle between commits: at
         * 10,000/s for tens of microseconds, at 1,000/s for most of a millisecond, long enough to back off to their
         * longest parks (1 ms with the default idle strategy), so each hop of the round trip waits for a wake-up.
         */
        @Param({"1000", "10000"})
        public int ratePerSecond;

        ShippingBenchmark.LoopbackMirror link;
        JournalAppender appender;
        BenchRecord record;
        UnsafeBuffer key;
        UnsafeBuffer value;
        long periodNs;
        long nextStartNs;

        /**
         * Starts the mirror and waits until the backup is ACTIVE.
         */
        @Setup(Level.Trial)
        public void start()
        {
            if (ratePerSecond < 0)
            {
                throw new IllegalArgumentException("ratePerSecond must be >= 0: ratePerSecond=" + ratePerSecond);
            }
            periodNs = 0 == ratePerSecond ? 0 : TimeUnit.SECONDS.toNanos(1) / ratePerSecond;
            record = new BenchRecord(VALUE_SIZE);
            key = new UnsafeBuffer(record.key());
            value = new UnsafeBuffer(record.value());
            link = ShippingBenchmark.LoopbackMirror.start(CompressionMode.none(), "jmirror-bench-commit");
            appender = link.journal().newAppender();
            nextStartNs = System.nanoTime();
        }

        /**
         * Waits for the op's slot; not timed.
         */
        @Setup(Level.Invocation)
        public void pace()
        {
            if (0 == periodNs)
            {
                return;
            }
            final long startNs = Math.max(nextStartNs, System.nanoTime());
            long remainingNs;
            while ((remainingNs = startNs - System.nanoTime()) > 0)
            {
                if (remainingNs > SPIN_NS)
                {
                    LockSupport.parkNanos(remainingNs - SPIN_NS);
                }
                else
                {
                    Thread.yield();
                }
            }
            nextStartNs = startNs + periodNs;
        }

        /**
         * Fails the run when the backup stopped gating commits during the iteration.
         */
        @TearDown(Level.Iteration)
        public void checkActive()
        {
            if (!link.isActive())
            {
                throw new IllegalStateException("backup left ACTIVE, commits stopped waiting for it: " +
                    link.describe());
            }
        }

        /**
         * Prints what the link did and closes everything.
         */
        @TearDown(Level.Trial)
        public void close()
        {
            if (null != link)
            {
                System.out.println();
                System.out.println(link.describe());
                link.close();
                link = null;
            }
        }
    }

    /**
     * Journal one SET and its TCOMMIT, and wait until the commit is committed: durable here and acked durable by the
     * backup.
     *
     * @param mirror the primary, its backup and the record.
     * @return the commit's LSN, so the work has a visible effect.
     */
    @Benchmark
    public long commit(final Mirror mirror)
    {
        final long transactionId = mirror.record.next();
        mirror.appender.append(RecordType.SET, transactionId, JournalAppendBenchmark.PATIENT,
            mirror.key, 0, BenchRecord.KEY_LENGTH, mirror.value, 0, VALUE_SIZE);
        final long lsn = mirror.appender.tcommit(transactionId);
        mirror.link.primary().awaitCommitted(lsn);
        return lsn;
    }
}
