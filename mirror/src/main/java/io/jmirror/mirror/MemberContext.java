package io.jmirror.mirror;

import io.jmirror.dejournal.DejournalContext;
import io.jmirror.dejournal.DejournalException;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.Target;
import io.jmirror.shipper.ReceiverContext;

/**
 * Configuration of a {@link Member}: how it receives the journal and how it applies it.
 */
public final class MemberContext
{
    /**
     * By default a member's dejournaler does not check frame CRCs again: its receiver checked every frame before
     * writing it (see {@link #verifyChecksums(boolean)}).
     */
    public static final boolean VERIFY_CHECKSUMS_DEFAULT = false;

    /** How often a member purges its journal: applied, checkpointed files outside the journal's retention. */
    public static final long PURGE_INTERVAL_MS_DEFAULT = 10_000;

    private ReceiverContext receiverContext;
    private Target target;
    private boolean isolatedReaders = DejournalContext.ISOLATED_READERS_DEFAULT;
    private int workers = Math.min(Runtime.getRuntime().availableProcessors(), DejournalContext.MAX_WORKERS);
    private int ringSize = DejournalContext.RING_SIZE_DEFAULT;
    private long checkpointIntervalMs = DejournalContext.CHECKPOINT_INTERVAL_MS_DEFAULT;
    private boolean verifyChecksums = VERIFY_CHECKSUMS_DEFAULT;
    private long purgeIntervalMs = PURGE_INTERVAL_MS_DEFAULT;

    /**
     * @return this, checked.
     */
    public MemberContext conclude()
    {
        if (null == receiverContext || null == target)
        {
            throw new DejournalException(DejournalException.Code.INVALID_CONFIG,
                "receiverContext and target must be set");
        }
        // Checked now: a bad setting found when the journal appears would leave a member that receives (and, as a
        // backup, acknowledges) but never applies.
        DejournalContext.checkSettings(workers, ringSize, DejournalContext.DISPATCH_BATCH_DEFAULT,
            checkpointIntervalMs);
        if (isolatedReaders && null == target.unwrap(RocksDbTarget.class))
        {
            throw new DejournalException(DejournalException.Code.INVALID_CONFIG,
                "isolatedReaders needs a RocksDbTarget: target=" + target.getClass().getName());
        }
        if (purgeIntervalMs < 0)
        {
            throw new DejournalException(DejournalException.Code.INVALID_CONFIG,
                "purgeIntervalMs must be >= 0: purgeIntervalMs=" + purgeIntervalMs);
        }
        return this;
    }

    /**
     * @param isolatedReaders true so that read views of the member's store ({@link RocksDbTarget#readView()}) never
     *                        show part of a transaction; see {@link DejournalContext#isolatedReaders(boolean)}.
     *                        Needs a {@link RocksDbTarget}.
     * @return this.
     */
    public MemberContext isolatedReaders(final boolean isolatedReaders)
    {
        this.isolatedReaders = isolatedReaders;
        return this;
    }

    /**
     * @return whether read views of the member's store hide open transactions.
     */
    public boolean isolatedReaders()
    {
        return isolatedReaders;
    }

    /**
     * @param receiverContext how to reach the primary and where the member's journal lives.
     * @return this.
     */
    public MemberContext receiverContext(final ReceiverContext receiverContext)
    {
        this.receiverContext = receiverContext;
        return this;
    }

    public ReceiverContext receiverContext()
    {
        return receiverContext;
    }

    /**
     * @param target where the member applies records.
     * @return this.
     */
    public MemberContext target(final Target target)
    {
        this.target = target;
        return this;
    }

    public Target target()
    {
        return target;
    }

    /**
     * @param workers dejournal workers, 1..16.
     * @return this.
     */
    public MemberContext workers(final int workers)
    {
        this.workers = workers;
        return this;
    }

    public int workers()
    {
        return workers;
    }

    /**
     * @param ringSize slots per worker ring.
     * @return this.
     */
    public MemberContext ringSize(final int ringSize)
    {
        this.ringSize = ringSize;
        return this;
    }

    public int ringSize()
    {
        return ringSize;
    }

    /**
     * @param purgeIntervalMs how often the member removes journal files it has applied and checkpointed, within the
     *                        retention of its journal context ({@code retainMs}, {@code retainMinFiles}); 0 never.
     * @return this.
     */
    public MemberContext purgeIntervalMs(final long purgeIntervalMs)
    {
        this.purgeIntervalMs = purgeIntervalMs;
        return this;
    }

    public long purgeIntervalMs()
    {
        return purgeIntervalMs;
    }

    /**
     * @param checkpointIntervalMs how often the applied LSN is checkpointed to the target.
     * @return this.
     */
    public MemberContext checkpointIntervalMs(final long checkpointIntervalMs)
    {
        this.checkpointIntervalMs = checkpointIntervalMs;
        return this;
    }

    public long checkpointIntervalMs()
    {
        return checkpointIntervalMs;
    }

    /**
     * Whether the member's dejournaler checks each frame's CRC32C again as it applies the journal
     * ({@link DejournalContext#verifyChecksums(boolean)}). Default false: every frame of a member's journal was
     * checked (CRC, length, layout) by its receiver just before it was written, and after a restart journal recovery
     * checks the newest files again. Set true to also catch damage done to older journal files at rest, at the cost
     * of summing every frame twice.
     *
     * @param verifyChecksums true to check every frame's CRC on the dejournal path too.
     * @return this.
     */
    public MemberContext verifyChecksums(final boolean verifyChecksums)
    {
        this.verifyChecksums = verifyChecksums;
        return this;
    }

    public boolean verifyChecksums()
    {
        return verifyChecksums;
    }
}
