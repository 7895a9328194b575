package io.jmirror.shipper;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the primary's commits wait for the backup, and up to where the backup has acknowledged. The gate closes
 * (commits wait for the backup's acks) when the backup becomes ACTIVE, and stays closed, however the backup's link
 * fares, until the backup is ACTIVE again or the {@link BackupRelease} lets go of it. So a backup that goes silent
 * holds commits back until the arbiter has agreed, instead of dropping out of the commit path by itself.
 * <p>
 * Written by the primary's session and listener threads, read by every committing thread: the fields are volatile
 * and the answers monotonic enough that a stale read only makes a committer wait a little longer.
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

    /**
     * The backup's session became ACTIVE: from now on commits wait for its acks.
     */
    public synchronized void onActive(final String name, final long durableLsn)
    {
        if (!isGating || !name.equals(backupName))
        {
            LOG.info("commits wait for the backup: backup={} ackedDurableLsn={}", name, durableLsn);
        }
        final long known = name.equals(backupName) ? ackedDurableLsn : 0;
        backupName = name;
        ackedDurableLsn = Math.max(known, durableLsn);
        isGating = true;
        isWaitingForRelease = false;
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
