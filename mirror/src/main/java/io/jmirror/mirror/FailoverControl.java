package io.jmirror.mirror;

import io.jmirror.journal.EpochStart;
import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterProtocol.Kind;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;
import io.jmirror.shipper.BackupRelease;
import io.jmirror.shipper.MemberRole;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;

/**
 * A failover member's decisions, once per heartbeat ({@link #onBeat}), over the {@link MirrorNode.Role} state
 * machine:
 * <pre>
 *   CANDIDATE --arbiter: I am (or may become) primary--> PRIMARY --a higher epoch--> FENCED
 *       |
 *       +--arbiter: the partner is primary--> BACKUP --primary lost, arbiter grants TAKEOVER--> TAKING_OVER --> PRIMARY
 * </pre>
 * It takes its clock, its arbiter and the heavy work (journal, store, primary, receiver) through
 * {@link EpochClock}, {@link ArbiterLink} and {@link FailoverEnvironment}, and holds no thread, socket or file: the
 * same decisions run in a {@link MirrorNode} and, on one thread from a seed, in the deterministic simulation.
 * <p>
 * A candidate accepts no write until the arbiter has confirmed the epoch (a restarted primary too). As backup it
 * asks the arbiter to take over once it has lost the primary; the arbiter grants it only if the backup was ACTIVE and
 * it has lost the primary too. A backup that cannot apply what it receives neither asks for nor accepts a takeover.
 * The takeover, each step safe to crash in and repeat: apply every record received, open as primary in the granted
 * epoch. As primary, its {@link #mayRelease} tells the commit gate whether commits may stop waiting for an ACTIVE
 * backup (only on the arbiter's grant of REVOKE_BACKUP, failover rule 1); a primary that learns of a higher epoch
 * stops at once (FENCED) and rejoins as backup once the arbiter says where the next epoch started.
 * <p>
 * A revoke does not end automatic failover for the epoch: once the backup is back, the primary reports it ACTIVE
 * again and the arbiter re-admits it. The order of events that keeps the primary from releasing its backup on a
 * grant while the arbiter lets that backup take over:
 * <ol>
 *   <li>The primary asks for REVOKE_BACKUP with its journal tail; the arbiter records it as the revoke's LSN.</li>
 *   <li>On the grant, {@link #mayRelease} says yes, and the commit gate lets go of the backup: commits are then
 *   acknowledged on the primary's durability alone.</li>
 *   <li>The backup comes back, its session turns ACTIVE and the gate closes again, recording the primary's durable
 *   LSN then (everything acknowledged alone lies below it).</li>
 *   <li>Before each ACTIVE report the primary first stops honouring the grant ({@code revokedEpoch} reset), and only
 *   then asks the gate, under the gate's lock, whether the backup may be reported ACTIVE: the gate is closed on it
 *   and it acknowledged durable up to where the gate closed. A release racing with this either happened before
 *   (the gate is then seen open, or closed again at a higher LSN) or asks {@link #mayRelease} after the reset and
 *   so waits for a new grant. So when a report leaves, the backup holds every acknowledged commit, and from then on
 *   the primary acknowledges alone only after a new REVOKE_BACKUP is granted, which carries a tail at least as high
 *   as the report's LSN (the backup's acked durable LSN, never above the primary's tail).</li>
 *   <li>The arbiter re-admits a revoked backup only on a report whose LSN is above every revoke's LSN of the
 *   epoch, so a report sent before a revoke and delivered after it is ignored; a revoke granted after a re-admission
 *   clears backup-ACTIVE before the primary can release on it. A takeover, granted only while backup-ACTIVE, thus
 *   always follows a report sent when the backup held every acknowledged commit, with no grant in between.</li>
 * </ol>
 * The cost: a primary that wrote nothing since the revoke reports the backup's LSN equal to the revoke's, and
 * re-admits its backup with its next commit. The first ACTIVE report of an epoch waits the same way for the
 * backup to hold what the primary acknowledged before the gate first closed. A forced epoch stays revoked.
 * <p>
 * Role, reason and epoch are read from other threads; the operator's wishes (hand over, promote) are set from them.
 */
public final class FailoverControl implements BackupRelease
{
    private static final Logger LOG = LoggerFactory.getLogger(FailoverControl.class);

    private final FailoverSettings settings;
    private final EpochClock clock;
    private final ArbiterLink arbiter;
    private final FailoverEnvironment env;
    private volatile MirrorNode.Role role = MirrorNode.Role.CANDIDATE;
    private volatile String reason = "started";
    private volatile long epoch;
    private volatile Path divergentBytes;
    private volatile boolean isRevokeWanted;
    private volatile boolean isHandoverWanted;
    private volatile boolean isPromoteWanted;
    private volatile boolean isJoinFailoverWanted;
    private volatile long joins;
    private volatile boolean isRejoinWanted;
    private volatile String followed;
    private volatile String backupName;
    private String assignedBackup;
    private volatile long revokedEpoch = -1;
    private volatile long forcedEpoch = -1;
    private volatile boolean isForceUnreported;
    private volatile long forces;
    private volatile long takeovers;
    private volatile long divergences;
    private volatile long lastTakeoverMs = -1;
    private long lastStreamingMs;

    /**
     * @param settings the member's names and kind.
     * @param clock    time for the takeover figures and how long the primary was lost.
     * @param arbiter  the link to the arbiter.
     * @param env      the heavy work.
     */
    public FailoverControl(
        final FailoverSettings settings, final EpochClock clock, final ArbiterLink arbiter,
        final FailoverEnvironment env)
    {
        this.settings = settings;
        this.clock = clock;
        this.arbiter = arbiter;
        this.env = env;
        this.lastStreamingMs = clock.time();
    }

    /**
     * One heartbeat: talk to the arbiter and act on the role.
     *
     * @param nowMs the time now.
     */
    public void onBeat(final long nowMs)
    {
        switch (role)
        {
            case CANDIDATE -> candidate();
            case BACKUP -> backup(nowMs);
            case ASYNC -> asAsync();
            case FENCED -> rejoinAfterFence();
            case PRIMARY -> asPrimary();
            default ->
            {
            }
        }
    }

    private void candidate()
    {
        final List<EpochStart> history = env.journalEpochHistory();
        final long diskEpoch = history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
        final ArbiterResponse poll = ask(Kind.POLL, diskEpoch, 0);
        if (null == poll || !poll.isGranted())
        {
            return;
        }
        final String me = settings.memberName();
        if (settings.isAsync() && !me.equals(poll.primary()))
        {
            if (null != poll.primary() && isCutBeforeFollowing(diskEpoch, poll))
            {
                epoch = poll.epoch();
                // Joined as failover member before a restart: the arbiter still names it the backup.
                followAs(poll.primary(), me.equals(poll.backup()));
            }
            return;
        }
        if ((null == poll.primary() && settings.initialPrimary()) || me.equals(poll.primary()))
        {
            // The claim names the journal's epoch, not the arbiter's: the arbiter tells a restart in its epoch (a
            // new epoch from the journal's end) from a crash before the granted epoch's EPOCH_START (that epoch).
            final ArbiterResponse claim = ask(Kind.CLAIM_PRIMARY, diskEpoch, 0,
                history.isEmpty() && !env.journalExists() ? 0 : env.journalEndLsn());
            if (null != claim && claim.isGranted())
            {
                becomePrimary(claim.epoch(), "the arbiter names this node primary: epoch=" + claim.epoch());
            }
        }
        else if (null != poll.primary())
        {
            final EpochStart last = history.isEmpty() ? null : history.get(history.size() - 1);
            if (null != last && me.equals(last.memberName()) ? !rejoin(last.epoch(), poll) :
                !isCutBeforeFollowing(diskEpoch, poll))
            {
                return;
            }
            epoch = poll.epoch();
            // A failover member the arbiter no longer names backup was replaced by a joined async member: it follows
            // as an async member, and the primary admits it only so.
            followAs(poll.primary(), null == poll.backup() || me.equals(poll.backup()));
        }
    }

    private void followAs(final String primaryName, final boolean isBackup)
    {
        if (isBackup)
        {
            follow(primaryName, MemberRole.BACKUP, MirrorNode.Role.BACKUP);
        }
        else
        {
            follow(primaryName, MemberRole.DR_ASYNC, MirrorNode.Role.ASYNC);
        }
    }

    /**
     * This node was primary in {@code ownEpoch} and another member is primary now: its journal may hold records the
     * new primary never had. Undo them on its store from their before-images, cut them off at the start of the next
     * epoch (keeping them in a file beside the journal) and follow; without before-images it must be rebuilt.
     *
     * @return true when it may follow now.
     */
    private boolean rejoin(final long ownEpoch, final ArbiterResponse poll)
    {
        final ArbiterResponse next = ask(Kind.POLL, ownEpoch, 0);
        if (null == next)
        {
            // No answer is not "unknown": ask again next beat rather than call this member lost for good.
            return false;
        }
        final long divergence = next.nextEpochLsn();
        if (divergence < 0)
        {
            role(MirrorNode.Role.FENCED, "this node was primary in epoch " + ownEpoch + " and " + poll.primary() +
                " is primary in epoch " + poll.epoch() + ", but the arbiter does not know where the next epoch " +
                "starts: this former primary must be rebuilt from the primary");
            return false;
        }
        // A durable store may hold what this node wrote beyond the divergence: undo it from before-images, as a
        // fenced primary does, rather than call the node lost.
        return undoAndCut(divergence, env.storeRecoveredLsn(), "this node was primary in epoch " + ownEpoch +
            " and " + poll.primary() + " is primary in epoch " + poll.epoch());
    }

    /**
     * A member about to follow, whose journal's last epoch is older than the arbiter's: its journal may run beyond
     * where the next epoch started (it received what a primary shipped and then lost, or what a former primary sent
     * before a failover). Ask the arbiter where that is and undo and cut there first, so the new primary does not
     * refuse it forever; a divergence the arbiter cannot place is caught by the primary's DIVERGED.
     *
     * @return true when it may follow now.
     */
    private boolean isCutBeforeFollowing(final long diskEpoch, final ArbiterResponse poll)
    {
        if (diskEpoch >= poll.epoch() || !env.journalExists())
        {
            return true;
        }
        final ArbiterResponse next = ask(Kind.POLL, diskEpoch, 0);
        if (null == next)
        {
            return false; // ask again next beat: following uncut could be refused forever
        }
        final long divergence = next.nextEpochLsn();
        return divergence < 0 || undoAndCut(divergence, env.storeRecoveredLsn(), "journal epoch " + diskEpoch +
            " is older than the arbiter's " + poll.epoch());
    }

    /**
     * Undo on the store what lies beyond {@code divergence} (when the store holds any of it), keep those journal bytes
     * in a file beside the journal and cut them off. Called while not following. If a record to undo carries no
     * before-image, the store cannot be undone: FENCED, to be rebuilt.
     *
     * @param inStore how far the store had applied (before following stopped), or -1.
     * @param why     what led here, for the log and the reason.
     * @return true when the journal now ends at or below {@code divergence}.
     */
    private boolean undoAndCut(final long divergence, final long inStore, final String why)
    {
        if (env.journalEndLsn() <= divergence)
        {
            return true;
        }
        if (Math.max(inStore, env.storeRecoveredLsn()) > divergence)
        {
            final List<Long> withoutBeforeImage = env.undoBeyond(divergence);
            if (null != withoutBeforeImage)
            {
                role(MirrorNode.Role.FENCED, "records this member applied beyond the divergence LSN " + divergence +
                    " carry no before-image, so its store cannot be undone: it must be rebuilt from the primary (" +
                    why + "); lsns=" + withoutBeforeImage);
                return false;
            }
        }
        divergentBytes = env.truncateJournal(divergence);
        divergences++;
        LOG.warn("member undid and cut what its journal held beyond the divergence LSN: member={} divergenceLsn={} " +
            "keptIn={} why={}", settings.memberName(), divergence, divergentBytes, why);
        return true;
    }

    /**
     * The followed primary refused this member DIVERGED: stop following, undo and cut at the LSN it named, follow
     * again.
     *
     * @return true when it was refused so (whatever came of it).
     */
    private boolean isDivergedCut(final MemberRole memberRole, final MirrorNode.Role next)
    {
        final long divergence = env.followerDivergenceLsn();
        if (divergence < 0)
        {
            return false;
        }
        env.stopFollowing();
        // Read once following stopped: a worker may apply up to its last record while the member closes.
        final long applied = env.appliedLsn();
        if (undoAndCut(divergence, applied, "the primary " + followed + " refused this member DIVERGED"))
        {
            follow(followed, memberRole, next);
        }
        return true;
    }

    private void follow(final String primaryName, final MemberRole memberRole, final MirrorNode.Role next)
    {
        env.follow(primaryName, memberRole, epoch);
        lastStreamingMs = clock.time();
        followed = primaryName;
        role(next, "following " + primaryName + " in epoch " + epoch);
    }

    /**
     * An async member: follow whoever the arbiter names primary, cutting off what the old primary sent beyond the new
     * epoch's start; be promoted when the operator asks.
     */
    private void asAsync()
    {
        final ArbiterResponse poll = ask(Kind.POLL, epoch, 0);
        if (null == poll)
        {
            return;
        }
        if (isPromoteWanted)
        {
            final ArbiterResponse promote = ask(Kind.PROMOTE, poll.epoch(), ArbiterProtocol.FLAG_VALUE,
                env.receivedTailLsn());
            if (null != promote && promote.isGranted())
            {
                isPromoteWanted = false;
                takeover(promote.epoch(), "promoted by the operator with data loss accepted: epoch=" + promote.epoch());
                return;
            }
        }
        if (isDivergedCut(MemberRole.DR_ASYNC, MirrorNode.Role.ASYNC))
        {
            return;
        }
        if (null != poll.primary() && poll.primary().equals(followed) && poll.epoch() == epoch &&
            isFailoverMemberNow(poll))
        {
            return;
        }
        if (null == poll.primary() || poll.primary().equals(followed) || poll.epoch() <= epoch)
        {
            refusedReason();
            return;
        }
        // A failover: the new primary's journal may lack what the old one sent this member last. Where to cut is
        // where the epoch after its journal's last one started: the followed primary may have begun epochs of its
        // own since this member started following it (a restart), which the journal holds and must keep.
        final List<EpochStart> history = env.journalEpochHistory();
        final long followedEpoch = history.isEmpty() ? epoch : history.get(history.size() - 1).epoch();
        final ArbiterResponse next = ask(Kind.POLL, followedEpoch, 0);
        if (null == next)
        {
            // Without the answer it cannot know where to cut: keep following as before and ask again next beat.
            return;
        }
        final long divergence = next.nextEpochLsn();
        env.stopFollowing();
        // Read once following stopped: a worker may apply up to its last record while the member closes.
        final long applied = env.appliedLsn();
        // Its extra records are undone from their before-images, as a fenced primary's are.
        if (divergence >= 0 && !undoAndCut(divergence, applied, "async member at a failover to " + poll.primary() +
            " in epoch " + poll.epoch()))
        {
            return;
        }
        epoch = poll.epoch();
        follow(poll.primary(), MemberRole.DR_ASYNC, MirrorNode.Role.ASYNC);
    }

    /**
     * An async member following the current primary: if the operator asked, ask the arbiter to make it the backup; once
     * the arbiter names it the backup (just now, or before a lost answer), follow the same primary as backup, without
     * a restart. Its journal is the primary's up to where it received, so it resumes there; the primary's commits
     * wait for it once it is ACTIVE, and it may take over once the arbiter holds it ACTIVE.
     *
     * @return true when it now follows as backup.
     */
    private boolean isFailoverMemberNow(final ArbiterResponse poll)
    {
        final String me = settings.memberName();
        boolean isBackup = me.equals(poll.backup());
        if (!isBackup && isJoinFailoverWanted)
        {
            final ArbiterResponse join = ask(Kind.JOIN_FAILOVER, epoch, 0, env.receivedTailLsn());
            isBackup = null != join && join.isGranted() && me.equals(join.backup());
            if (isBackup)
            {
                isJoinFailoverWanted = false;
                joins++;
                LOG.warn("async member joined as failover member: member={} primary={} epoch={} formerBackup={} {}",
                    me, followed, epoch, poll.backup(), join.message());
            }
        }
        if (!isBackup)
        {
            return false;
        }
        env.stopFollowing();
        follow(followed, MemberRole.BACKUP, MirrorNode.Role.BACKUP);
        return true;
    }

    /**
     * An async member the primary keeps refusing for its resume point is not streaming: its reason says so, rather
     * than the "following" of when it started.
     */
    private void refusedReason()
    {
        final String refusal = env.followerRefusal();
        final String why = null == refusal ? "following " + followed + " in epoch " + epoch :
            "ASYNC refused by " + followed + ", not streaming: " + refusal;
        if (!why.equals(reason))
        {
            LOG.warn("mirror node: member={} role={} epoch={} reason={}", settings.memberName(), role, epoch, why);
            reason = why;
        }
    }

    private void backup(final long nowMs)
    {
        if (isDivergedCut(MemberRole.BACKUP, MirrorNode.Role.BACKUP))
        {
            return;
        }
        final boolean isStreaming = env.isStreaming();
        if (isStreaming)
        {
            lastStreamingMs = nowMs;
        }
        final String failure = env.followerFailure();
        final ArbiterResponse poll = ask(Kind.POLL, epoch, isStreaming ? 0 : ArbiterProtocol.FLAG_LOST_PRIMARY);
        if (null != failure)
        {
            // Its store cannot reach its journal's end, so as primary it would serve (and ship on) a wrong store.
            final String why = env.isFollowerWaiting() ?
                "WAITING: this backup's journal lacks records its store holds; until it has received them again it " +
                "neither asks for nor accepts a takeover: " + failure :
                "FAILED: this backup cannot apply what it receives, so it neither asks for nor accepts a takeover: " +
                failure;
            if (!why.equals(reason) && env.isFollowerWaiting())
            {
                LOG.warn("mirror node: member={} role={} epoch={} reason={}", settings.memberName(), role, epoch, why);
                reason = why;
            }
            else if (!why.equals(reason))
            {
                LOG.error("mirror node: member={} role={} epoch={} reason={}", settings.memberName(), role, epoch, why);
                reason = why;
            }
            if (null != poll && poll.epoch() > epoch)
            {
                epoch = poll.epoch();
            }
            return;
        }
        if (null != poll && poll.isGranted() && settings.memberName().equals(poll.primary()))
        {
            takeover(poll.epoch(), "the arbiter already names this node primary: epoch=" + poll.epoch());
            return;
        }
        if (null != poll && poll.isGranted() && null != poll.backup() && !settings.memberName().equals(poll.backup()) &&
            poll.epoch() == epoch && null != followed && followed.equals(poll.primary()))
        {
            // An async member joined into this member's slot while the arbiter had lost it: it may no longer take
            // over, and the primary admits it only as an async member now.
            LOG.warn("backup replaced as failover member, following as async member: member={} backup={} epoch={}",
                settings.memberName(), poll.backup(), epoch);
            env.stopFollowing();
            follow(followed, MemberRole.DR_ASYNC, MirrorNode.Role.ASYNC);
            return;
        }
        if (null != poll && poll.epoch() > epoch)
        {
            epoch = poll.epoch();
        }
        if (!isStreaming)
        {
            // The arbiter grants only if it has lost the primary too and this node was ACTIVE.
            final ArbiterResponse takeover = ask(Kind.TAKEOVER, epoch, 0, env.receivedTailLsn());
            if (null != takeover && takeover.isGranted())
            {
                takeover(takeover.epoch(), "takeover granted: epoch=" + takeover.epoch() + " primaryLostForMs=" +
                    (nowMs - lastStreamingMs));
            }
        }
    }

    /**
     * Take over as primary of {@code newEpoch}: apply all received, stop receiving, then open as primary.
     */
    private void takeover(final long newEpoch, final String why)
    {
        final long startMs = clock.time();
        role(MirrorNode.Role.TAKING_OVER, why);
        if (!env.applyAllReceived())
        {
            role(MirrorNode.Role.FENCED, "cannot apply what was received before taking over: " +
                env.followerFailure());
            return;
        }
        env.stopFollowing();
        try
        {
            becomePrimary(newEpoch, why);
        }
        catch (final RuntimeException ex)
        {
            // The arbiter names this node primary of newEpoch: as a candidate it claims the role again next beat.
            role(MirrorNode.Role.CANDIDATE, "takeover failed, retrying as candidate: " + ex);
            throw ex;
        }
        takeovers++;
        lastTakeoverMs = clock.time() - startMs;
    }

    private void becomePrimary(final long newEpoch, final String why)
    {
        final String opened = env.openAsPrimary(newEpoch, this);
        epoch = newEpoch;
        isRevokeWanted = false;
        assignedBackup = null;
        role(MirrorNode.Role.PRIMARY, why + " " + opened);
    }

    private void asPrimary()
    {
        final String fencedBy = env.primaryFencedBy();
        if (null != fencedBy)
        {
            fence("a member knows a higher epoch: " + fencedBy);
            return;
        }
        final String backupMember = null != backupName ? backupName :
            (settings.isAsync() ? null : settings.partnerName());
        final long activeLsn = backupActiveLsn(backupMember);
        final boolean isBackupActive = activeLsn >= 0;
        if (isHandoverWanted && isBackupActive && env.memberDurableLsn(backupMember) >= env.primaryTailLsn())
        {
            final ArbiterResponse handover = ask(Kind.HANDOVER, epoch, 0);
            if (null != handover && handover.isGranted())
            {
                isHandoverWanted = false;
                final long end = env.primaryTailLsn();
                env.closePrimary();
                role(MirrorNode.Role.CANDIDATE, "handed over to " + backupMember + " at lsn=" + end +
                    ": it takes over, then this node follows it");
                return;
            }
        }
        final ArbiterResponse poll = ask(Kind.POLL, epoch, isBackupActive ? ArbiterProtocol.FLAG_BACKUP_ACTIVE : 0,
            activeLsn);
        // First: an answer of a higher epoch names the members of that epoch (perhaps this node as backup), not this
        // primary's.
        if (null != poll && poll.epoch() > epoch)
        {
            fence("the arbiter is in a higher epoch: epoch=" + poll.epoch() + " primary=" + poll.primary());
            return;
        }
        if (null != poll && null != poll.backup())
        {
            assignBackup(poll.backup());
            backupName = poll.backup();
        }
        if (null != poll && poll.isGranted() && poll.isBackupActive() && revokedEpoch == epoch)
        {
            // Already reset before the report that re-admitted the backup; kept so that however the arbiter came to
            // hold it ACTIVE, the next release asks it again.
            revokedEpoch = -1;
        }
        if (null != poll && poll.isBackupJoined() && poll.backup().equals(assignedBackup))
        {
            // Read after the joined backup was assigned: every report this primary sent about the member it
            // replaced carries at most this tail, so the arbiter takes only a report above it as the joined one's.
            ask(Kind.POLL, epoch, ArbiterProtocol.FLAG_PRIMARY_TAIL, env.primaryTailLsn());
        }
        if (isRevokeWanted && revokedEpoch != epoch)
        {
            // The tail: any ACTIVE report sent before this request carries at most it, so the arbiter ignores one
            // that arrives after the revoke.
            final ArbiterResponse revoke = ask(Kind.REVOKE_BACKUP, epoch, 0, env.primaryTailLsn());
            if (null != revoke && revoke.isGranted())
            {
                revokedEpoch = epoch;
                isRevokeWanted = false;
            }
        }
    }

    /**
     * The arbiter names {@code name} backup: the primary admits it as backup, and the failover member it may have
     * replaced only as an async member. Done once per name and primary; a failure is logged, not retried each beat.
     */
    private void assignBackup(final String name)
    {
        if (name.equals(assignedBackup))
        {
            return;
        }
        assignedBackup = name;
        try
        {
            env.assignBackup(name);
        }
        catch (final RuntimeException ex)
        {
            LOG.error("primary cannot admit the backup the arbiter names: member={} backup={} epoch={}",
                settings.memberName(), name, epoch, ex);
        }
    }

    /**
     * @return the backup's acknowledged durable LSN when it may be reported ACTIVE, else -1. A granted revoke stops
     * being honoured first (see the class comment), and only if the backup looks reportable, so a primary whose
     * backup is away keeps its release.
     */
    private long backupActiveLsn(final String backupMember)
    {
        if (null == backupMember || env.backupActiveLsn(backupMember) < 0)
        {
            return -1;
        }
        if (revokedEpoch == epoch)
        {
            revokedEpoch = -1;
            LOG.info("backup ACTIVE again: the next release asks the arbiter again: member={} backup={} epoch={}",
                settings.memberName(), backupMember, epoch);
        }
        // Read again after the reset: only this answer orders against a release on the old grant.
        return env.backupActiveLsn(backupMember);
    }

    /**
     * The primary's {@link BackupRelease}: true once the arbiter granted REVOKE_BACKUP, until the primary next
     * reports its backup ACTIVE (or in a forced epoch); otherwise asks the next beat to request it. Never blocks.
     */
    @Override
    public boolean mayRelease(final String backupName, final long primaryEpoch)
    {
        if (revokedEpoch == primaryEpoch || forcedEpoch == primaryEpoch)
        {
            return true;
        }
        isRevokeWanted = true;
        return false;
    }

    private void fence(final String why)
    {
        role(MirrorNode.Role.FENCED, why);
        env.closePrimary();
        isRejoinWanted = true;
    }

    /**
     * A primary fenced by a higher epoch, once the arbiter answers: undo on its store what it wrote beyond the new
     * epoch's start (from before-images), keep those journal bytes in a file, cut them off and follow the new
     * primary. If a record there has no before-image, the store cannot be undone: it stays FENCED, to be rebuilt.
     */
    private void rejoinAfterFence()
    {
        if (!isRejoinWanted)
        {
            return;
        }
        final List<EpochStart> history = env.journalEpochHistory();
        final long ownEpoch = history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
        final ArbiterResponse next = ask(Kind.POLL, ownEpoch, 0);
        if (null == next || null == next.primary() || settings.memberName().equals(next.primary()) ||
            next.epoch() <= ownEpoch)
        {
            return;
        }
        isRejoinWanted = false;
        final long divergence = next.nextEpochLsn();
        if (divergence < 0)
        {
            role(MirrorNode.Role.FENCED, "the arbiter does not know where epoch " + next.epoch() + " started: this " +
                "former primary must be rebuilt from " + next.primary());
            return;
        }
        if (env.journalEndLsn() > divergence)
        {
            final List<Long> withoutBeforeImage = env.undoBeyond(divergence);
            if (null != withoutBeforeImage)
            {
                role(MirrorNode.Role.FENCED, "records this former primary wrote beyond where epoch " + next.epoch() +
                    " started carry no before-image, so its store cannot be undone: it must be rebuilt; lsns=" +
                    withoutBeforeImage);
                return;
            }
            divergentBytes = env.truncateJournal(divergence);
            LOG.warn("fenced primary undid and cut its divergent records: member={} divergenceLsn={} keptIn={}",
                settings.memberName(), divergence, divergentBytes);
        }
        epoch = next.epoch();
        follow(next.primary(), MemberRole.BACKUP, MirrorNode.Role.BACKUP);
    }

    private ArbiterResponse ask(final Kind kind, final long knownEpoch, final int flags)
    {
        return ask(kind, knownEpoch, flags, -1);
    }

    private ArbiterResponse ask(final Kind kind, final long knownEpoch, final int flags, final long lsn)
    {
        // Until the arbiter has heard of the operator's force, every poll of the forced epoch tells it.
        final boolean isForceReport = isForceUnreported && kind == Kind.POLL && knownEpoch == forcedEpoch;
        final ArbiterResponse response = arbiter.request(new ArbiterRequest(kind, settings.mirrorName(),
            settings.memberName(), knownEpoch, isForceReport ? flags | ArbiterProtocol.FLAG_FORCED : flags, lsn));
        if (isForceReport && null != response && response.isGranted())
        {
            isForceUnreported = false;
            LOG.warn("the arbiter recorded the operator's force: member={} epoch={} {}", settings.memberName(),
                forcedEpoch, response);
        }
        if (null == response)
        {
            LOG.debug("arbiter unreachable: member={} request={}", settings.memberName(), kind);
        }
        else if (!response.isGranted() && kind != Kind.TAKEOVER)
        {
            LOG.info("arbiter refused: member={} request={} {}", settings.memberName(), kind, response);
        }
        return response;
    }

    private void role(final MirrorNode.Role next, final String why)
    {
        final MirrorNode.Role previous = role;
        role = next;
        reason = why;
        LOG.info("mirror node: member={} {} -> {} epoch={} reason={}", settings.memberName(), previous, next, epoch,
            why);
    }

    /**
     * A beat failed: say so in {@link #reason()}; the next beat tries again.
     *
     * @param ex what failed.
     */
    public void onError(final Throwable ex)
    {
        LOG.error("mirror node failed: member={} role={}", settings.memberName(), role, ex);
        reason = "failed: " + ex;
    }

    /**
     * The member is closing: no further beat acts.
     */
    public void close()
    {
        if (role != MirrorNode.Role.CLOSED)
        {
            role(MirrorNode.Role.CLOSED, "closed");
        }
    }

    /**
     * Planned switch: once the backup is ACTIVE and has every record durable, hand the role over.
     *
     * @param wanted true to hand over on a coming beat, false to give up the wish.
     */
    public void handoverWanted(final boolean wanted)
    {
        isHandoverWanted = wanted;
    }

    /**
     * Operator command for an isolated primary (failover rule 3): commits stop waiting for the backup in this epoch
     * without the arbiter's grant. The operator accepts that if the backup takes over meanwhile (the arbiter and the
     * backup may still see each other), commits acknowledged from now on may be lost. Logged, counted, shown in
     * {@link #reason()}, and reported to the arbiter when it answers again, which revokes the backup for the epoch and
     * records the epoch as forced in its epoch history.
     *
     * @param why the operator's reason, for the log.
     * @throws IllegalStateException when this member is not primary.
     */
    public void forceWithoutBackup(final String why)
    {
        final long primaryEpoch = epoch;
        if (role != MirrorNode.Role.PRIMARY)
        {
            throw new IllegalStateException("only a primary can be forced on without its backup: member=" +
                settings.memberName() + " role=" + role + " epoch=" + primaryEpoch);
        }
        forcedEpoch = primaryEpoch;
        isForceUnreported = true;
        forces++;
        reason = "PRIMARY forced on without its backup by the operator: epoch=" + primaryEpoch + " why=" + why;
        LOG.warn("operator forced the primary on without its backup: member={} epoch={} backup={} why={}; commits " +
            "acknowledged from now on are lost if the backup takes over", settings.memberName(), primaryEpoch,
            backupName, why);
    }

    /**
     * @return how many times the operator forced this member on without its backup.
     */
    public long forces()
    {
        return forces;
    }

    /**
     * @return the epoch the operator forced this member on in without its backup, or -1.
     */
    public long forcedEpoch()
    {
        return forcedEpoch;
    }

    /**
     * Operator command for an async member: ask the arbiter to promote it on a coming beat.
     *
     * @param wanted true to ask, false to give up the wish.
     */
    public void promoteWanted(final boolean wanted)
    {
        isPromoteWanted = wanted;
    }

    /**
     * Operator command for an async member following the primary: ask the arbiter on a coming beat to make it the
     * failover partner (granted only while the mirror's backup slot is free: no backup, or one the arbiter has lost).
     *
     * @param wanted true to ask, false to give up the wish.
     */
    public void joinFailoverWanted(final boolean wanted)
    {
        isJoinFailoverWanted = wanted;
    }

    /**
     * @return how many times this member joined as failover member.
     */
    public long joins()
    {
        return joins;
    }

    /**
     * @return the role.
     */
    public MirrorNode.Role role()
    {
        return role;
    }

    /**
     * @return why the member is in its role.
     */
    public String reason()
    {
        return reason;
    }

    /**
     * @return the epoch the member is in (as primary) or follows (as backup).
     */
    public long epoch()
    {
        return epoch;
    }

    /**
     * @return the file holding the journal bytes cut off when it rejoined as a former primary, or null.
     */
    public Path divergentBytes()
    {
        return divergentBytes;
    }

    /**
     * @return how many times this member undid and cut what its journal held beyond a divergence LSN.
     */
    public long divergences()
    {
        return divergences;
    }

    /**
     * @return takeovers made.
     */
    public long takeovers()
    {
        return takeovers;
    }

    /**
     * @return how long the last takeover took, from the grant to open for writes, in ms; -1 before any.
     */
    public long lastTakeoverMs()
    {
        return lastTakeoverMs;
    }
}
