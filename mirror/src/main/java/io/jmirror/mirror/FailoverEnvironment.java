package io.jmirror.mirror;

import io.jmirror.journal.EpochStart;
import io.jmirror.shipper.BackupRelease;
import io.jmirror.shipper.MemberRole;

import java.nio.file.Path;
import java.util.List;

/**
 * The heavy work a {@link FailoverControl} decides about: the member's journal on disk, its store, the primary it
 * runs and the primary it follows. The control holds the decisions and none of the I/O, so the same control runs in
 * a {@link MirrorNode} (threads, sockets, files) and in the deterministic simulation (one thread, in memory).
 * <p>
 * Methods are called on the control's thread only. A method that fails throws; the control treats that as a failed
 * step and repeats it on a later beat.
 */
public interface FailoverEnvironment
{
    /**
     * @return the epochs the journal on disk holds ({@code EPOCH_START}s, oldest first); empty without a journal.
     */
    List<EpochStart> journalEpochHistory();

    /**
     * @return true when the member has a journal on disk.
     */
    boolean journalExists();

    /**
     * @return the end of the journal on disk (its tail LSN).
     */
    long journalEndLsn();

    /**
     * @return the LSN the store recovered to: every record below it is in the store.
     */
    long storeRecoveredLsn();

    /**
     * Open for writes in {@code epoch}: {@code EPOCH_START} if the journal is not in it yet, roll back what was left
     * open from before-images, bring the store up to the journal's end, start shipping. On failure nothing is left
     * open.
     *
     * @param epoch   the epoch granted.
     * @param release asked whether commits may go on without a backup that was ACTIVE (failover rule 1).
     * @return a short account for the log, e.g. {@code rolledBack=2}.
     */
    String openAsPrimary(long epoch, BackupRelease release);

    /**
     * Stop being primary: stop shipping, close the journal for writes. Safe without a primary.
     */
    void closePrimary();

    /**
     * @return the running primary's journal tail.
     */
    long primaryTailLsn();

    /**
     * What the primary may report to the arbiter of its backup: ACTIVE, with this LSN. Read under the commit gate's
     * lock, so it orders against the gate's release of the backup (see {@link FailoverControl}).
     *
     * @param memberName the backup.
     * @return the backup's durable LSN as it acknowledged it to the running primary, when its journal transfer is
     * ACTIVE, the primary's commits wait for it, and it has acknowledged durable everything the primary may have
     * acknowledged without it (the primary's durable LSN when the gate last closed); else -1.
     */
    long backupActiveLsn(String memberName);

    /**
     * @param memberName a member.
     * @return how far that member acknowledged its journal durable, as the running primary knows; -1 when unknown.
     */
    long memberDurableLsn(String memberName);

    /**
     * @return null while the running primary knows of no higher epoch, else what it learned (epoch and primary).
     */
    String primaryFencedBy();

    /**
     * Start receiving and applying {@code primaryName}'s journal.
     *
     * @param primaryName the primary.
     * @param role        the role this member takes in its sessions.
     * @param epoch       the epoch followed.
     */
    void follow(String primaryName, MemberRole role, long epoch);

    /**
     * Stop receiving and applying. Safe when not following.
     */
    void stopFollowing();

    /**
     * @return true while the link to the followed primary is streaming.
     */
    boolean isStreaming();

    /**
     * @return the end of what was received from the followed primary, 0 when nothing.
     */
    long receivedTailLsn();

    /**
     * @return every record below it is applied to the store while following, or, once following stopped, where the
     * stopped dejournaler's applies ended; -1 when unknown.
     */
    long appliedLsn();

    /**
     * @return null while receiving and applying works, else why it failed (the dejournaler stopped on a record, the
     * member could not be wired).
     */
    String followerFailure();

    /**
     * @return true when {@link #followerFailure()} is a wait that ends by itself: the member's journal lacks records
     * its store already holds (journal damage cut them), and it waits to receive them again before it applies. It
     * may not take over meanwhile either, but it has not failed. False by default.
     */
    default boolean isFollowerWaiting()
    {
        return false;
    }

    /**
     * Apply every record received, waiting for it.
     *
     * @return true when all is applied; false when it cannot be ({@link #followerFailure()} says why) or the member
     * is closing.
     */
    boolean applyAllReceived();

    /**
     * Cut the journal at {@code lsn}, keeping the bytes beyond it in a file beside the journal.
     *
     * @return the file that holds the bytes cut off, or null when there were none.
     */
    Path truncateJournal(long lsn);

    /**
     * Undo on the store, from before-images, the records of the journal from {@code lsn} on.
     *
     * @return null when all was undone, else the LSNs of records that carry no before-image.
     */
    List<Long> undoBeyond(long lsn);

    /**
     * @return the divergence LSN the followed primary named when it refused this member DIVERGED (since it was last
     * welcomed), or -1.
     */
    long followerDivergenceLsn();

    /**
     * @return why the followed primary refuses this member's resume point (DIVERGED, LSN_NOT_A_RECORD, LSN_AHEAD),
     * with its message, or null while it does not.
     */
    String followerRefusal();

    /**
     * As primary: the arbiter names {@code memberName} backup; admit it as the backup and the failover member it may
     * have replaced only as an async member. The default keeps the roles the primary opened with, for an environment
     * whose members never change roles.
     *
     * @param memberName the backup.
     */
    default void assignBackup(final String memberName)
    {
    }
}
