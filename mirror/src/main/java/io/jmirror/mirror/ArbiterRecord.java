package io.jmirror.mirror;

/**
 * What the arbiter knows of one mirror, persisted before any answer that depends on it.
 *
 * @param mirrorName   the mirror.
 * @param epoch        the current epoch; only grows.
 * @param primary      the primary of the epoch.
 * @param backup       the failover partner, or null before one has registered.
 * @param backupActive the backup had every acknowledged record when last reported, and the primary has not been
 *                     granted to stop waiting for it: a takeover is safe only while this holds.
 * @param noFailover   the operator's flag: no takeover while set.
 * @param handedOver   the primary handed over (planned switch or clean shutdown): the backup may take over without
 *                     waiting for the QoS timeout.
 * @param revoked      the primary was granted to stop waiting for the backup in this epoch: the backup cannot be
 *                     ACTIVE again, nor take over, until the next epoch (a late "ACTIVE" report must not undo it).
 */
public record ArbiterRecord(
    String mirrorName,
    long epoch,
    String primary,
    String backup,
    boolean backupActive,
    boolean noFailover,
    boolean handedOver,
    boolean revoked)
{
    /**
     * @return a copy with the backup's ACTIVE state changed.
     */
    public ArbiterRecord withBackupActive(final boolean active)
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, active, noFailover, handedOver, revoked);
    }

    /**
     * @return a copy in which the backup is revoked for the rest of the epoch.
     */
    public ArbiterRecord withRevoked()
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, false, noFailover, handedOver, true);
    }

    /**
     * @return a copy with a backup.
     */
    public ArbiterRecord withBackup(final String newBackup)
    {
        return new ArbiterRecord(mirrorName, epoch, primary, newBackup, backupActive, noFailover, handedOver, revoked);
    }

    /**
     * @return a copy with the no-failover flag.
     */
    public ArbiterRecord withNoFailover(final boolean flag)
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, backupActive, flag, handedOver, revoked);
    }

    /**
     * @return a copy saying the primary handed over.
     */
    public ArbiterRecord withHandedOver()
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, backupActive, noFailover, true, revoked);
    }

    /**
     * @return the record of the next epoch, in which the backup is primary and the old primary its backup-to-be,
     * not ACTIVE until it has rejoined and caught up.
     */
    public ArbiterRecord takenOver()
    {
        return new ArbiterRecord(mirrorName, epoch + 1, backup, primary, false, noFailover, false, false);
    }
}
