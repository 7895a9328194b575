package io.jmirror.mirror;

import io.jmirror.dejournal.DejournalContext;
import io.jmirror.dejournal.Dejournaler;
import io.jmirror.journal.EpochStart;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.ArbiterClient;
import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterProtocol.Kind;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.MemberStatus;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.Receiver;
import io.jmirror.shipper.ReceiverContext;
import io.jmirror.shipper.ShipperException;
import io.jmirror.shipper.TransferStatus;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One failover member: its journal and store, run as primary or as backup, switching role without a restart.
 * <pre>
 *   CANDIDATE --arbiter: I am (or may become) primary--> PRIMARY --a higher epoch--> FENCED
 *       |
 *       +--arbiter: the partner is primary--> BACKUP --primary lost, arbiter grants TAKEOVER--> TAKING_OVER --> PRIMARY
 * </pre>
 * A candidate accepts no write until the arbiter has confirmed the epoch (a restarted primary too). As backup it
 * receives and applies the primary's journal; when it has lost the primary it asks the arbiter to take over, which
 * is granted only if it was ACTIVE and the arbiter has lost the primary too. The takeover, each step safe to crash in
 * and repeat (a crashed node restarts as a candidate and the arbiter tells it it is primary): apply every record
 * received, write {@code EPOCH_START} for the granted epoch, roll back the transactions left open from their
 * before-images (journaled, so members roll back too), apply that to the store, open for writes. As primary its
 * commits wait for an ACTIVE backup until the arbiter releases it (failover rule 1); a primary that learns of a
 * higher epoch stops at once (FENCED).
 * <p>
 * A former primary that restarts finds, from the arbiter, where the epoch after its own started, keeps its journal
 * bytes beyond that in a file, cuts them off and follows as backup; if its store already holds records beyond that
 * point, or the point is unknown, it stops FENCED and says it must be rebuilt. A primary fenced while running
 * undoes on its store, from before-images, what it wrote beyond that point once the arbiter answers again, then
 * does the same; an async member follows whichever member is primary and is promoted only by the operator. Links
 * run over mutual TLS ({@link MirrorNodeContext#tls}) or, on loopback only, plain TCP.
 */
public final class MirrorNode implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MirrorNode.class);

    /**
     * The node's role.
     */
    public enum Role
    {
        /** Started; waiting for the arbiter to say who is primary. Accepts no write. */
        CANDIDATE,
        /** Receiving and applying the primary's journal. */
        BACKUP,
        /** An async (DR) member: receiving and applying whichever member is primary; promoted only by the operator. */
        ASYNC,
        /** Granted the next epoch; applying, rolling back, opening for writes. */
        TAKING_OVER,
        /** Open for writes. */
        PRIMARY,
        /** Was primary and learned of a higher epoch, or cannot follow the current primary: writes nothing. */
        FENCED,
        /** Closed. */
        CLOSED
    }

    private final MirrorNodeContext ctx;
    private final ArbiterClient arbiter;
    private final AgentRunner runner;
    private volatile Role role = Role.CANDIDATE;
    private volatile String reason = "started";
    private volatile long epoch;
    private volatile Journal journal;
    private volatile Primary primary;
    private volatile Member member;
    private volatile boolean isFencedByPeer;
    private volatile java.nio.file.Path divergentBytes;
    private volatile boolean isRevokeWanted;
    private volatile boolean isHandoverWanted;
    private volatile boolean isPromoteWanted;
    private volatile boolean isRejoinWanted;
    private volatile String followed;
    private volatile String backupName;
    private volatile long revokedEpoch = -1;
    private long lastStreamingMs = System.currentTimeMillis();
    private long takeovers;
    private long lastTakeoverMs = -1;

    private MirrorNode(final MirrorNodeContext ctx)
    {
        this.ctx = ctx;
        this.arbiter = new ArbiterClient(ctx.arbiterAddress(), ctx.tls(), (int)ctx.qosTimeoutMs());
        this.runner = new AgentRunner(new SleepingMillisIdleStrategy(Math.max(1, ctx.heartbeatIntervalMs() / 4)),
            this::onError, null, new Control());
        AgentRunner.startOnThread(runner);
    }

    /**
     * @param ctx configuration; concluded here.
     * @return the node, a candidate until the arbiter answers.
     */
    public static MirrorNode start(final MirrorNodeContext ctx)
    {
        ctx.conclude();
        return new MirrorNode(ctx);
    }

    /**
     * The node's duty cycle: once per heartbeat, talk to the arbiter and act on the role.
     */
    private final class Control implements Agent
    {
        private long nextMs;

        @Override
        public int doWork()
        {
            final long nowMs = System.currentTimeMillis();
            if (nowMs < nextMs)
            {
                return 0;
            }
            nextMs = nowMs + ctx.heartbeatIntervalMs();
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
            return 1;
        }

        @Override
        public String roleName()
        {
            return "jmirror-node-" + ctx.memberName();
        }
    }

    private void candidate()
    {
        final List<EpochStart> history = diskHistory();
        final long diskEpoch = history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
        final ArbiterResponse poll = ask(Kind.POLL, diskEpoch, 0);
        if (null == poll || !poll.isGranted())
        {
            return;
        }
        final String me = ctx.memberName();
        if (ctx.isAsync() && !me.equals(poll.primary()))
        {
            if (null != poll.primary())
            {
                epoch = poll.epoch();
                follow(poll.primary(), MemberRole.DR_ASYNC, Role.ASYNC);
            }
            return;
        }
        if ((null == poll.primary() && ctx.initialPrimary()) || me.equals(poll.primary()))
        {
            final ArbiterResponse claim = ask(Kind.CLAIM_PRIMARY, Math.max(diskEpoch, poll.epoch()), 0,
                history.isEmpty() && !Journal.exists(ctx.journalContext().journalDir()) ? 0 : diskEndLsn());
            if (null != claim && claim.isGranted())
            {
                becomePrimary(claim.epoch(), "the arbiter names this node primary: epoch=" + claim.epoch());
            }
        }
        else if (null != poll.primary())
        {
            final EpochStart last = history.isEmpty() ? null : history.get(history.size() - 1);
            if (null != last && me.equals(last.memberName()) && !rejoin(last.epoch(), poll))
            {
                return;
            }
            epoch = poll.epoch();
            follow(poll.primary(), MemberRole.BACKUP, Role.BACKUP);
        }
    }

    /**
     * This node was primary in {@code ownEpoch} and another member is primary now: its journal may hold records the
     * new primary never had. Cut them off at the start of the next epoch (keeping them in a file beside the journal)
     * so it can follow, if its store holds none of them; otherwise it must be rebuilt.
     *
     * @return true when it may follow now.
     */
    private boolean rejoin(final long ownEpoch, final ArbiterResponse poll)
    {
        final ArbiterResponse next = ask(Kind.POLL, ownEpoch, 0);
        final long divergence = null == next ? -1 : next.nextEpochLsn();
        if (divergence < 0)
        {
            role(Role.FENCED, "this node was primary in epoch " + ownEpoch + " and " + poll.primary() + " is primary" +
                " in epoch " + poll.epoch() + ", but the arbiter does not know where the next epoch starts: this " +
                "former primary must be rebuilt from the primary");
            return false;
        }
        final long storeLsn = ctx.target().recoveredLsn();
        if (storeLsn > divergence)
        {
            role(Role.FENCED, "this former primary's store holds records up to " + storeLsn + ", beyond where epoch " +
                (ownEpoch + 1) + " started (" + divergence + "): it must be rebuilt from the primary");
            return false;
        }
        final java.nio.file.Path kept = io.jmirror.journal.JournalTruncation.truncate(
            ctx.journalContext().journalDir(), Math.min(divergence, diskEndLsn()));
        LOG.warn("former primary rejoins: member={} ownEpoch={} divergenceLsn={} divergentBytesKeptIn={}",
            ctx.memberName(), ownEpoch, divergence, kept);
        divergentBytes = kept;
        return true;
    }

    private long diskEndLsn()
    {
        try (Journal onDisk = Journal.openReadOnly(ctx.journalContext().journalDir()))
        {
            return onDisk.tailLsn();
        }
    }

    private List<EpochStart> diskHistory()
    {
        final JournalContext journalContext = ctx.journalContext();
        if (!Journal.exists(journalContext.journalDir()))
        {
            return List.of();
        }
        try (Journal onDisk = Journal.openReadOnly(journalContext.journalDir()))
        {
            return onDisk.epochHistory();
        }
    }

    private void follow(final String primaryName, final MemberRole memberRole, final Role next)
    {
        member = Member.start(new MemberContext().target(ctx.target()).workers(ctx.workers())
            .receiverContext(new ReceiverContext().memberName(ctx.memberName()).role(memberRole)
                .mirrorName(ctx.mirrorName()).primaryAddress(ctx.connectAddressOf(primaryName))
                .insecure(null == ctx.tls()).tls(ctx.tls()).primaryName(primaryName)
                .heartbeatIntervalMs(ctx.heartbeatIntervalMs()).qosTimeoutMs(ctx.qosTimeoutMs())
                .reconnectIntervalMs(Math.max(10, ctx.heartbeatIntervalMs() / 2))
                .journalContext(ctx.journalContext())));
        lastStreamingMs = System.currentTimeMillis();
        followed = primaryName;
        role(next, "following " + primaryName + " in epoch " + epoch);
    }

    /**
     * An async member: follow whoever the arbiter names primary, cutting off what the old primary sent beyond the new
     * epoch's start; be promoted when the operator asks.
     */
    private void asAsync()
    {
        final Member current = member;
        final ArbiterResponse poll = ask(Kind.POLL, epoch, 0);
        if (null == poll)
        {
            return;
        }
        if (isPromoteWanted)
        {
            final Journal received = current.receiver().journal();
            final ArbiterResponse promote = ask(Kind.PROMOTE, poll.epoch(), ArbiterProtocol.FLAG_VALUE,
                null == received ? 0 : received.tailLsn());
            if (null != promote && promote.isGranted())
            {
                isPromoteWanted = false;
                takeover(promote.epoch(), "promoted by the operator with data loss accepted: epoch=" + promote.epoch());
                return;
            }
        }
        if (null == poll.primary() || poll.primary().equals(followed) || poll.epoch() <= epoch)
        {
            return;
        }
        // A failover: the new primary's journal may lack what the old one sent this member last.
        final long followedEpoch = epoch;
        final long applied = null == current.dejournaler() ? -1 : current.dejournaler().appliedLsn();
        CloseHelper.quietClose(current);
        member = null;
        final ArbiterResponse next = ask(Kind.POLL, followedEpoch, 0);
        final long divergence = null == next ? -1 : next.nextEpochLsn();
        final long end = diskEndLsn();
        if (divergence >= 0 && end > divergence)
        {
            if (Math.max(applied, ctx.target().recoveredLsn()) > divergence)
            {
                role(Role.FENCED, "this async member applied records up to " + Math.max(applied,
                    ctx.target().recoveredLsn()) + ", beyond where epoch " + poll.epoch() + " started (" + divergence +
                    "): it must be rebuilt from the primary");
                return;
            }
            divergentBytes = io.jmirror.journal.JournalTruncation.truncate(ctx.journalContext().journalDir(),
                divergence);
        }
        epoch = poll.epoch();
        follow(poll.primary(), MemberRole.DR_ASYNC, Role.ASYNC);
    }

    private void backup(final long nowMs)
    {
        final Member current = member;
        if (current.receiver().state() == Receiver.State.STREAMING)
        {
            lastStreamingMs = nowMs;
        }
        final boolean isStreaming = current.receiver().state() == Receiver.State.STREAMING;
        final ArbiterResponse poll = ask(Kind.POLL, epoch, isStreaming ? 0 : ArbiterProtocol.FLAG_LOST_PRIMARY);
        if (null != poll && poll.isGranted() && ctx.memberName().equals(poll.primary()))
        {
            takeover(poll.epoch(), "the arbiter already names this node primary: epoch=" + poll.epoch());
            return;
        }
        if (null != poll && poll.epoch() > epoch)
        {
            epoch = poll.epoch();
        }
        if (current.receiver().state() != Receiver.State.STREAMING)
        {
            // The arbiter grants only if it has lost the primary too and this node was ACTIVE.
            final Journal received = current.receiver().journal();
            final ArbiterResponse takeover = ask(Kind.TAKEOVER, epoch, 0, null == received ? 0 : received.tailLsn());
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
        final long startMs = System.currentTimeMillis();
        role(Role.TAKING_OVER, why);
        final Member current = member;
        final Journal received = current.receiver().journal();
        if (null != received)
        {
            while (null == current.dejournaler() ||
                !current.dejournaler().awaitApplied(received.tailLsn(), TimeUnit.MILLISECONDS.toNanos(100)))
            {
                if (null != current.lastWiringError() || role == Role.CLOSED)
                {
                    role(Role.FENCED, "cannot apply what was received before taking over: " +
                        current.lastWiringError());
                    return;
                }
            }
        }
        CloseHelper.quietClose(current);
        member = null;
        try
        {
            becomePrimary(newEpoch, why);
        }
        catch (final RuntimeException ex)
        {
            // The arbiter names this node primary of newEpoch: as a candidate it claims the role again next beat.
            role(Role.CANDIDATE, "takeover failed, retrying as candidate: " + ex);
            throw ex;
        }
        takeovers++;
        lastTakeoverMs = System.currentTimeMillis() - startMs;
    }

    /**
     * Open the journal for writes in {@code newEpoch}: {@code EPOCH_START} if the journal is not in it yet, roll back
     * what was left open, bring the store up to the journal's end, then start shipping.
     */
    private void becomePrimary(final long newEpoch, final String why)
    {
        final Journal opened = Journal.open(ctx.journalContext());
        try
        {
            if (opened.epoch() < newEpoch)
            {
                opened.startEpoch(newEpoch, ctx.memberName());
            }
            final io.jmirror.dejournal.TransactionRollback.Result rollback =
                io.jmirror.dejournal.TransactionRollback.rollBackOpenTransactions(opened, opened.startLsn());
            if (!rollback.withoutBeforeImage().isEmpty())
            {
                LOG.error("open transactions held records without before-images; they stay applied: lsns={}",
                    rollback.withoutBeforeImage());
            }
            try (Dejournaler apply = Dejournaler.start(new DejournalContext().journal(opened).target(ctx.target())
                .workers(ctx.workers())))
            {
                while (!apply.awaitApplied(opened.tailLsn(), TimeUnit.SECONDS.toNanos(1)))
                {
                    LOG.info("bringing the store up to the journal before opening for writes: {}", apply.status());
                }
            }
            epoch = newEpoch;
            isRevokeWanted = false;
            journal = opened;
            final PrimaryContext primaryContext = new PrimaryContext().journal(opened).insecure(null == ctx.tls())
                .tls(ctx.tls())
                .bindAddress(ctx.addressOf(ctx.memberName()));
            for (final String name : ctx.failoverMemberNames())
            {
                if (!name.equals(ctx.memberName()))
                {
                    primaryContext.member(AllowedMember.of(name, MemberRole.BACKUP));
                }
            }
            for (final String name : ctx.asyncMemberNames())
            {
                if (!name.equals(ctx.memberName()))
                {
                    primaryContext.member(AllowedMember.of(name, MemberRole.DR_ASYNC));
                }
            }
            primary = Primary.start(primaryContext
                .qosTimeoutMs(ctx.qosTimeoutMs()).heartbeatIntervalMs(ctx.heartbeatIntervalMs())
                .backupRelease(this::mayRelease)
                .higherEpochHandler((higher, name) -> isFencedByPeer = true));
            role(Role.PRIMARY, why + " rolledBack=" + rollback.transactions());
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(opened);
            journal = null;
            throw ex;
        }
    }

    private void asPrimary()
    {
        final Primary current = primary;
        if (isFencedByPeer || current.isFenced())
        {
            fence("a member knows a higher epoch: fencedEpoch=" + current.fencedEpoch() + " primary=" +
                current.fencedPrimaryName());
            return;
        }
        final String backupMember = null != backupName ? backupName :
            (ctx.isAsync() ? null : ctx.partnerName());
        final MemberStatus backup = null == backupMember ? null : current.memberStatus(backupMember);
        final boolean isBackupActive = null != backup &&
            TransferStatus.ACTIVE.name().equals(backup.transferStatus());
        if (isHandoverWanted && isBackupActive && backup.durableLsn() >= journal.tailLsn())
        {
            final ArbiterResponse handover = ask(Kind.HANDOVER, epoch, 0);
            if (null != handover && handover.isGranted())
            {
                isHandoverWanted = false;
                final long end = journal.tailLsn();
                CloseHelper.quietClose(current);
                primary = null;
                CloseHelper.quietClose(journal);
                journal = null;
                role(Role.CANDIDATE, "handed over to " + backupMember + " at lsn=" + end +
                    ": it takes over, then this node follows it");
                return;
            }
        }
        final ArbiterResponse poll = ask(Kind.POLL, epoch, isBackupActive ? ArbiterProtocol.FLAG_BACKUP_ACTIVE : 0);
        if (null != poll && null != poll.backup())
        {
            backupName = poll.backup();
        }
        if (null != poll && poll.epoch() > epoch)
        {
            fence("the arbiter is in a higher epoch: epoch=" + poll.epoch() + " primary=" + poll.primary());
            return;
        }
        if (isRevokeWanted && revokedEpoch != epoch)
        {
            final ArbiterResponse revoke = ask(Kind.REVOKE_BACKUP, epoch, 0);
            if (null != revoke && revoke.isGranted())
            {
                revokedEpoch = epoch;
                isRevokeWanted = false;
            }
        }
    }

    /**
     * The primary's {@link io.jmirror.shipper.BackupRelease}: true once the arbiter granted REVOKE_BACKUP in this
     * epoch; otherwise asks the control loop to request it.
     */
    private boolean mayRelease(final String backupName, final long primaryEpoch)
    {
        if (revokedEpoch == primaryEpoch)
        {
            return true;
        }
        isRevokeWanted = true;
        return false;
    }

    private void fence(final String why)
    {
        role(Role.FENCED, why);
        CloseHelper.quietClose(primary);
        primary = null;
        CloseHelper.quietClose(journal);
        journal = null;
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
        final List<EpochStart> history = diskHistory();
        final long ownEpoch = history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
        final ArbiterResponse next = ask(Kind.POLL, ownEpoch, 0);
        if (null == next || null == next.primary() || ctx.memberName().equals(next.primary()) ||
            next.epoch() <= ownEpoch)
        {
            return;
        }
        isRejoinWanted = false;
        final long divergence = next.nextEpochLsn();
        if (divergence < 0)
        {
            role(Role.FENCED, "the arbiter does not know where epoch " + next.epoch() + " started: this former " +
                "primary must be rebuilt from " + next.primary());
            return;
        }
        if (diskEndLsn() > divergence)
        {
            final io.jmirror.dejournal.DivergenceUndo.Result undone;
            try (Journal onDisk = Journal.openReadOnly(ctx.journalContext().journalDir()))
            {
                undone = io.jmirror.dejournal.DivergenceUndo.undo(onDisk, divergence, ctx.target(),
                    ctx.dir().resolve("undo-scratch"));
            }
            if (!undone.isUndone())
            {
                role(Role.FENCED, "records this former primary wrote beyond where epoch " + next.epoch() +
                    " started carry no before-image, so its store cannot be undone: it must be rebuilt; lsns=" +
                    undone.withoutBeforeImage());
                return;
            }
            divergentBytes = io.jmirror.journal.JournalTruncation.truncate(ctx.journalContext().journalDir(),
                divergence);
            LOG.warn("fenced primary undid and cut its divergent records: member={} records={} keptIn={}",
                ctx.memberName(), undone.recordsUndone(), divergentBytes);
        }
        epoch = next.epoch();
        follow(next.primary(), MemberRole.BACKUP, Role.BACKUP);
    }

    private ArbiterResponse ask(final Kind kind, final long knownEpoch, final int flags)
    {
        return ask(kind, knownEpoch, flags, -1);
    }

    private ArbiterResponse ask(final Kind kind, final long knownEpoch, final int flags, final long lsn)
    {
        try
        {
            final ArbiterResponse response = arbiter.request(
                new ArbiterRequest(kind, ctx.mirrorName(), ctx.memberName(), knownEpoch, flags, lsn));
            if (!response.isGranted() && kind != Kind.TAKEOVER)
            {
                LOG.info("arbiter refused: member={} request={} {}", ctx.memberName(), kind, response);
            }
            return response;
        }
        catch (final ShipperException ex)
        {
            LOG.debug("arbiter unreachable: member={} request={} reason={}", ctx.memberName(), kind,
                ex.getMessage());
            return null;
        }
    }

    private void role(final Role next, final String why)
    {
        final Role previous = role;
        role = next;
        reason = why;
        LOG.info("mirror node: member={} {} -> {} epoch={} reason={}", ctx.memberName(), previous, next, epoch, why);
    }

    private void onError(final Throwable ex)
    {
        LOG.error("mirror node failed: member={} role={}", ctx.memberName(), role, ex);
        reason = "failed: " + ex;
    }

    /**
     * @return the node's role.
     */
    public Role role()
    {
        return role;
    }

    /**
     * @return why the node is in its role.
     */
    public String reason()
    {
        return reason;
    }

    /**
     * @return the epoch the node is in (as primary) or follows (as backup).
     */
    public long epoch()
    {
        return epoch;
    }

    /**
     * @return the journal while primary (append to it under the lock you change the store with), else null.
     */
    public Journal journal()
    {
        return journal;
    }

    /**
     * @return the primary while primary ({@code awaitCommitted}), else null.
     */
    public Primary primary()
    {
        return primary;
    }

    /**
     * @return the member (receiver and dejournaler) while backup, else null.
     */
    public Member member()
    {
        return member;
    }

    /**
     * @return the file holding the journal bytes this node cut off when it rejoined as a former primary, or null.
     */
    public java.nio.file.Path divergentBytes()
    {
        return divergentBytes;
    }

    /**
     * @return takeovers this node made since start.
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

    /**
     * Planned switch: hand the primary role to the ACTIVE backup with no commit lost. Stop writing first; the node
     * waits until the backup has every record durable, tells the arbiter, and closes its primary; the backup then
     * takes over at once (it need not wait for the QoS timeout) and this node follows it as backup.
     *
     * @param timeoutMs longest wait for the backup to take over.
     * @return true once the partner is primary and this node is its backup (or on its way to it).
     */
    public boolean handOver(final long timeoutMs)
    {
        if (role != Role.PRIMARY)
        {
            return false;
        }
        isHandoverWanted = true;
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (role == Role.PRIMARY)
        {
            if (System.currentTimeMillis() > deadline)
            {
                isHandoverWanted = false;
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        return awaitRole(Role.BACKUP, Math.max(0, deadline - System.currentTimeMillis()));
    }

    /**
     * Operator command for an async member: become primary now that both failover members are lost, accepting that
     * commits they acknowledged beyond what this member received are lost (the arbiter records the epoch as forced).
     *
     * @param timeoutMs longest wait.
     * @return true once this node is primary.
     */
    public boolean promote(final long timeoutMs)
    {
        if (role != Role.ASYNC)
        {
            return false;
        }
        isPromoteWanted = true;
        final boolean promoted = awaitRole(Role.PRIMARY, timeoutMs);
        isPromoteWanted = false;
        return promoted;
    }

    /**
     * Wait until the node is in {@code expected}.
     *
     * @return true when it is, false on timeout.
     */
    public boolean awaitRole(final Role expected, final long timeoutMs)
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (role != expected)
        {
            if (System.currentTimeMillis() > deadline)
            {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return true;
    }

    /**
     * Stop: nothing is handed over, so to the arbiter and the partner this looks like a crash. Safe to call twice.
     */
    @Override
    public void close()
    {
        if (role == Role.CLOSED)
        {
            return;
        }
        CloseHelper.quietClose(runner);
        role(Role.CLOSED, "closed");
        CloseHelper.quietClose(primary);
        CloseHelper.quietClose(journal);
        CloseHelper.quietClose(member);
        CloseHelper.quietClose(arbiter);
        primary = null;
        journal = null;
        member = null;
    }

}
