package io.jmirror.shipper;

import io.jmirror.journal.Journal;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The primary's shipping side: listens for members, runs one {@link MemberSession} agent per connected member,
 * and answers {@link #awaitCommitted(long)}: a commit is done when it is durable locally and, while the backup is
 * ACTIVE, acked durable by the backup. The journal is the embedder's; the primary reads it and never closes it.
 * <pre>{@code
 * Primary primary = Primary.start(new PrimaryContext().journal(journal).tls(tls)
 *     .member(AllowedMember.of("backup-1", MemberRole.BACKUP)));
 * long lsn = appender.tcommit(txn);
 * primary.awaitCommitted(lsn);
 * }</pre>
 * The primary reigns in its journal's epoch ({@link Journal#epoch()}, opened by {@link Journal#startEpoch}). When a
 * member tells it of a higher epoch (its HELLO, ACK or HEARTBEAT carries one, or it answers STALE_EPOCH) the primary
 * is fenced: another member is primary. It acknowledges no further commit ({@link #awaitCommitted(long, long)} throws
 * {@code NOT_PRIMARY}), ends every link with a STALE_EPOCH, welcomes no member, logs it once and tells
 * {@link PrimaryContext#higherEpochHandler}. A fence is not lifted: the failover layer closes this primary.
 */
public final class Primary implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Primary.class);
    /** The name under which an unreadable positions file holds the whole journal for the member retention. */
    static final String UNKNOWN_POSITIONS = "(unreadable member positions)";

    private final PrimaryContext ctx;
    private final Journal journal;
    private final ServerSocketChannel server;
    private final InetSocketAddress address;
    private final AgentRunner listenerRunner;
    private final List<AgentRunner> sessionRunners = new CopyOnWriteArrayList<>();
    private final List<MemberSession> sessions = new CopyOnWriteArrayList<>();
    private final Map<String, MemberSession> registered = new HashMap<>();
    /** The allow-list, whose roles the failover layer may change ({@link #assignBackup}); read at each HELLO. */
    private final Map<String, AllowedMember> allowed = new ConcurrentHashMap<>();
    /** The journal each member still needs; guarded by this. */
    private final MemberRetention retention;
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong rejections = new AtomicLong();
    private final StatusFile statusFile;
    private final AtomicCounter errorCounter;
    private final AtomicCounter journalErrorsCounter;
    private final AtomicCounter rejectionCounter;
    private final AtomicCounter completeLsnCounter;
    private final AtomicCounter durableLsnCounter;
    private final AtomicCounter epochCounter;
    private final AtomicCounter fencedEpochCounter;
    private final AtomicCounter waitingForReleaseCounter;
    /** Every configured member's counters and why it last left, connected or not. */
    private final MemberStatuses memberStatuses;
    private final CommitPosition commitPosition;
    private volatile MemberSession backup;
    private final BackupGate backupGate = new BackupGate();
    private final LongSupplier journalDurableLsn;
    private volatile boolean isClosed;

    private Primary(final PrimaryContext ctx) throws IOException
    {
        this.ctx = ctx;
        this.journal = ctx.journal();
        this.journalDurableLsn = journal::durableLsn;
        // Room for the primary's own counters, 17 for each of up to 15 members, and an embedder's own.
        this.statusFile = StatusFile.create(ctx.statusDir(), 512);
        this.errorCounter = statusFile.newCounter(StatusCounterType.PRIMARY_ERRORS, "");
        this.journalErrorsCounter = statusFile.newCounter(StatusCounterType.PRIMARY_JOURNAL_ERRORS, "");
        this.rejectionCounter = statusFile.newCounter(StatusCounterType.PRIMARY_REJECTIONS, "");
        this.completeLsnCounter = statusFile.newCounter(StatusCounterType.PRIMARY_COMPLETE_LSN, "");
        this.durableLsnCounter = statusFile.newCounter(StatusCounterType.PRIMARY_DURABLE_LSN, "");
        this.epochCounter = statusFile.newCounter(StatusCounterType.PRIMARY_EPOCH, "");
        this.fencedEpochCounter = statusFile.newCounter(StatusCounterType.PRIMARY_FENCED_EPOCH, "");
        this.waitingForReleaseCounter = statusFile.newCounter(
            StatusCounterType.PRIMARY_WAITING_FOR_BACKUP_RELEASE, "");
        allowed.putAll(ctx.members());
        this.memberStatuses = new MemberStatuses(this, journal, statusFile, ctx.members());
        this.commitPosition = new CommitPosition(this, ctx, journal, backupGate, () -> backup, () -> isClosed,
            fencedEpochCounter);
        this.retention = new MemberRetention(ctx, journal, this::countError);
        // The retention is guarded by this monitor, from its first use on.
        synchronized (this)
        {
            retention.holdPersisted();
        }
        ServerSocketChannel opened = null;
        try
        {
            opened = ServerSocketChannel.open();
            this.server = opened;
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(ctx.bindAddress());
            server.configureBlocking(false);
            this.address = (InetSocketAddress)server.getLocalAddress();
            final LinkIdleStrategy listenerIdle = ShipperDefaults.listenerIdleStrategy();
            this.listenerRunner = new AgentRunner(
                listenerIdle, this::onError, null, new MemberListener(this, server, listenerIdle));
            AgentRunner.startOnThread(listenerRunner);
        }
        catch (final IOException | RuntimeException ex)
        {
            CloseHelper.quietClose(opened);
            synchronized (this)
            {
                // The journal is the embedder's and outlives this failed start: it must not keep files for it.
                retention.release();
            }
            memberStatuses.close();
            CloseHelper.quietClose(statusFile);
            throw ex;
        }
        if (null == ctx.tls())
        {
            LOG.warn("primary without TLS: members are not authenticated, so it listens on loopback only: address={}",
                address);
        }
        LOG.info("primary listening: address={} mirror={} members={} tls={}", address, journal.mirrorName(),
            ctx.members().values(), null != ctx.tls());
    }

    /**
     * Start listening for members.
     *
     * @param ctx configuration; concluded here.
     * @return the running primary.
     */
    public static Primary start(final PrimaryContext ctx)
    {
        ctx.conclude();
        try
        {
            return new Primary(ctx);
        }
        catch (final IOException ex)
        {
            throw new ShipperException(ShipperException.Code.IO_ERROR, "cannot listen: bindAddress=" +
                ctx.bindAddress() + " reason=" + ex, ex);
        }
    }

    /**
     * @return the address members connect to (with the port actually bound).
     */
    public InetSocketAddress address()
    {
        return address;
    }

    /**
     * @return the journal being shipped.
     */
    public Journal journal()
    {
        return journal;
    }

    PrimaryContext context()
    {
        return ctx;
    }

    void onAccepted(final SocketChannel channel)
    {
        if (isClosed)
        {
            CloseHelper.quietClose(channel);
            return;
        }
        Transport transport = null;
        final IdleStrategy idle = ctx.idleStrategySupplier().get();
        final MemberSession session;
        try
        {
            channel.configureBlocking(false);
            transport = null == ctx.tls() ? new PlainTransport(channel) : new TlsTransport(channel,
                ctx.tls().serverEngine());
            session = new MemberSession(this, transport, System.nanoTime(), idle);
        }
        catch (final IOException | RuntimeException ex)
        {
            countError();
            LOG.warn("cannot set up member connection: reason={}", ex.toString());
            CloseHelper.quietClose(transport);
            CloseHelper.quietClose(channel);
            return;
        }
        final AgentRunner runner = new AgentRunner(idle, this::onError, null, session);
        sessions.add(session);
        sessionRunners.add(runner);
        AgentRunner.startOnThread(runner);
        reapClosedRunners();
    }

    private void reapClosedRunners()
    {
        for (final AgentRunner runner : sessionRunners)
        {
            if (runner.isClosed() || ((MemberSession)runner.agent()).state() == TransferStatus.CLOSED)
            {
                sessionRunners.remove(runner);
                sessions.remove((MemberSession)runner.agent());
                CloseHelper.quietClose(runner);
            }
        }
    }

    /**
     * Admit a member whose HELLO checked out. A member that reconnects replaces its old session.
     *
     * @return null when admitted, else why not.
     */
    synchronized RejectReason register(final MemberSession session)
    {
        final String name = session.memberName();
        final MemberSession existing = registered.get(name);
        if (null != existing && existing != session)
        {
            existing.close("member reconnected");
        }
        if (session.member().role() == MemberRole.BACKUP)
        {
            for (final MemberSession other : registered.values())
            {
                if (other != existing && other.member().role() == MemberRole.BACKUP &&
                    other.state() != TransferStatus.CLOSED)
                {
                    return RejectReason.SECOND_BACKUP;
                }
            }
        }
        registered.put(name, session);
        return null;
    }

    synchronized void unregister(final MemberSession session)
    {
        if (null != session.member() && registered.get(session.memberName()) == session)
        {
            final long nowMs = System.currentTimeMillis();
            registered.remove(session.memberName());
            retention.onMemberLeft(session.memberName(), nowMs);
            memberStatuses.onMemberLeft(session, nowMs);
        }
        if (backup == session)
        {
            backup = null;
            commitPosition.wakeAll();
        }
    }

    /**
     * Keep the journal a member still needs: from the LSN it has durable.
     */
    synchronized void onMemberSeen(final String name, final long durableLsn)
    {
        final long nowMs = System.currentTimeMillis();
        memberStatuses.onMemberSeen(name, nowMs);
        retention.onMemberSeen(name, durableLsn, nowMs);
    }

    void onStateChange(final MemberSession session, final TransferStatus from, final TransferStatus to)
    {
        if (null != session.member() && session.member().role() == MemberRole.BACKUP)
        {
            backup = to == TransferStatus.CLOSED ? (backup == session ? null : backup) : session;
            if (to == TransferStatus.ACTIVE)
            {
                backupGate.onActive(session.memberName(), session.ackedDurableLsn(), journalDurableLsn);
            }
            else
            {
                checkBackupGate();
            }
            commitPosition.wakeAll();
        }
    }

    /**
     * The backup acknowledged: raise how far commits may go while it gates them.
     */
    void onBackupAck(final MemberSession session, final long durableLsn)
    {
        backupGate.onAck(session.memberName(), durableLsn);
    }

    /**
     * While the gating backup is not ACTIVE, ask whether commits may go on without it (failover rule 1). Runs on the
     * listener's duty cycle, so it is asked every few milliseconds until it says yes or the backup is back.
     */
    void checkBackupGate()
    {
        if (!backupGate.isGating())
        {
            return;
        }
        final MemberSession current = backup;
        if ((null == current || current.state() != TransferStatus.ACTIVE) &&
            backupGate.onNotActive(ctx.backupRelease(), journal.epoch()))
        {
            commitPosition.wakeAll();
        }
    }

    /**
     * What the failover layer may report to the arbiter: the backup is ACTIVE, with this durable LSN.
     *
     * @param name the backup's member name.
     * @return the backup's durable LSN as it acknowledged it, when its session is ACTIVE, commits wait for it and it
     * has acknowledged durable every commit this primary acknowledged without it ({@link BackupGate#activeReportLsn});
     * else -1.
     */
    public long backupActiveLsn(final String name)
    {
        final MemberSession current = backup;
        if (null == current || current.state() != TransferStatus.ACTIVE || !name.equals(current.memberName()))
        {
            return -1;
        }
        return backupGate.activeReportLsn(name);
    }

    /**
     * @return true while commits wait for a backup that is not ACTIVE, until the arbiter releases it or it is back:
     * a primary that has lost its backup (and, if the release never comes, the arbiter too) acknowledges nothing.
     */
    public boolean isWaitingForBackupRelease()
    {
        return backupGate.isWaitingForRelease();
    }

    /**
     * Purge journal files no member needs: members seen within {@code memberRetentionMs} hold what they have not
     * made durable; members not seen for longer are forgotten first.
     *
     * @return journal files deleted.
     */
    public int purge()
    {
        final long nowMs = System.currentTimeMillis();
        synchronized (this)
        {
            retention.forgetExpired(nowMs, registered.keySet());
            // Durable before any file goes, so a restarted primary holds what the members still need.
            if (!retention.persist())
            {
                return 0;
            }
        }
        return journal.purge();
    }

    /**
     * Wait until records are committed: durable locally and, while the backup is ACTIVE, acked durable by the backup.
     * A backup that misses the QoS timeout goes to TROUBLE and stops gating.
     * <p>
     * Once the primary is fenced (a member told it of a higher epoch, see {@link #isFenced()}) it is not primary any
     * more: a record committed before the fence still returns at once, anything else throws {@code NOT_PRIMARY}
     * naming the higher epoch, and so does a wait in progress when the fence comes. Never a false success.
     * <p>
     * {@code lsn} is a position in the journal: a record's LSN (as an append returns) or any position a getter
     * returned. The await returns once every record that starts before {@code lsn} is done, and the record that starts
     * at {@code lsn} too if one has been appended there by then. Done here means committed. So
     * {@code awaitCommitted(journal.tailLsn())}, or a member's {@link MemberStatus#durableLsn()}, returns once all
     * that was appended is committed, rather than waiting for a record nobody may ever append.
     * <p>
     * While it waits for the backup the calling thread wakes the backup's session (so the commit ships now, whatever
     * {@code maxBatchDelayNs} says), spins for {@code commitWaitSpinNs}, then parks until the session unparks it on
     * the ack that covers {@code lsn} or on a change of the backup's status.
     *
     * @param lsn a record's LSN, typically a TCOMMIT's, or a position a getter returned.
     * @throws ShipperException NOT_PRIMARY when the primary is fenced and {@code lsn} was not committed before; CLOSED
     *                          when the primary closes during the wait.
     */
    public void awaitCommitted(final long lsn)
    {
        awaitCommitted(lsn, Long.MAX_VALUE);
    }

    /**
     * {@link #awaitCommitted(long)} with a timeout; {@code lsn} means the same.
     *
     * @param lsn       a record's LSN, typically a TCOMMIT's, or a position a getter returned.
     * @param timeoutNs how long to wait.
     * @return true when committed, false on timeout.
     * @throws ShipperException NOT_PRIMARY when the primary is fenced and {@code lsn} was not committed before; CLOSED
     *                          when the primary closes during the wait.
     */
    public boolean awaitCommitted(final long lsn, final long timeoutNs)
    {
        return commitPosition.awaitCommitted(lsn, timeoutNs);
    }

    /**
     * {@link #awaitCommitted(long, long)} with the answer as a value instead of an exception: committed (with its
     * epoch), indeterminate when a failover or a close cut the wait off (with the higher epoch and its primary; see
     * {@link CommitOutcome#resolve}), or timed out while still primary.
     *
     * @param lsn       a record's LSN, typically a TCOMMIT's, or a position a getter returned.
     * @param timeoutNs how long to wait.
     * @return the outcome; never COMMITTED for a commit a failover could still lose.
     */
    public CommitOutcome awaitCommit(final long lsn, final long timeoutNs)
    {
        return commitPosition.awaitCommit(lsn, timeoutNs);
    }

    /**
     * A member told of an epoch higher than this primary's: it is fenced. Called by a session; the first call (and
     * any with a still higher epoch) logs, counts and tells the {@link PrimaryContext#higherEpochHandler}.
     *
     * @param epoch       the higher epoch.
     * @param primaryName its primary, or null when not known.
     * @param member      the member that told of it.
     * @param frame       what told of it.
     */
    void onHigherEpoch(final long epoch, final String primaryName, final String member, final String frame)
    {
        final long committedLsn = commitPosition.fence(epoch, primaryName);
        if (CommitPosition.NOT_FENCED == committedLsn)
        {
            return;
        }
        LOG.warn("primary fenced, it acknowledges no more commits and stops shipping: epoch={} primary={} " +
            "reignEpoch={} member={} frame={} committedLsn={}", epoch, primaryName, journal.epoch(), member, frame,
            committedLsn);
        commitPosition.wakeAll();
        for (final MemberSession session : sessions)
        {
            session.wakeUp();
        }
        final HigherEpochHandler handler = ctx.higherEpochHandler();
        if (null != handler)
        {
            try
            {
                handler.onHigherEpoch(epoch, primaryName);
            }
            catch (final RuntimeException ex)
            {
                countError();
                LOG.error("higher epoch handler failed: epoch={}", epoch, ex);
            }
        }
    }

    /**
     * @return the epoch this primary reigns in: its journal's ({@link Journal#epoch()}).
     */
    public long epoch()
    {
        return journal.epoch();
    }

    /**
     * @return true once a member told this primary of a higher epoch: it acknowledges no further commit and ships
     * nothing more.
     */
    public boolean isFenced()
    {
        return 0 != commitPosition.fencedEpoch();
    }

    /**
     * @return the highest epoch a member told this fenced primary of; 0 while it is not fenced.
     */
    public long fencedEpoch()
    {
        return commitPosition.fencedEpoch();
    }

    /**
     * @return the member that is primary in {@link #fencedEpoch()}, or null when not fenced or not known.
     */
    public String fencedPrimaryName()
    {
        return commitPosition.fencedPrimaryName();
    }

    /**
     * The backup's ack advanced: unpark the commits it covers. Called by the session after publishing the LSN.
     */
    void onDurableAck(final MemberSession session, final long durableLsn)
    {
        if (backup == session)
        {
            commitPosition.wake(durableLsn);
        }
    }

    /**
     * @return the status of every configured member (the allow-list), connected or not: a member without a session
     * is DOWN, with when it was last seen and why it left, was refused or failed.
     */
    public List<MemberStatus> memberStatus()
    {
        final List<MemberStatus> statuses = new ArrayList<>();
        for (final String name : ctx.members().keySet())
        {
            statuses.add(memberStatus(name));
        }
        return statuses;
    }

    /**
     * @return the transfer status of every open member session.
     */
    public List<MemberStatus> sessionStatus()
    {
        final List<MemberStatus> statuses = new ArrayList<>();
        for (final MemberSession session : sessions)
        {
            if (session.state() != TransferStatus.CLOSED)
            {
                statuses.add(session.status());
            }
        }
        return statuses;
    }

    /**
     * @param name a member name from a HELLO.
     * @return its allow-list entry, with the role it is admitted in now, or null when it is not on the list.
     */
    AllowedMember allowedMember(final String name)
    {
        return allowed.get(name);
    }

    /**
     * The failover layer learned from the arbiter which member is the backup: admit it as {@link MemberRole#BACKUP}
     * from now on, and any other member allowed as backup (the failover member it replaced) only as
     * {@link MemberRole#DR_ASYNC}: a replaced backup that comes back must not gate commits nor take over. A member
     * whose session no longer matches its role is disconnected; it reconnects in the role its node now follows in
     * (and is refused {@link RejectReason#ROLE_MISMATCH} until then). Reporting asyncs keep their role.
     *
     * @param name the backup the arbiter names; must be on the allow-list.
     * @throws ShipperException when it is not.
     */
    public void assignBackup(final String name)
    {
        if (!allowed.containsKey(name))
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG, "the arbiter names a backup that is " +
                "not on the primary's allow-list: member=" + name + " allowed=" + allowed.keySet());
        }
        final List<MemberSession> mismatched = new ArrayList<>();
        synchronized (this)
        {
            for (final AllowedMember entry : allowed.values())
            {
                final MemberRole next = entry.name().equals(name) ? MemberRole.BACKUP :
                    (entry.role() == MemberRole.BACKUP ? MemberRole.DR_ASYNC : entry.role());
                if (next == entry.role())
                {
                    continue;
                }
                allowed.put(entry.name(), entry.withRole(next));
                memberStatuses.counters(entry.name()).onRole(next);
                LOG.info("primary admits a member in another role: member={} role={} formerRole={} backup={}",
                    entry.name(), next, entry.role(), name);
                final MemberSession session = registered.get(entry.name());
                if (null != session && null != session.member() && session.member().role() != next)
                {
                    mismatched.add(session);
                }
            }
        }
        for (final MemberSession session : mismatched)
        {
            session.requestClose("the arbiter names another backup: backup=" + name + " member=" +
                session.memberName() + " now admitted as " + allowed.get(session.memberName()).role());
        }
    }

    MemberStatusCounters memberCounters(final String name)
    {
        return memberStatuses.counters(name);
    }

    synchronized boolean isRegistered(final MemberSession session)
    {
        return null != session.member() && registered.get(session.memberName()) == session;
    }

    /**
     * A REJECT was sent to a member that gave {@code name} in its HELLO; counted against it if it is configured.
     */
    void onRejected(final String name, final RejectReason why, final String reason)
    {
        memberStatuses.onRejected(name, why, reason);
    }

    void onMemberError(final String name, final String reason)
    {
        memberStatuses.onMemberError(name, reason);
    }

    /**
     * @param name a member name.
     * @return the member's current session status, DOWN when it has no session, or null when it is not configured.
     */
    public MemberStatus memberStatus(final String name)
    {
        if (!ctx.members().containsKey(name))
        {
            return null;
        }
        final MemberSession session;
        final String reason;
        synchronized (this)
        {
            session = registered.get(name);
            reason = memberStatuses.lastReason(name);
        }
        return null == session ? memberStatuses.downStatus(name, allowed.get(name).role(), reason) :
            session.status();
    }

    /**
     * Cut a member's link, as an operator or a fault-injecting test would. The member reconnects and resumes from its
     * durable LSN.
     *
     * @param name the member's name.
     * @param why  logged as the reason.
     * @return true when the member had a session to cut.
     */
    public boolean disconnect(final String name, final String why)
    {
        final MemberSession session;
        synchronized (this)
        {
            session = registered.get(name);
        }
        if (null == session)
        {
            return false;
        }
        session.requestClose(why);
        return true;
    }

    /**
     * Publish the journal's complete and durable LSN for readers of the status file; called by the listener agent.
     */
    void publishJournalPosition()
    {
        completeLsnCounter.setRelease(journal.completeLsn());
        durableLsnCounter.setRelease(journal.durableLsn());
        epochCounter.setRelease(journal.epoch());
        checkBackupGate();
        waitingForReleaseCounter.setRelease(backupGate.isWaitingForRelease() ? 1 : 0);
        journalErrorsCounter.setRelease(journal.agentErrors());
        memberStatuses.sampleRates(System.currentTimeMillis());
    }

    void countError()
    {
        errors.incrementAndGet();
        errorCounter.incrementRelease();
    }

    void countRejection()
    {
        rejections.incrementAndGet();
        rejectionCounter.incrementRelease();
    }

    StatusFile statusFile()
    {
        return statusFile;
    }

    /**
     * @return the primary's status file (in memory unless {@code statusDir} was set).
     */
    public StatusFile status()
    {
        return statusFile;
    }

    /**
     * @return link failures (malformed frames, protocol errors, I/O errors) since start.
     */
    public long errors()
    {
        return errors.get();
    }

    /**
     * @return members refused since start.
     */
    public long rejections()
    {
        return rejections.get();
    }

    private void onError(final Throwable ex)
    {
        if (ex instanceof org.agrona.concurrent.AgentTerminationException)
        {
            return; // a closed session ending its thread, not a failure
        }
        countError();
        LOG.error("primary agent failed", ex);
    }

    /**
     * Stop listening and close every member session. Safe to call twice.
     */
    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        commitPosition.wakeAll();
        CloseHelper.quietClose(listenerRunner);
        CloseHelper.quietClose(server);
        for (final AgentRunner runner : sessionRunners)
        {
            CloseHelper.quietClose(runner);
        }
        synchronized (this)
        {
            retention.close();
        }
        memberStatuses.close();
        CloseHelper.quietClose(statusFile);
        LOG.info("primary closed: address={}", address);
    }
}
