package io.jmirror.shipper;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongSupplier;

/**
 * Whether the primary's commits wait for the backup, and up to where the backup has acknowledged. The gate closes
 * (commits wait for the backup's acks) when the backup becomes ACTIVE, and stays closed, however the backup's link
 * fares, until the backup is ACTIVE again or the {@link BackupRelease} lets go of it. So a backup that goes silent
 * holds commits back until the arbiter has agreed, instead of dropping out of the commit path by itself.
 * <p>
 * Written by the primary's session and listener threads, read by every committing thread: the fields are volatile
 * and the answers monotonic enough that a stale read only makes a committer wait a little longer.
 * <p>
 * While the gate is open the primary acknowledges commits on its own durability alone. When it closes, it records
 * the primary's durable journal LSN ({@link #closedAtLsn()}): every commit acknowledged without the backup lies below
 * it. The primary tells the arbiter its backup is ACTIVE ({@link #activeReportLsn}) only once the backup has
 * acknowledged durable up to there, so a takeover by that backup keeps every acknowledged commit.
 * <p>
 * Public so that the deterministic simulation drives this same gate; an embedder has no use for it.
 */
public final class BackupGate
{
    private static final Logger LOG = LoggerFactory.getLogger(BackupGate.class);

    private volatile boolean isGating;
    private volatile long ackedDurableLsn;
    private volatile String backupName;
    private volatile boolean isWaitingForRelease;
    private volatile long closedAtLsn;

    /**
     * The backup's session became ACTIVE: from now on commits wait for its acks.
     *
     * @param name               the backup's member name.
     * @param durableLsn         how far the backup has acknowledged its journal durable.
     * @param primaryDurableLsn  the primary's durable journal LSN, read when the gate closes. It is read here, after
     *                           the gate is seen closed, because a committer reads the durable LSN before the gate:
     *                           one that still saw the gate open read a durable LSN no higher than this one, so what
     *                           it acknowledged alone lies below {@link #closedAtLsn()}.
     */
    public synchronized void onActive(final String name, final long durableLsn, final LongSupplier primaryDurableLsn)
    {
        final boolean isClosing = !isGating || !name.equals(backupName);
        final long known = name.equals(backupName) ? ackedDurableLsn : 0;
        backupName = name;
        ackedDurableLsn = Math.max(known, durableLsn);
        isGating = true;
        isWaitingForRelease = false;
        if (isClosing)
        {
            // A gate that stayed closed (the backup was TROUBLE and recovered unreleased) keeps its LSN: nothing was
            // acknowledged without the backup since.
            closedAtLsn = primaryDurableLsn.getAsLong();
            LOG.info("commits wait for the backup: backup={} ackedDurableLsn={} closedAtLsn={}", name,
                ackedDurableLsn, closedAtLsn);
        }
    }

    /**
     * The backup acknowledged up to {@code durableLsn}.
     */
    public void onAck(final String name, final long durableLsn)
    {
        if (name.equals(backupName) && durableLsn > ackedDurableLsn)
        {
            ackedDurableLsn = durableLsn;
        }
    }

    /**
     * The backup is not ACTIVE (TROUBLE, catching up again, or no link): ask whether commits may go on without it.
     *
     * @return true when this call let go of the backup.
     */
    public synchronized boolean onNotActive(final BackupRelease release, final long epoch)
    {
        if (!isGating)
        {
            return false;
        }
        if (!isWaitingForRelease)
        {
            isWaitingForRelease = true;
            LOG.warn("backup not ACTIVE, commits wait until it is released: backup={} ackedDurableLsn={}",
                backupName, ackedDurableLsn);
        }
        if (release.mayRelease(backupName, epoch))
        {
            isGating = false;
            isWaitingForRelease = false;
            LOG.warn("backup released, commits go on without it: backup={} ackedDurableLsn={} epoch={}", backupName,
                ackedDurableLsn, epoch);
            return true;
        }
        return false;
    }

    /**
     * What the primary may tell the arbiter of this backup. Synchronized with {@link #onNotActive}, so a release
     * either happened before this answer (and it says -1, or the gate closed again since at a higher
     * {@link #closedAtLsn()}) or asks the {@link BackupRelease} after it.
     *
     * @param name the backup's member name.
     * @return the backup's acknowledged durable LSN when commits wait for it and it has acknowledged durable every
     * commit the primary may have acknowledged without it (up to {@link #closedAtLsn()}); else -1.
     */
    public synchronized long activeReportLsn(final String name)
    {
        return isGating && !isWaitingForRelease && name.equals(backupName) && ackedDurableLsn >= closedAtLsn ?
            ackedDurableLsn : -1;
    }

    /**
     * @return the primary's durable journal LSN when the gate last closed: commits acknowledged without the backup
     * lie below it.
     */
    public long closedAtLsn()
    {
        return closedAtLsn;
    }

    /**
     * @return true while commits wait for the backup's acks.
     */
    public boolean isGating()
    {
        return isGating;
    }

    /**
     * @return true while the backup is gating but not ACTIVE: commits wait for it or for its release.
     */
    public boolean isWaitingForRelease()
    {
        return isWaitingForRelease;
    }

    /**
     * @return how far the gating backup has acknowledged.
     */
    public long ackedDurableLsn()
    {
        return ackedDurableLsn;
    }

    /**
     * @return the gating backup's name, or null.
     */
    public String backupName()
    {
        return backupName;
    }
}
