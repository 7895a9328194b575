package io.jmirror.mirror;

import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterProtocol.Reason;
import io.jmirror.shipper.ArbiterRequest;

/**
 * The arbiter's decisions, as a pure function of its record, the request and how long it has not heard each
 * member: no clock, network or disk, so the same rules run in the arbiter process and in the simulation.
 * <p>
 * The rules that keep acknowledged commits (IRIS's, made precise):
 * <ul>
 *   <li>REVOKE_BACKUP is granted to the primary of the current epoch only when the arbiter has lost the backup too
 *   (silent for the QoS timeout) or the backup itself agreed (its last poll said it has lost the primary); it
 *   clears backup-ACTIVE and records the request's LSN (the primary's journal tail when it asked) as
 *   {@link ArbiterRecord#revokedLsn}, raised by every later revoke of the epoch and never lowered in it.</li>
 *   <li>The primary reports its backup ACTIVE on its POLL, with the backup's durable LSN as acknowledged to the
 *   primary, only when its commits wait for the backup again and the backup has acknowledged durable everything the
 *   primary may have acknowledged without it (see {@link FailoverControl}). A revoked backup is ACTIVE again only on
 *   such a report whose LSN is above {@code revokedLsn}. Strictly above: a report sent before a revoke and delivered
 *   after it carries at most the primary's tail when it was sent, which is at most the revoke's LSN; a report above
 *   it was sent after the primary asked for every revoke granted so far, and so after it stopped honouring them.
 *   So a primary that wrote nothing since the revoke re-admits its backup with its next commit. In an epoch the
 *   operator forced, the revoke holds for the rest of the epoch: the backup lacks what the forced primary
 *   acknowledged alone, and no report re-admits it.</li>
 *   <li>TAKEOVER is granted to the backup of the current epoch only while it is ACTIVE, the no-failover flag is off,
 *   and the arbiter has lost the primary (or the primary handed over); it starts the next epoch. So the arbiter
 *   never grants a takeover while a revoke it granted is in force: between a revoke and a takeover of one epoch
 *   lies a fresh ACTIVE report, sent when the backup held every commit the primary had acknowledged.</li>
 *   <li>CLAIM_PRIMARY from the primary of the record (it restarted) grants it a new epoch that starts at its
 *   journal's end (what it shipped before a machine crash may be gone from its disk but not from its members), or,
 *   when its journal never started the current epoch, that epoch again. Either revokes the backup at the claim's LSN:
 *   the restarted primary's commits wait for the backup only once it is ACTIVE again there, so until then the
 *   backup, which may lack what the restarted primary acknowledged, cannot take over; and an "ACTIVE" report its
 *   previous process sent before the crash carries at most that journal end (and an older epoch) and does not
 *   re-admit the backup.</li>
 *   <li>JOIN_FAILOVER (an async member promoted to failover member) is granted only into a free slot: the record has
 *   no backup or the arbiter has lost it (silent for the QoS timeout). The member becomes the backup, revoked and
 *   marked {@link ArbiterRecord#backupJoined}: a report the primary sent about the member it replaced must not make
 *   the new one ACTIVE, so none does until the primary, having learned of the new backup, sends its journal tail
 *   (a POLL with {@code FLAG_PRIMARY_TAIL}); that tail becomes the revoke's LSN, and the new backup is ACTIVE on a
 *   report above it, as a revoked backup is. The replaced member is no longer a failover member: it cannot take
 *   over, and if it comes back it follows as an async member (it may itself join again into a free slot). From the
 *   grant on, an async member the record names primary or backup is decided as a failover member.</li>
 *   <li>A request naming an older epoch is refused STALE_EPOCH with the current epoch and primary; repeating a
 *   granted TAKEOVER (the new primary crashed before it heard the answer) is granted again.</li>
 * </ul>
 */
public final class ArbiterRules
{
    private ArbiterRules()
    {
    }

    /**
     * A decision: the answer's reason and message, and the record after it (the same object when nothing changed).
     *
     * @param reason  {@link Reason#NONE} when granted.
     * @param record  the record after the decision; may be null only when there was none and nothing was created.
     * @param message what was decided, for logs and the answer.
     */
    public record Decision(Reason reason, ArbiterRecord record, String message)
    {
        /**
         * @return true when granted.
         */
        public boolean isGranted()
        {
            return reason == Reason.NONE;
        }
    }

    /**
     * @param record          the mirror's record, or null when the arbiter has none yet.
     * @param request         a well-formed, authenticated request.
     * @param primarySilentMs how long the arbiter has not heard the record's primary (from its own start at most).
     * @param backupSilentMs  how long the arbiter has not heard the record's backup.
     * @param qosTimeoutMs    silence for this long means lost.
     * @return the decision.
     */
    public static Decision decide(
        final ArbiterRecord record,
        final ArbiterRequest request,
        final long primarySilentMs,
        final long backupSilentMs,
        final long qosTimeoutMs)
    {
        return decide(record, request, primarySilentMs, backupSilentMs, qosTimeoutMs, false);
    }

    /**
     * @param isAsyncMember the request comes from an async (DR) member: it may only poll, or be promoted.
     * @return the decision.
     */
    public static Decision decide(
        final ArbiterRecord record,
        final ArbiterRequest request,
        final long primarySilentMs,
        final long backupSilentMs,
        final long qosTimeoutMs,
        final boolean isAsyncMember)
    {
        return decide(record, request, primarySilentMs, backupSilentMs, qosTimeoutMs, isAsyncMember, false);
    }

    /**
     * @param backupLostPrimary the backup's last poll said it has lost its link to the primary: it agrees that the
     *                          primary stops waiting for it (it cannot be ACTIVE without that link).
     * @return the decision.
     */
    public static Decision decide(
        final ArbiterRecord record,
        final ArbiterRequest request,
        final long primarySilentMs,
        final long backupSilentMs,
        final long qosTimeoutMs,
        final boolean isAsyncMember,
        final boolean backupLostPrimary)
    {
        final String member = request.memberName();
        final boolean isFailoverMemberNow = null != record &&
            (member.equals(record.primary()) || member.equals(record.backup()));
        if (request.kind() == ArbiterProtocol.Kind.JOIN_FAILOVER)
        {
            return joinFailover(record, request, backupSilentMs, qosTimeoutMs, isAsyncMember);
        }
        // An async member the record names primary or backup (promoted) is a failover member, except that asking for
        // a promotion again is answered as the promotion was.
        if (isAsyncMember && (!isFailoverMemberNow || request.kind() == ArbiterProtocol.Kind.PROMOTE))
        {
            return asyncMember(record, request, primarySilentMs, backupSilentMs, qosTimeoutMs);
        }
        if (null == record)
        {
            if (request.kind() == ArbiterProtocol.Kind.CLAIM_PRIMARY)
            {
                final ArbiterRecord first = new ArbiterRecord(
                    request.mirrorName(), request.epoch() + 1, member, null, false, false, false, false)
                    .withStart(request.epoch() + 1, request.lsn());
                return granted(first, "first primary of the mirror: epoch=" + first.epoch() + " primary=" + member);
            }
            if (request.kind() == ArbiterProtocol.Kind.POLL)
            {
                return granted(null, "no primary yet");
            }
            return refused(Reason.NOT_PRIMARY, null, "no primary yet: request=" + request.kind());
        }
        if (request.epoch() > record.epoch())
        {
            return refused(Reason.EPOCH_AHEAD, record, "member knows a newer epoch than the arbiter: epoch=" +
                request.epoch() + " arbiterEpoch=" + record.epoch());
        }

        switch (request.kind())
        {
            case POLL:
                return poll(record, request);

            case CLAIM_PRIMARY:
                if (member.equals(record.primary()) && record.handedOver())
                {
                    return refused(Reason.NOT_PRIMARY, record, "handed over: the backup takes over next");
                }
                if (member.equals(record.primary()))
                {
                    return restartedPrimary(record, request);
                }
                return refused(Reason.NOT_PRIMARY, record, "another member is primary: primary=" + record.primary() +
                    " epoch=" + record.epoch());

            case REVOKE_BACKUP:
                return revokeBackup(record, request, backupSilentMs, qosTimeoutMs, backupLostPrimary);

            case TAKEOVER:
                return takeover(record, request, primarySilentMs, qosTimeoutMs);

            case HANDOVER:
                if (!member.equals(record.primary()) || request.epoch() != record.epoch())
                {
                    return refused(Reason.NOT_PRIMARY, record, "only the current primary hands over");
                }
                if (!record.backupActive())
                {
                    return refused(Reason.BACKUP_NOT_ACTIVE, record, "no ACTIVE backup to hand over to");
                }
                return granted(record.withHandedOver(), "primary hands over: backup=" + record.backup());

            case PROMOTE:
                return refused(Reason.UNAUTHORIZED, record, "only an async member is promoted; a failover member " +
                    "takes over");

            case SET_NO_FAILOVER:
                if (!member.equals(record.primary()) && !member.equals(record.backup()))
                {
                    return refused(Reason.NOT_PRIMARY, record, "only a failover member sets the no-failover flag");
                }
                final boolean flag = request.has(ArbiterProtocol.FLAG_VALUE);
                return granted(record.withNoFailover(flag), "no-failover flag set: noFailover=" + flag);

            default:
                return refused(Reason.MALFORMED, record, "unknown request: " + request.kind());
        }
    }

    /**
     * The primary of the record claims the role again: it restarted. Either way the backup is not ACTIVE until it is
     * again at the restarted primary (whose commits do not wait for it until then), so it cannot take over meanwhile.
     * <ul>
     *   <li>Its journal is in the current epoch (the request names it): it may have shipped records a machine crash
     *   then lost from its own disk, which members still hold. Writing new records at those LSNs in the same epoch
     *   would make two journals differ within one epoch, unseen. So it reigns on in a new epoch, starting at its
     *   journal's end (the request's LSN): members beyond that start are refused DIVERGED and cut there.</li>
     *   <li>Its journal is in an older epoch: it was granted the current one (by a claim or a takeover) and
     *   crashed before its {@code EPOCH_START} was durable, so nothing of the epoch exists anywhere. The same epoch
     *   is granted again, its start moved to the journal's end now; epochs never go backward.</li>
     * </ul>
     */
    private static Decision restartedPrimary(final ArbiterRecord record, final ArbiterRequest request)
    {
        if (request.lsn() < 0)
        {
            return refused(Reason.MALFORMED, record, "a primary's claim must carry its journal's end: lsn=" +
                request.lsn());
        }
        if (request.epoch() < record.epoch())
        {
            // Revoked at the claim's LSN, not only cleared: a report the crashed process sent is stale.
            final ArbiterRecord again = record.reclaimed(request.lsn()).withRevoked(request.lsn());
            return granted(again, "primary claims its epoch again before starting it: epoch=" + again.epoch() +
                " startLsn=" + request.lsn() + " journalEpoch=" + request.epoch() + " backupActive=false revokedLsn=" +
                again.revokedLsn());
        }
        final ArbiterRecord next = record.restarted(request.lsn()).withRevoked(request.lsn());
        return granted(next, "restarted primary reigns on in a new epoch: epoch=" + next.epoch() + " startLsn=" +
            request.lsn() + " formerEpoch=" + record.epoch() + " backupActive=false until the restarted primary " +
            "reports the backup ACTIVE above revokedLsn=" + next.revokedLsn());
    }

    /**
     * An async member polls to learn whom to follow; it is promoted to primary only when the arbiter has lost both
     * failover members and the operator accepts that what they acknowledged beyond the async member is lost.
     */
    private static Decision asyncMember(
        final ArbiterRecord record,
        final ArbiterRequest request,
        final long primarySilentMs,
        final long backupSilentMs,
        final long qosTimeoutMs)
    {
        if (request.kind() == ArbiterProtocol.Kind.POLL)
        {
            return granted(record, "async member heard");
        }
        if (request.kind() != ArbiterProtocol.Kind.PROMOTE)
        {
            return refused(Reason.UNAUTHORIZED, record, "an async member may only poll or be promoted: request=" +
                request.kind());
        }
        if (null == record)
        {
            return refused(Reason.NOT_PRIMARY, null, "no primary yet");
        }
        if (request.memberName().equals(record.primary()) && request.epoch() == record.epoch() - 1)
        {
            return granted(record, "promotion already granted: epoch=" + record.epoch());
        }
        if (request.epoch() < record.epoch())
        {
            return refused(Reason.STALE_EPOCH, record, "request of an older epoch: epoch=" + request.epoch());
        }
        if (!request.has(ArbiterProtocol.FLAG_VALUE))
        {
            return refused(Reason.NO_FAILOVER, record, "promoting an async member may lose acknowledged commits: " +
                "the operator must force it");
        }
        if (primarySilentMs < qosTimeoutMs || (null != record.backup() && backupSilentMs < qosTimeoutMs))
        {
            return refused(Reason.PARTNER_ALIVE, record, "a failover member is still heard: primarySilentMs=" +
                primarySilentMs + " backupSilentMs=" + backupSilentMs + " qosTimeoutMs=" + qosTimeoutMs);
        }
        final ArbiterRecord next = record.promoted(request.memberName(), request.lsn());
        return granted(next, "async member promoted with data loss accepted: epoch=" + next.epoch() + " primary=" +
            next.primary() + " formerPrimary=" + record.primary() + " formerBackup=" + record.backup());
    }

    /**
     * A member asks to become the backup (IRIS: promote a DR async to failover member): granted when the failover
     * slot is free, the record having no backup or the arbiter having lost it (silent for the QoS timeout), to an
     * async member or a failover member the record no longer names (it was replaced, and follows as async). The joined
     * backup is revoked and cannot take over until the primary has sent its tail and then reported it ACTIVE above
     * it; the member it replaces can no longer take over.
     */
    private static Decision joinFailover(
        final ArbiterRecord record,
        final ArbiterRequest request,
        final long backupSilentMs,
        final long qosTimeoutMs,
        final boolean isAsyncMember)
    {
        final String member = request.memberName();
        if (null == record)
        {
            return refused(Reason.NOT_PRIMARY, null, "no primary yet to join as backup of");
        }
        if (member.equals(record.backup()))
        {
            return granted(record, "already the backup: backup=" + member + " epoch=" + record.epoch());
        }
        if (member.equals(record.primary()))
        {
            return refused(Reason.UNAUTHORIZED, record, "the primary does not join as backup: member=" + member);
        }
        if (request.epoch() < record.epoch())
        {
            return refused(Reason.STALE_EPOCH, record, "request of an older epoch: epoch=" + request.epoch());
        }
        if (null != record.backup() && backupSilentMs < qosTimeoutMs)
        {
            return refused(Reason.PARTNER_ALIVE, record, "no free failover slot: the arbiter still hears the " +
                "backup=" + record.backup() + " backupSilentMs=" + backupSilentMs + " qosTimeoutMs=" + qosTimeoutMs);
        }
        final ArbiterRecord next = record.withJoinedBackup(member);
        return granted(next, (isAsyncMember ? "async" : "replaced failover") + " member joins as failover member: " +
            "backup=" + member + " formerBackup=" + record.backup() + " epoch=" + record.epoch() + " backupSilentMs=" +
            backupSilentMs + "; not ACTIVE until the primary sends its tail and reports it ACTIVE above it");
    }

    private static Decision poll(final ArbiterRecord record, final ArbiterRequest request)
    {
        final String member = request.memberName();
        if (request.has(ArbiterProtocol.FLAG_FORCED) && !record.isForced(request.epoch()))
        {
            return forced(record, request);
        }
        if (member.equals(record.primary()) && request.has(ArbiterProtocol.FLAG_PRIMARY_TAIL))
        {
            if (request.epoch() == record.epoch() && record.backupJoined() && request.lsn() >= 0)
            {
                final ArbiterRecord next = record.withPrimaryTail(request.lsn());
                return granted(next, "primary ships to the joined backup: backup=" + record.backup() +
                    " revokedLsn=" + next.revokedLsn() + " (ACTIVE on a report above it)");
            }
            return granted(record, "primary heard");
        }
        if (member.equals(record.primary()))
        {
            if (request.epoch() == record.epoch() && request.has(ArbiterProtocol.FLAG_BACKUP_ACTIVE) &&
                null != record.backup() && !record.backupActive() && !record.backupJoined())
            {
                if (!record.revoked())
                {
                    return granted(record.withBackupActive(true), "backup is ACTIVE: backup=" + record.backup());
                }
                if (!record.isForced(record.epoch()) && request.lsn() > record.revokedLsn())
                {
                    return granted(record.readmitted(), "revoked backup is ACTIVE again: backup=" + record.backup() +
                        " lsn=" + request.lsn() + " revokedLsn=" + record.revokedLsn());
                }
            }
            return granted(record, "primary heard");
        }
        if (null == record.backup())
        {
            return granted(record.withBackup(member), "backup registered: backup=" + member);
        }
        return granted(record, "member heard");
    }

    /**
     * A primary the operator forced on without its backup reports it: record the epoch as forced and, while it is
     * still the epoch in force, revoke the backup (it lacks what the forced primary acknowledged alone, so it must
     * not take over in this epoch). A report of an older epoch (the backup took over meanwhile) only records it.
     */
    private static Decision forced(final ArbiterRecord record, final ArbiterRequest request)
    {
        final String member = request.memberName();
        final boolean isCurrent = member.equals(record.primary()) && request.epoch() == record.epoch();
        // The record names only the current members; a report of an older epoch comes from the other one.
        final boolean mayReport = isCurrent || (request.epoch() < record.epoch() &&
            (member.equals(record.primary()) || member.equals(record.backup())));
        if (!mayReport)
        {
            return refused(Reason.NOT_PRIMARY, record, "only the primary of an epoch reports it was forced: epoch=" +
                request.epoch() + " member=" + member + " primary=" + record.primary());
        }
        final ArbiterRecord marked = record.withForced(request.epoch());
        if (isCurrent)
        {
            final ArbiterRecord revoked = marked.withRevoked(ArbiterRecord.REVOKED_FOR_THE_EPOCH);
            return granted(revoked.equals(marked) ? marked : revoked, "primary forced on without its backup by the " +
                "operator: epoch=" + request.epoch() + " backup=" + record.backup() + " revoked for the epoch");
        }
        return granted(marked, "a former primary reports it was forced on without its backup: epoch=" +
            request.epoch() + "; what it acknowledged alone beyond epoch " + record.epoch() + "'s start is lost");
    }

    private static Decision revokeBackup(
        final ArbiterRecord record,
        final ArbiterRequest request,
        final long backupSilentMs,
        final long qosTimeoutMs,
        final boolean backupLostPrimary)
    {
        if (!request.memberName().equals(record.primary()))
        {
            return refused(Reason.NOT_PRIMARY, record, "only the primary may stop waiting for its backup: primary=" +
                record.primary());
        }
        if (request.epoch() < record.epoch())
        {
            return refused(Reason.STALE_EPOCH, record, "request of an older epoch: epoch=" + request.epoch());
        }
        final ArbiterRecord revoked = record.withRevoked(request.lsn());
        if (!record.backupActive())
        {
            // Still recorded: a report sent before this request must not re-admit the backup the primary now drops.
            return granted(revoked.equals(record) ? record : revoked, "backup already not ACTIVE: revokedLsn=" +
                revoked.revokedLsn());
        }
        if (backupSilentMs < qosTimeoutMs && !backupLostPrimary)
        {
            return refused(Reason.PARTNER_ALIVE, record, "the arbiter still hears the backup, which still has the " +
                "primary: backupSilentMs=" + backupSilentMs + " qosTimeoutMs=" + qosTimeoutMs);
        }
        return granted(revoked, "backup revoked: backup=" + record.backup() + " revokedLsn=" + revoked.revokedLsn() +
            " backupSilentMs=" + backupSilentMs + " backupLostPrimary=" + backupLostPrimary);
    }

    private static Decision takeover(
        final ArbiterRecord record, final ArbiterRequest request, final long primarySilentMs, final long qosTimeoutMs)
    {
        final String member = request.memberName();
        if (member.equals(record.primary()) && request.epoch() == record.epoch() - 1)
        {
            return granted(record, "takeover already granted: epoch=" + record.epoch());
        }
        if (!member.equals(record.backup()))
        {
            return refused(Reason.NOT_BACKUP, record, "only the backup may take over: backup=" + record.backup() +
                " primary=" + record.primary());
        }
        if (request.epoch() < record.epoch())
        {
            return refused(Reason.STALE_EPOCH, record, "request of an older epoch: epoch=" + request.epoch());
        }
        if (record.noFailover())
        {
            return refused(Reason.NO_FAILOVER, record, "the no-failover flag is set");
        }
        if (!record.backupActive())
        {
            return refused(Reason.BACKUP_NOT_ACTIVE, record, "the backup was not ACTIVE, or was revoked");
        }
        if (!record.handedOver() && primarySilentMs < qosTimeoutMs)
        {
            return refused(Reason.PARTNER_ALIVE, record, "the arbiter still hears the primary: primarySilentMs=" +
                primarySilentMs + " qosTimeoutMs=" + qosTimeoutMs);
        }
        final ArbiterRecord next = record.takenOver(request.lsn());
        return granted(next, "takeover granted: epoch=" + next.epoch() + " primary=" + next.primary() +
            " formerPrimary=" + record.primary() + (record.handedOver() ? " handedOver=true" : " primarySilentMs=" +
            primarySilentMs));
    }

    private static Decision granted(final ArbiterRecord record, final String message)
    {
        return new Decision(Reason.NONE, record, message);
    }

    private static Decision refused(final Reason reason, final ArbiterRecord record, final String message)
    {
        return new Decision(reason, record, message);
    }
}
