package io.jmirror.shipper;

/**
 * Whether the primary may stop waiting for a backup that was ACTIVE and no longer is (it missed the QoS timeout, or
 * its link dropped). Failover rule 1: an acknowledged commit must survive a takeover, so the primary stops waiting
 * for an ACTIVE backup only once the arbiter has lost the backup too (and so can no longer grant it a takeover in
 * this epoch) or the backup itself agreed; until then commits wait. The failover layer answers by asking the arbiter
 * for REVOKE_BACKUP.
 * <p>
 * Called on the primary's listener thread every few milliseconds while the primary waits: it must not block (send
 * the request from another thread and answer true once it was granted).
 */
@FunctionalInterface
public interface BackupRelease
{
    /**
     * @param backupName the backup's member name.
     * @param epoch      the primary's epoch.
     * @return true once commits may go on without the backup.
     */
    boolean mayRelease(String backupName, long epoch);

    /**
     * Without an arbiter nothing can take over automatically, so dropping a silent backup loses nothing: commits go
     * on without it at once (the behaviour before failover existed).
     */
    BackupRelease AT_ONCE = (backupName, epoch) -> true;
}
