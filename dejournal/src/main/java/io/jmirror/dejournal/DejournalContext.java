package io.jmirror.dejournal;

import com.lmax.disruptor.WaitStrategy;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import org.agrona.BitUtil;
import org.agrona.concurrent.IdleStrategy;

import java.util.function.Supplier;

/**
 * Configuration of a {@link Dejournaler}: fluent setters, then {@link #conclude()} checks every value and fails
 * with a message naming the bad setting.
 */
public final class DejournalContext
{
    /** At most this many workers. */
    public static final int MAX_WORKERS = 16;
    /** Default slots per worker ring. */
    public static final int RING_SIZE_DEFAULT = 16 * 1024;
    /** Default records read from the journal per dispatcher duty cycle. */
    public static final int DISPATCH_BATCH_DEFAULT = 256;
    /** Default time between checkpoints. */
    public static final long CHECKPOINT_INTERVAL_MS_DEFAULT = 1000;
    /** By default every frame's CRC is checked again as it is read: see {@link #verifyChecksums(boolean)}. */
    public static final boolean VERIFY_CHECKSUMS_DEFAULT = true;
    /** Default most transaction markers held while they wait for their records: see {@link #maxPendingMarkers}. */
    public static final int MAX_PENDING_MARKERS_DEFAULT = 64 * 1024;
    /** By default readers see records as they are applied, also part of a transaction: as on an IRIS member. */
    public static final boolean ISOLATED_READERS_DEFAULT = false;

    private Journal journal;
    private Target target;
    private int workers = Math.min(Runtime.getRuntime().availableProcessors(), MAX_WORKERS);
    private int ringSize = RING_SIZE_DEFAULT;
    private int dispatchBatch = DISPATCH_BATCH_DEFAULT;
    private long checkpointIntervalMs = CHECKPOINT_INTERVAL_MS_DEFAULT;
    private boolean verifyChecksums = VERIFY_CHECKSUMS_DEFAULT;
    private Supplier<WaitStrategy> waitStrategySupplier = ParkingWaitStrategy::new;
    private long endLsn = Long.MAX_VALUE;
    private int maxPendingMarkers = MAX_PENDING_MARKERS_DEFAULT;
    private boolean isolatedReaders = ISOLATED_READERS_DEFAULT;
    private Supplier<IdleStrategy> idleStrategySupplier = JournalContext::defaultIdleStrategy;

    /**
     * @return this, checked.
     * @throws DejournalException INVALID_CONFIG naming the setting.
     */
    public DejournalContext conclude()
    {
        if (null == journal || null == target)
        {
            throw invalid("journal and target must be set");
        }
        checkSettings(workers, ringSize, dispatchBatch, checkpointIntervalMs);
        if (maxPendingMarkers < 1)
        {
            throw invalid("maxPendingMarkers must be positive: maxPendingMarkers=" + maxPendingMarkers);
        }
        if (isolatedReaders && null == target.unwrap(RocksDbTarget.class))
        {
            throw invalid("isolatedReaders needs a RocksDbTarget: target=" + target.getClass().getName());
        }
        return this;
    }

    /**
     * Beyond IRIS, whose readers can see half of a transaction: with this set, a {@link RocksDbReadView} (from
     * {@link RocksDbTarget#readView()}) never shows part of a transaction. Records still apply in journal order as
     * they come, on parallel workers; each record of a transaction first records the before-image of the node it
     * changes (see {@link OpenTransactionOverlay}), and the view shows those until the transaction's TCOMMIT or
     * TROLLBACK has reached the target. The target's own reads ({@link RocksDbTarget#get} and the rest) are not
     * isolated. Also, no checkpoint passes the TSTART of a transaction still open, so a restart replays the whole
     * transaction and hides it again (the journal is kept from there). Only a {@link RocksDbTarget} supports it, or a
     * target that wraps one ({@link Target#unwrap}) and passes every transaction marker on to it.
     * What it costs the apply rate is measured by {@code StoreApplyBenchmark.transactions}.
     *
     * @param isolatedReaders true to hide open transactions from read views; default
     *                        {@link #ISOLATED_READERS_DEFAULT}.
     * @return this.
     */
    public DejournalContext isolatedReaders(final boolean isolatedReaders)
    {
        this.isolatedReaders = isolatedReaders;
        return this;
    }

    /**
     * @return whether read views hide open transactions.
     */
    public boolean isolatedReaders()
    {
        return isolatedReaders;
    }

    /**
     * @param maxPendingMarkers the most transaction markers held in memory while they wait for the records before
     *                          them (a paused database holds them all back); markers beyond it are found again by
     *                          reading the journal, so memory stays bounded however long a pause lasts.
     * @return this.
     */
    public DejournalContext maxPendingMarkers(final int maxPendingMarkers)
    {
        this.maxPendingMarkers = maxPendingMarkers;
        return this;
    }

    /**
     * @return the most transaction markers held in memory.
     */
    public int maxPendingMarkers()
    {
        return maxPendingMarkers;
    }

    /**
     * Check the apply settings alone, for a context (a member's) that builds its dejournaler later: it must fail
     * when it is concluded, not leave a member that receives but never applies.
     *
     * @throws DejournalException INVALID_CONFIG naming the setting.
     */
    public static void checkSettings(
        final int workers, final int ringSize, final int dispatchBatch, final long checkpointIntervalMs)
    {
        if (workers < 1 || workers > MAX_WORKERS)
        {
            throw invalid("workers must be in [1, " + MAX_WORKERS + "]: workers=" + workers);
        }
        if (!BitUtil.isPowerOfTwo(ringSize) || ringSize < 64)
        {
            throw invalid("ringSize must be a power of two >= 64: ringSize=" + ringSize);
        }
        if (ringSize < dispatchBatch)
        {
            throw invalid("ringSize must hold a dispatch batch: ringSize=" + ringSize + " dispatchBatch=" +
                dispatchBatch);
        }
        if (dispatchBatch < 1 || dispatchBatch > ringSize)
        {
            throw invalid("dispatchBatch must be in [1, ringSize]: dispatchBatch=" + dispatchBatch);
        }
        if (checkpointIntervalMs <= 0)
        {
            throw invalid("checkpointIntervalMs must be positive: checkpointIntervalMs=" + checkpointIntervalMs);
        }
    }

    private static DejournalException invalid(final String message)
    {
        return new DejournalException(DejournalException.Code.INVALID_CONFIG, message);
    }

    /**
     * @param journal the local journal to apply (a member's replica, or files restored from a backup).
     * @return this.
     */
    public DejournalContext journal(final Journal journal)
    {
        this.journal = journal;
        return this;
    }

    public Journal journal()
    {
        return journal;
    }

    /**
     * @param target where records are applied.
     * @return this.
     */
    public DejournalContext target(final Target target)
    {
        this.target = target;
        return this;
    }

    public Target target()
    {
        return target;
    }

    /**
     * @param workers 1..16 apply threads; default the number of processors, capped at 16.
     * @return this.
     */
    public DejournalContext workers(final int workers)
    {
        this.workers = workers;
        return this;
    }

    public int workers()
    {
        return workers;
    }

    /**
     * @param ringSize slots of each worker's ring (a power of two): how far one worker may fall behind the others
     *                 before the dispatcher waits for it.
     * @return this.
     */
    public DejournalContext ringSize(final int ringSize)
    {
        this.ringSize = ringSize;
        return this;
    }

    public int ringSize()
    {
        return ringSize;
    }

    /**
     * @param endLsn apply no record at or beyond this LSN: a restore to a point in time. The applied LSN then stops
     *               there. {@code Long.MAX_VALUE}, the default, follows the journal's end.
     * @return this.
     */
    public DejournalContext endLsn(final long endLsn)
    {
        this.endLsn = endLsn;
        return this;
    }

    public long endLsn()
    {
        return endLsn;
    }

    /**
     * @param dispatchBatch records read and published per dispatcher duty cycle.
     * @return this.
     */
    public DejournalContext dispatchBatch(final int dispatchBatch)
    {
        this.dispatchBatch = dispatchBatch;
        return this;
    }

    public int dispatchBatch()
    {
        return dispatchBatch;
    }

    /**
     * @param checkpointIntervalMs how often the applied LSN is passed to {@link Target#checkpoint(long)}.
     * @return this.
     */
    public DejournalContext checkpointIntervalMs(final long checkpointIntervalMs)
    {
        this.checkpointIntervalMs = checkpointIntervalMs;
        return this;
    }

    public long checkpointIntervalMs()
    {
        return checkpointIntervalMs;
    }

    /**
     * Whether the dispatcher checks each frame's CRC32C as it reads the journal. Lengths, types and the layout of
     * every frame are checked either way, so a damaged length or type still stops dejournaling with an error naming
     * file and LSN; what is skipped is the sum over the frame's bytes, the largest single cost of reading a frame
     * (about 30 ns of the dispatcher's 90 ns per record in {@code DejournalBenchmark.dispatchOnly}).
     * <p>
     * Default true, which is right for a journal of unknown history: files restored from a backup, copied by hand,
     * or read back from disk after a restart. False is justified where every frame was checked just before it was
     * written: a member's own journal filled by its receiver, which checks each batch's CRC32C on arrival and every
     * frame's CRC, length and layout (JournalReplicator) before it writes a byte, so the dejournaler would sum the
     * same bytes a second time, moments later, from the same memory. What that gives up is detection of damage to
     * the file after the write (a disk or memory fault between receiving a record and applying it).
     *
     * @param verifyChecksums false to skip the per-frame CRC check on the dejournal path.
     * @return this.
     */
    public DejournalContext verifyChecksums(final boolean verifyChecksums)
    {
        this.verifyChecksums = verifyChecksums;
        return this;
    }

    public boolean verifyChecksums()
    {
        return verifyChecksums;
    }

    /**
     * @param waitStrategySupplier how idle workers wait; default {@link ParkingWaitStrategy} (spin, then sleeps
     *                             that grow to 1 ms, no yields: a yield phase cost the dispatcher its CPU on 2
     *                             cores). A busy-spin strategy collapses with more workers than cores.
     * @return this.
     */
    public DejournalContext waitStrategySupplier(final Supplier<WaitStrategy> waitStrategySupplier)
    {
        this.waitStrategySupplier = waitStrategySupplier;
        return this;
    }

    public Supplier<WaitStrategy> waitStrategySupplier()
    {
        return waitStrategySupplier;
    }

    /**
     * @param idleStrategySupplier how the dispatcher idles when the journal has nothing new.
     * @return this.
     */
    public DejournalContext idleStrategySupplier(final Supplier<IdleStrategy> idleStrategySupplier)
    {
        this.idleStrategySupplier = idleStrategySupplier;
        return this;
    }

    public Supplier<IdleStrategy> idleStrategySupplier()
    {
        return idleStrategySupplier;
    }
}
