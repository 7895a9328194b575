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
 * @param revoked      the primary was granted to stop waiting for the backup (or restarted, and its commits do not
 *                     wait for the backup until it is ACTIVE there again), and no fresh "ACTIVE" report has come
 *                     since: the backup is not ACTIVE and cannot take over until one does (or, in an epoch the
 *                     operator forced, until the next epoch).
 * @param revokedLsn   the highest LSN a granted REVOKE_BACKUP (the primary's journal tail when it asked) or a
 *                     restarted primary's CLAIM_PRIMARY (its journal end) carried in this epoch; never lowered within
 *                     the epoch, -1 before any. A revoked backup is ACTIVE again only on a primary's "ACTIVE" report
 *                     whose LSN is above it, which the primary can only have sent after it asked for every revoke so
 *                     far: a report sent before a revoke (or by the primary's process before it crashed) and
 *                     delivered after it carries at most the primary's tail at sending time. {@link Long#MAX_VALUE}
 *                     when the revoke holds for the rest of the epoch (a forced epoch, or a record from before
 *                     revokes carried an LSN).
 * @param starts       where each epoch the arbiter granted starts in the journal (the primary's journal end when it
 *                     was granted), oldest first, the newest {@link #MAX_STARTS} kept: a former primary finds where
 *                     its journal diverges from them.
 * @param backupJoined the backup joined as failover member in this epoch (an async member promoted into a free
 *                     slot) and the primary has not yet sent its journal tail since it learned of it: no report makes
 *                     the backup ACTIVE until it has. A report the primary sent before (about the member it replaced)
 *                     carries at most the primary's tail then, which is at most the tail it sends; so once that tail
 *                     is the revoke's LSN, only a report about the joined backup is above it.
 */
public record ArbiterRecord(
    String mirrorName,
    long epoch,
    String primary,
    String backup,
    boolean backupActive,
    boolean noFailover,
    boolean handedOver,
    boolean revoked,
    long revokedLsn,
    java.util.List<ArbiterRecord.Start> starts,
    boolean backupJoined)
{
    /** Epoch starts kept. */
    public static final int MAX_STARTS = 64;

    /** {@link #revokedLsn} before any revoke in the epoch. */
    public static final long NO_REVOKE = -1;

    /** {@link #revokedLsn} of a revoke that holds for the rest of the epoch: no report is above it. */
    public static final long REVOKED_FOR_THE_EPOCH = Long.MAX_VALUE;

    /**
     * Where an epoch starts.
     *
     * @param epoch  the epoch.
     * @param lsn    the LSN of its {@code EPOCH_START}, as the primary announced it.
     * @param forced the epoch was forced by the operator, who accepted that acknowledged commits may be lost: an
     *               async member promoted with both failover members lost (commits they acknowledged and it never
     *               received), or a primary forced on without its backup (commits it acknowledged alone, if the
     *               backup took over).
     */
    public record Start(long epoch, long lsn, boolean forced)
    {
        /**
         * An epoch granted by the rules, with nothing lost.
         */
        public Start(final long epoch, final long lsn)
        {
            this(epoch, lsn, false);
        }
    }

    /**
     * A record whose backup did not join by promotion in this epoch.
     */
    public ArbiterRecord(
        final String mirrorName,
        final long epoch,
        final String primary,
        final String backup,
        final boolean backupActive,
        final boolean noFailover,
        final boolean handedOver,
        final boolean revoked,
        final long revokedLsn,
        final java.util.List<ArbiterRecord.Start> starts)
    {
        this(mirrorName, epoch, primary, backup, backupActive, noFailover, handedOver, revoked, revokedLsn, starts,
            false);
    }

    /**
     * A record without a revoke LSN: a revoked backup stays revoked for the rest of the epoch, as every revoke did
     * before revokes carried an LSN.
     */
    public ArbiterRecord(
        final String mirrorName,
        final long epoch,
        final String primary,
        final String backup,
        final boolean backupActive,
        final boolean noFailover,
        final boolean handedOver,
        final boolean revoked,
        final java.util.List<ArbiterRecord.Start> starts)
    {
        this(mirrorName, epoch, primary, backup, backupActive, noFailover, handedOver, revoked,
            revoked ? REVOKED_FOR_THE_EPOCH : NO_REVOKE, starts);
    }

    /**
     * A record without epoch starts.
     */
    public ArbiterRecord(
        final String mirrorName,
        final long epoch,
        final String primary,
        final String backup,
        final boolean backupActive,
        final boolean noFailover,
        final boolean handedOver,
        final boolean revoked)
    {
        this(mirrorName, epoch, primary, backup, backupActive, noFailover, handedOver, revoked, java.util.List.of());
    }

    /**
     * @param requestEpoch an epoch a member named.
     * @return where the first epoch after it starts, or -1 when none is recorded.
     */
    public long nextEpochLsn(final long requestEpoch)
    {
        for (final Start start : starts)
        {
            if (start.epoch() > requestEpoch)
            {
                return start.lsn();
            }
        }
        return -1;
    }

    /**
     * @return a copy that records where {@code newEpoch} starts.
     */
    ArbiterRecord withStart(final long newEpoch, final long lsn)
    {
        return withStart(new Start(newEpoch, lsn));
    }

    private ArbiterRecord withStart(final Start start)
    {
        final java.util.List<Start> next = new java.util.ArrayList<>(starts);
        next.add(start);
        while (next.size() > MAX_STARTS)
        {
            next.remove(0);
        }
        return new ArbiterRecord(mirrorName, epoch, primary, backup, backupActive, noFailover, handedOver, revoked,
            revokedLsn, java.util.List.copyOf(next), backupJoined);
    }

    /**
     * @param forcedEpoch an epoch whose primary the operator forced on without its backup.
     * @return a copy with that epoch's start marked forced (unchanged if it is not among the starts kept or already
     * marked).
     */
    public ArbiterRecord withForced(final long forcedEpoch)
    {
        final java.util.List<Start> next = new java.util.ArrayList<>(starts.size());
        for (final Start start : starts)
        {
            next.add(start.epoch() == forcedEpoch ? new Start(start.epoch(), start.lsn(), true) : start);
        }
        return new ArbiterRecord(mirrorName, epoch, primary, backup, backupActive, noFailover, handedOver, revoked,
            revokedLsn, java.util.List.copyOf(next), backupJoined);
    }

    /**
     * @param anEpoch an epoch.
     * @return whether its start is recorded as forced.
     */
    public boolean isForced(final long anEpoch)
    {
        for (final Start start : starts)
        {
            if (start.epoch() == anEpoch)
            {
                return start.forced();
            }
        }
        return false;
    }

    /**
     * @return a copy with the backup's ACTIVE state changed.
     */
    public ArbiterRecord withBackupActive(final boolean active)
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, active, noFailover, handedOver, revoked,
            revokedLsn, starts, backupJoined);
    }

    /**
     * @param lsn the LSN the granted REVOKE_BACKUP carried (the primary's journal tail when it asked), or
     *            {@link #REVOKED_FOR_THE_EPOCH}.
     * @return a copy in which the backup is revoked (not ACTIVE), {@link #revokedLsn} raised to {@code lsn}.
     */
    public ArbiterRecord withRevoked(final long lsn)
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, false, noFailover, handedOver, true,
            Math.max(revokedLsn, lsn), starts, backupJoined);
    }

    /**
     * @return a copy in which a revoked backup is ACTIVE again; {@link #revokedLsn} is kept, so a late report sent
     * before any revoke of this epoch still cannot re-admit it after a later one.
     */
    public ArbiterRecord readmitted()
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, true, noFailover, handedOver, false, revokedLsn,
            starts);
    }

    /**
     * @return a copy with a backup.
     */
    public ArbiterRecord withBackup(final String newBackup)
    {
        return new ArbiterRecord(mirrorName, epoch, primary, newBackup, backupActive, noFailover, handedOver, revoked,
            revokedLsn, starts, backupJoined);
    }

    /**
     * An async member joins as failover member: it is the backup from now on, not ACTIVE, and revoked until the
     * primary has sent its tail ({@link #withPrimaryTail}) and then reported it ACTIVE above it. The member it
     * replaces is no longer a failover member: it may not take over, and follows as an async member if it comes
     * back. A hand-over to the replaced backup is void.
     *
     * @param joining the async member.
     * @return the record with {@code joining} as backup.
     */
    public ArbiterRecord withJoinedBackup(final String joining)
    {
        return new ArbiterRecord(mirrorName, epoch, primary, joining, false, noFailover, false, true, revokedLsn,
            starts, true);
    }

    /**
     * @param tail the primary's journal tail, sent after it learned of the joined backup.
     * @return a copy whose revoke's LSN is raised to {@code tail}, the joined backup now ACTIVE on a report above it.
     */
    public ArbiterRecord withPrimaryTail(final long tail)
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, false, noFailover, handedOver, true,
            Math.max(revokedLsn, tail), starts, false);
    }

    /**
     * @return a copy with the no-failover flag.
     */
    public ArbiterRecord withNoFailover(final boolean flag)
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, backupActive, flag, handedOver, revoked,
            revokedLsn, starts, backupJoined);
    }

    /**
     * @return a copy saying the primary handed over.
     */
    public ArbiterRecord withHandedOver()
    {
        return new ArbiterRecord(mirrorName, epoch, primary, backup, backupActive, noFailover, true, revoked,
            revokedLsn, starts, backupJoined);
    }

    /**
     * @return the record of the next epoch, in which the backup is primary and the old primary its backup-to-be,
     * not ACTIVE until it has rejoined and caught up.
     */
    public ArbiterRecord takenOver()
    {
        return new ArbiterRecord(mirrorName, epoch + 1, backup, primary, false, noFailover, false, false, NO_REVOKE,
            starts);
    }

    /**
     * @param promoted the async member promoted to primary.
     * @param lsn      where its {@code EPOCH_START} goes.
     * @return the record of the next epoch, forced: no backup, the loss recorded in the epoch starts.
     */
    public ArbiterRecord promoted(final String promoted, final long lsn)
    {
        return new ArbiterRecord(mirrorName, epoch + 1, promoted, null, false, noFailover, false, false, NO_REVOKE,
            starts)
            .withStart(new Start(epoch + 1, lsn, true));
    }

    /**
     * @param lsn where the new primary's {@code EPOCH_START} goes.
     * @return the record of the next epoch, with where it starts.
     */
    public ArbiterRecord takenOver(final long lsn)
    {
        return takenOver().withStart(epoch + 1, lsn);
    }
    /**
     * The primary restarted with its journal in this epoch: what it shipped before the restart may be beyond its
     * journal's end now (a machine crash lost its unsynced tail), so it reigns on in a new epoch that starts at that
     * end, never rewriting LSNs a member may hold in this one.
     *
     * @param lsn where the restarted primary's journal ends: its {@code EPOCH_START} goes there.
     * @return the record of the next epoch, same primary and backup, the backup not ACTIVE until it is again.
     */
    public ArbiterRecord restarted(final long lsn)
    {
        return new ArbiterRecord(mirrorName, epoch + 1, primary, backup, false, noFailover, false, false, starts)
            .withStart(epoch + 1, lsn);
    }

    /**
     * The primary of this epoch claims it again before its {@code EPOCH_START} is in its journal (it crashed between
     * the grant and that write): nothing of the epoch exists anywhere yet, so the epoch is granted again, starting
     * where the claimer's journal ends now (lower, if a machine crash lost more of it meanwhile).
     *
     * @param lsn where the claimer's journal ends.
     * @return a copy whose start of this epoch is {@code lsn} (added when none was recorded), backup not ACTIVE.
     */
    public ArbiterRecord reclaimed(final long lsn)
    {
        final java.util.List<Start> next = new java.util.ArrayList<>(starts.size() + 1);
        boolean isRecorded = false;
        for (final Start start : starts)
        {
            if (start.epoch() == epoch)
            {
                next.add(new Start(epoch, lsn, start.forced()));
                isRecorded = true;
            }
            else
            {
                next.add(start);
            }
        }
        final ArbiterRecord cleared = new ArbiterRecord(mirrorName, epoch, primary, backup, false, noFailover, false,
            revoked, revokedLsn, java.util.List.copyOf(next));
        return isRecorded ? cleared : cleared.withStart(epoch, lsn);
    }
}
