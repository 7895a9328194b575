package io.jmirror.shipper;

/**
 * The arbiter's answer: granted or refused with a reason, and always its current view of the mirror, so a refused
 * member learns the epoch and the primary it must follow.
 *
 * @param reason          {@link ArbiterProtocol.Reason#NONE} when granted.
 * @param epoch           the current epoch (after the decision).
 * @param primary         the primary of that epoch, or null when none is known yet.
 * @param backup          the backup, or null.
 * @param flags           {@link ArbiterProtocol#FLAG_BACKUP_ACTIVE}, {@link ArbiterProtocol#FLAG_NO_FAILOVER},
 *                        {@link ArbiterProtocol#FLAG_HANDED_OVER}, {@link ArbiterProtocol#FLAG_BACKUP_JOINED}.
 * @param partnerSilentMs how long the arbiter has not heard the asking member's partner; -1 when never.
 * @param message         what was decided and why, for logs.
 * @param nextEpochLsn    where the first epoch after the one the request named starts, as the arbiter recorded it
 *                        (the new primary's journal end when it took over), or -1 when none is recorded: a former
 *                        primary's journal diverges from the new primary's there.
 */
public record ArbiterResponse(
    ArbiterProtocol.Reason reason,
    long epoch,
    String primary,
    String backup,
    int flags,
    long partnerSilentMs,
    String message,
    long nextEpochLsn)
{
    /**
     * A response that names no next epoch.
     */
    public ArbiterResponse(
        final ArbiterProtocol.Reason reason,
        final long epoch,
        final String primary,
        final String backup,
        final int flags,
        final long partnerSilentMs,
        final String message)
    {
        this(reason, epoch, primary, backup, flags, partnerSilentMs, message, -1);
    }

    /**
     * @return true when the request was granted.
     */
    public boolean isGranted()
    {
        return reason == ArbiterProtocol.Reason.NONE;
    }

    /**
     * @return true when the arbiter holds the backup ACTIVE.
     */
    public boolean isBackupActive()
    {
        return (flags & ArbiterProtocol.FLAG_BACKUP_ACTIVE) != 0;
    }

    /**
     * @return true when the no-failover flag is set.
     */
    public boolean isNoFailover()
    {
        return (flags & ArbiterProtocol.FLAG_NO_FAILOVER) != 0;
    }

    /**
     * @return true when the backup joined as failover member in this epoch and the arbiter still awaits the
     * primary's tail ({@link ArbiterProtocol#FLAG_PRIMARY_TAIL}) before any report can make it ACTIVE.
     */
    public boolean isBackupJoined()
    {
        return (flags & ArbiterProtocol.FLAG_BACKUP_JOINED) != 0;
    }

    /**
     * @param reason  why.
     * @param message facts for logs.
     * @return a refusal that tells nothing of the mirror: for requests the arbiter could not read or trust.
     */
    public static ArbiterResponse refusal(final ArbiterProtocol.Reason reason, final String message)
    {
        return new ArbiterResponse(reason, 0, null, null, 0, -1, message);
    }

    @Override
    public String toString()
    {
        return (isGranted() ? "GRANTED" : "REFUSED " + reason) + " epoch=" + epoch + " primary=" + primary +
            " backup=" + backup + " backupActive=" + isBackupActive() + " noFailover=" + isNoFailover() +
            " partnerSilentMs=" + partnerSilentMs + " nextEpochLsn=" + nextEpochLsn + " message=" + message;
    }
}
