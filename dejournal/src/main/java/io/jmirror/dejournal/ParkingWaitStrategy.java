package io.jmirror.dejournal;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;

import java.util.concurrent.locks.LockSupport;

/**
 * How an idle dejournal worker waits for its ring, the default: a short spin, then sleeps that double from
 * {@code minParkNs} up to {@code maxParkNs}, and no yield phase.
 * <p>
 * Why not the Disruptor's {@link com.lmax.disruptor.SleepingWaitStrategy}: every time a worker catches up it spins
 * 100 times, then calls {@link Thread#yield()} 100 times before it sleeps. With a fast target a worker catches up
 * after every sleep, so it spent more than half its CPU time in {@code sched_yield} (async-profiler on a replay like
 * {@code DejournalBenchmark.dispatchOnly}'s: 57% of the workers' samples), and the two workers of a 2-core machine
 * together used 50 to 70 ns of CPU per record the dispatcher read, CPU the dispatcher could not have whenever the
 * scheduler put a worker on its core. Sleeping instead of yielding lets a worker wake about once per
 * {@code minParkNs} (plus the OS timer slack, about 50 µs on Linux) and apply everything that arrived meanwhile in one
 * batch: the two workers then use about 16 ns of CPU per record ({@code io.jmirror.bench.DispatchThreadCpu}).
 * <p>
 * The doubling keeps an idle member cheap: a worker with nothing to do wakes at most {@code 1 / maxParkNs} times a
 * second instead of tens of thousands of times. The cost is latency: a record can wait up to {@code maxParkNs} after
 * an idle period before its worker sees it, and the ring holds what arrives meanwhile (at the default 1 ms and 16,384
 * slots, up to 16 M records/s per worker arrive before the dispatcher has to wait). Nothing on the commit path waits
 * on it: the applied LSN is reported in acks and the status, and commits wait for received and durable LSNs.
 */
public final class ParkingWaitStrategy implements WaitStrategy
{
    /** Default busy spins before the first sleep: about a microsecond, for a record that is just being published. */
    public static final int SPINS_DEFAULT = 20;
    /** Default first sleep. */
    public static final long MIN_PARK_NS_DEFAULT = 200_000;
    /** Default longest sleep. */
    public static final long MAX_PARK_NS_DEFAULT = 1_000_000;

    private final int spins;
    private final long minParkNs;
    private final long maxParkNs;

    /**
     * With the defaults: {@value #SPINS_DEFAULT} spins, sleeps from {@value #MIN_PARK_NS_DEFAULT} ns to
     * {@value #MAX_PARK_NS_DEFAULT} ns.
     */
    public ParkingWaitStrategy()
    {
        this(SPINS_DEFAULT, MIN_PARK_NS_DEFAULT, MAX_PARK_NS_DEFAULT);
    }

    /**
     * @param spins     busy spins before the first sleep, 0 or more.
     * @param minParkNs the first sleep, positive.
     * @param maxParkNs the longest sleep, at least {@code minParkNs}.
     */
    public ParkingWaitStrategy(final int spins, final long minParkNs, final long maxParkNs)
    {
        if (spins < 0 || minParkNs <= 0 || maxParkNs < minParkNs)
        {
            throw new IllegalArgumentException("need spins >= 0 and 0 < minParkNs <= maxParkNs: spins=" + spins +
                " minParkNs=" + minParkNs + " maxParkNs=" + maxParkNs);
        }
        this.spins = spins;
        this.minParkNs = minParkNs;
        this.maxParkNs = maxParkNs;
    }

    @Override
    public long waitFor(
        final long sequence, final Sequence cursor, final Sequence dependentSequence, final SequenceBarrier barrier)
        throws AlertException
    {
        long available;
        int spinsLeft = spins;
        long parkNs = minParkNs;
        while ((available = dependentSequence.get()) < sequence)
        {
            barrier.checkAlert();
            if (spinsLeft > 0)
            {
                spinsLeft--;
                Thread.onSpinWait();
            }
            else
            {
                LockSupport.parkNanos(parkNs);
                parkNs = nextParkNs(parkNs, maxParkNs);
            }
        }
        return available;
    }

    /**
     * Nothing to signal: a waiting worker sleeps for a bounded time and looks again, so the dispatcher's publish
     * costs no system call.
     */
    @Override
    public void signalAllWhenBlocking()
    {
    }

    /**
     * @return the sleep after one of {@code parkNs}: double it, at most {@code maxParkNs}.
     */
    static long nextParkNs(final long parkNs, final long maxParkNs)
    {
        return parkNs >= maxParkNs / 2 ? maxParkNs : parkNs * 2;
    }

    public int spins()
    {
        return spins;
    }

    public long minParkNs()
    {
        return minParkNs;
    }

    public long maxParkNs()
    {
        return maxParkNs;
    }
}
