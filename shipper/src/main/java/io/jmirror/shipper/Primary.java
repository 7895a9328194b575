package io.jmirror.shipper;

import io.jmirror.journal.EpochStart;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalConsumer;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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
    /** Threads that can park in {@link #awaitCommitted} to be unparked by the backup's ack; more poll. */
    private static final int COMMIT_WAITERS_MAX = 256;
    /** The name under which an unreadable positions file holds the whole journal for the member retention. */
    static final String UNKNOWN_POSITIONS = "(unreadable member positions)";
    /** Longest park of a registered commit waiter: only a safety net, the ack or a gate change unparks it. */
    private static final long COMMIT_WAIT_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Park of a commit waiter that found no free slot and so polls the ack. */
    private static final long COMMIT_WAIT_POLL_NS = TimeUnit.MICROSECONDS.toNanos(50);
    /** How often the transfer rates are computed from the byte counters. */
    private static final long RATE_SAMPLE_INTERVAL_MS = 1000;

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
    private final Map<String, JournalConsumer> memberConsumers = new HashMap<>();
    private final Map<String, Long> lastSeenMs = new HashMap<>();
    private final MemberPositions positions;
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
    /** Every configured member's counters, from start to close, connected or not. */
    private final Map<String, MemberStatusCounters> memberCounters = new HashMap<>();
    /** Why each configured member last left, was refused or failed; guarded by this. */
    private final Map<String, String> lastReasons = new HashMap<>();
    private long lastRateSampleMs;
    private final CommitWaiters commitWaiters = new CommitWaiters(COMMIT_WAITERS_MAX);
    private volatile MemberSession backup;
    private final BackupGate backupGate = new BackupGate();
    private final LongSupplier journalDurableLsn;
    private volatile boolean isClosed;
    /** The higher epoch that fenced this primary; 0 while it is not fenced. */
    private volatile long fencedEpoch;
    private volatile String fencedPrimaryName;
    /** The commit position when the fence was published: what was committed before it stays committed. */
    private long fencedCommitLsn = -1;

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
        for (final String name : ctx.members().keySet())
        {
            allowed.put(name, ctx.members().get(name));
            memberCounters.put(name, new MemberStatusCounters(statusFile, name, ctx.members().get(name).role()));
        }
        this.positions = new MemberPositions(journal.dir());
        holdPersistedPositions();
        this.server = ServerSocketChannel.open();
        try
        {
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
            CloseHelper.quietClose(server);
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
            lastSeenMs.put(session.memberName(), nowMs);
            lastReasons.put(session.memberName(), session.status().reason());
            final MemberStatusCounters counters = memberCounters.get(session.memberName());
            counters.onSeen(nowMs);
            counters.onDown(session.status().reason());
        }
        if (backup == session)
        {
            backup = null;
            commitWaiters.wakeAll();
        }
    }

    /**
     * After a restart: hold the journal from each member's persisted position, as if the member had just been seen,
     * so a purge keeps what it needs until it is back or its retention passes. An unreadable file holds the whole
     * journal for the same retention instead, under one name, and is counted and logged. Positions of an older epoch
     * hold from at most where the next epoch started (a member may have cut its journal back to there since).
     */
    private synchronized void holdPersistedPositions()
    {
        final long nowMs = System.currentTimeMillis();
        Map<String, Long> persisted;
        try
        {
            final MemberPositions.Persisted read = positions.read();
            persisted = read.positions();
            if (read.epoch() >= 0 && read.epoch() < journal.epoch())
            {
                persisted = clampToLaterEpoch(read.epoch(), persisted);
            }
            else if (read.epoch() > journal.epoch())
            {
                // Written in a reign this journal was cut back below since: it describes another history.
                LOG.info("member positions of a later epoch than the journal's not used: file={} epoch={} " +
                    "journalEpoch={}", positions.file(), read.epoch(), journal.epoch());
                persisted = Map.of();
            }
        }
        catch (final ShipperException ex)
        {
            countError();
            LOG.error("member positions unreadable, holding the whole journal for the member retention: {}",
                ex.getMessage());
            persisted = Map.of(UNKNOWN_POSITIONS, journal.startLsn());
        }
        for (final Map.Entry<String, Long> entry : persisted.entrySet())
        {
            final long lsn = Math.max(entry.getValue(), journal.startLsn());
            memberConsumers.put(entry.getKey(), journal.registerConsumer("member:" + entry.getKey(), lsn));
            lastSeenMs.put(entry.getKey(), nowMs);
        }
        if (!persisted.isEmpty())
        {
            LOG.info("member positions restored: file={} positions={}", positions.file(), persisted);
        }
    }

    /**
     * Positions written in an older epoch: a member may since have cut its journal back to where a later epoch
     * started (never below the first of them, the lowest since epochs start in LSN order), so hold from there at
     * most. A restart of this primary starts a new epoch, so this is the common case, and dropping the positions would
     * let a purge remove what a member still needs. Without a known start, hold the whole journal.
     */
    private Map<String, Long> clampToLaterEpoch(final long writtenEpoch, final Map<String, Long> persisted)
    {
        long laterStart = journal.startLsn();
        for (final EpochStart start : journal.epochHistory())
        {
            if (start.epoch() > writtenEpoch)
            {
                laterStart = start.lsn() == EpochStart.PURGED ? journal.startLsn() : start.lsn();
                break;
            }
        }
        final Map<String, Long> clamped = new HashMap<>();
        for (final Map.Entry<String, Long> entry : persisted.entrySet())
        {
            clamped.put(entry.getKey(), Math.min(entry.getValue(), laterStart));
        }
        LOG.info("member positions of an older epoch held from at most the next epoch's start: file={} epoch={} " +
            "journalEpoch={} heldFrom={}", positions.file(), writtenEpoch, journal.epoch(), laterStart);
        return clamped;
    }

    /**
     * Keep the journal a member still needs: from the LSN it has durable.
     */
    synchronized void onMemberSeen(final String name, final long durableLsn)
    {
        final long nowMs = System.currentTimeMillis();
        lastSeenMs.put(name, nowMs);
        final MemberStatusCounters seen = memberCounters.get(name);
        if (null != seen)
        {
            seen.onSeen(nowMs);
        }
        final JournalConsumer consumer = memberConsumers.get(name);
        if (null == consumer)
        {
            memberConsumers.put(name, journal.registerConsumer("member:" + name, durableLsn));
        }
        else if (durableLsn > consumer.position())
        {
            consumer.position(durableLsn);
        }
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
            commitWaiters.wakeAll();
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
            commitWaiters.wakeAll();
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
            final List<String> expired = new ArrayList<>();
            for (final Map.Entry<String, JournalConsumer> entry : memberConsumers.entrySet())
            {
                final Long seen = lastSeenMs.get(entry.getKey());
                if (!registered.containsKey(entry.getKey()) &&
                    (null == seen || nowMs - seen > ctx.memberRetentionMs()))
                {
                    expired.add(entry.getKey());
                }
            }
            for (final String name : expired)
            {
                memberConsumers.remove(name).close();
                LOG.info("member no longer holds journal files: member={} retentionMs={}", name,
                    ctx.memberRetentionMs());
            }
            // Durable before any file goes, so a restarted primary holds what the members still need.
            if (!persistPositions())
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
        final long startNs = System.nanoTime();
        if (0 != fencedEpoch)
        {
            return isCommittedBeforeFence(lsn);
        }
        if (!journal.awaitDurable(lsn, timeoutNs))
        {
            return false;
        }
        final MemberSession first = backup;
        if (isCommitted(first, lsn))
        {
            return true;
        }
        // The last LSN this wait needs shipped and acked: lsn itself when a record starts there, else the byte below
        // it, so that a wait for a position nothing starts at neither holds the session busy nor misses its unpark.
        long lastNeededLsn = journal.tailLsn() > lsn ? lsn : lsn - 1;
        if (null != first)
        {
            first.onCommitWait(lastNeededLsn);
        }
        final long spinStartNs = System.nanoTime();
        final long spinNs = ctx.commitWaitSpinNs();
        while (System.nanoTime() - spinStartNs < spinNs)
        {
            if (isCommitted(backup, lsn))
            {
                return true;
            }
            Thread.onSpinWait();
        }
        final int slot = commitWaiters.register(Thread.currentThread(), lastNeededLsn);
        try
        {
            while (true)
            {
                if (isCommitted(backup, lsn))
                {
                    return true;
                }
                if (isClosed)
                {
                    throw new ShipperException(ShipperException.Code.CLOSED, "primary is closed");
                }
                long parkNs = CommitWaiters.NO_SLOT == slot ? COMMIT_WAIT_POLL_NS : COMMIT_WAIT_MAX_PARK_NS;
                if (timeoutNs != Long.MAX_VALUE)
                {
                    final long remainingNs = timeoutNs - (System.nanoTime() - startNs);
                    if (remainingNs <= 0)
                    {
                        return false;
                    }
                    parkNs = Math.min(parkNs, remainingNs);
                }
                if (lastNeededLsn < lsn && journal.tailLsn() > lsn)
                {
                    // lsn was a position and a record has been appended there since: it is needed too, so ship it now
                    lastNeededLsn = lsn;
                    final MemberSession gate = backup;
                    if (null != gate)
                    {
                        gate.onCommitWait(lsn);
                    }
                }
                if (journal.durableLsn() <= lsn && journal.tailLsn() > lsn)
                {
                    // the same case: the record must be durable here too, and under EVERY_COMMIT only a commit or an
                    // await forces it
                    journal.awaitDurable(lsn, parkNs);
                    continue;
                }
                LockSupport.parkNanos(this, parkNs);
            }
        }
        finally
        {
            commitWaiters.unregister(slot);
        }
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
        final long reignEpoch = journal.epoch();
        try
        {
            if (awaitCommitted(lsn, timeoutNs))
            {
                return new CommitOutcome(CommitOutcome.Status.COMMITTED, lsn, reignEpoch, 0, null, "committed");
            }
            return new CommitOutcome(CommitOutcome.Status.TIMED_OUT, lsn, reignEpoch, 0, null,
                "not acknowledged within " + timeoutNs + " ns: commitPosition=" + commitPosition());
        }
        catch (final ShipperException ex)
        {
            if (ShipperException.Code.NOT_PRIMARY == ex.code())
            {
                return new CommitOutcome(CommitOutcome.Status.INDETERMINATE, lsn, reignEpoch, fencedEpoch,
                    fencedPrimaryName, ex.getMessage());
            }
            if (ShipperException.Code.CLOSED == ex.code())
            {
                return new CommitOutcome(CommitOutcome.Status.INDETERMINATE, lsn, reignEpoch, 0, null,
                    "the primary closed before the commit was acknowledged");
            }
            throw ex;
        }
    }

    /**
     * Whether {@code lsn} is committed, by the rule of {@link #awaitCommitted(long)}: the commit position is the
     * journal's durable LSN, lowered to the backup's acked durable LSN while the backup is ACTIVE. Positions are read
     * before the tail, so a record appended at {@code lsn} meanwhile is waited for.
     */
    private boolean isCommitted(final MemberSession gate, final long lsn)
    {
        final boolean isCommitted = isCommittedNow(gate, lsn);
        // Read after the positions: a fence not seen here is published after them, and freezes a position at least
        // as high, so no answer given before the fence is contradicted after it.
        return 0 == fencedEpoch ? isCommitted : isCommittedBeforeFence(lsn);
    }

    private boolean isCommittedNow(final MemberSession gate, final long lsn)
    {
        // The durable LSN is read before the gate: if the gate is seen open, this LSN is at most the one the gate
        // records when it closes (BackupGate.onActive), which the backup must reach before it is reported ACTIVE.
        long position = journal.durableLsn();
        if (backupGate.isGating())
        {
            final long acked = backupGate.ackedDurableLsn();
            if (acked < lsn)
            {
                return false; // the usual answer while waiting for the ack: nothing more to read
            }
            position = Math.min(position, acked);
        }
        return position > lsn || (position == lsn && journal.tailLsn() <= lsn);
    }

    /**
     * The answer of a fenced primary: true when {@code lsn} was committed before the fence, else NOT_PRIMARY.
     * Synchronized with {@link #onHigherEpoch}, so it reads the frozen position only once the fence is complete.
     */
    private synchronized boolean isCommittedBeforeFence(final long lsn)
    {
        final long position = fencedCommitLsn;
        if (position > lsn || (position == lsn && journal.tailLsn() <= lsn))
        {
            return true;
        }
        throw new ShipperException(ShipperException.Code.NOT_PRIMARY, "not primary any more, a member knows a " +
            "higher epoch: epoch=" + fencedEpoch + " primary=" + fencedPrimaryName + " reignEpoch=" + journal.epoch() +
            " lsn=" + lsn + " committedLsn=" + position);
    }

    /**
     * The commit position by the rule of {@link #awaitCommitted(long)}: the journal's durable LSN, lowered to the
     * backup's acked durable LSN while the backup is ACTIVE.
     */
    private long commitPosition()
    {
        long position = journal.durableLsn();
        if (backupGate.isGating())
        {
            position = Math.min(position, backupGate.ackedDurableLsn());
        }
        return position;
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
        final long committedLsn;
        synchronized (this)
        {
            if (epoch < fencedEpoch || (epoch == fencedEpoch && (null == primaryName || null != fencedPrimaryName)))
            {
                return;
            }
            if (epoch == fencedEpoch)
            {
                fencedPrimaryName = primaryName; // the same fence, now with its primary's name
                return;
            }
            final boolean isFirst = 0 == fencedEpoch;
            fencedPrimaryName = primaryName;
            fencedEpoch = epoch; // published before the position is frozen: see isCommitted
            if (isFirst)
            {
                fencedCommitLsn = commitPosition();
            }
            committedLsn = fencedCommitLsn;
            fencedEpochCounter.setRelease(epoch);
        }
        LOG.warn("primary fenced, it acknowledges no more commits and stops shipping: epoch={} primary={} " +
            "reignEpoch={} member={} frame={} committedLsn={}", epoch, primaryName, journal.epoch(), member, frame,
            committedLsn);
        commitWaiters.wakeAll();
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
        return 0 != fencedEpoch;
    }

    /**
     * @return the highest epoch a member told this fenced primary of; 0 while it is not fenced.
     */
    public long fencedEpoch()
    {
        return fencedEpoch;
    }

    /**
     * @return the member that is primary in {@link #fencedEpoch()}, or null when not fenced or not known.
     */
    public String fencedPrimaryName()
    {
        return fencedPrimaryName;
    }

    /**
     * The backup's ack advanced: unpark the commits it covers. Called by the session after publishing the LSN.
     */
    void onDurableAck(final MemberSession session, final long durableLsn)
    {
        if (backup == session)
        {
            commitWaiters.wake(durableLsn);
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

    private MemberStatus downStatus(final String name, final String reason)
    {
        final MemberStatusCounters counters = memberCounters.get(name);
        final long durable = counters.durableLsn();
        return new MemberStatus(name, allowed.get(name).role(), TransferStatus.DOWN.name(), null, null,
            counters.sentLsn(), -1, durable, counters.appliedLsn(), durable < 0 ? -1 : Math.max(0,
            journal.tailLsn() - durable), -1, counters.bytesRaw(), counters.bytesSent(), counters.batches(), -1,
            null == reason ? "never connected" : reason, counters.lastSeenMs(), 0, 0);
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
                memberCounters.get(entry.name()).onRole(next);
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
        return memberCounters.get(name);
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
        final MemberStatusCounters counters = null == name ? null : memberCounters.get(name);
        if (null != counters)
        {
            counters.onReject(why, reason);
            synchronized (this)
            {
                lastReasons.put(name, reason);
            }
        }
    }

    void onMemberError(final String name, final String reason)
    {
        final MemberStatusCounters counters = memberCounters.get(name);
        if (null != counters)
        {
            counters.onError("link failed: " + reason);
            synchronized (this)
            {
                lastReasons.put(name, "link failed: " + reason);
            }
        }
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
            reason = lastReasons.get(name);
        }
        return null == session ? downStatus(name, reason) : session.status();
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
        final long nowMs = System.currentTimeMillis();
        if (nowMs - lastRateSampleMs >= RATE_SAMPLE_INTERVAL_MS)
        {
            lastRateSampleMs = nowMs;
            for (final MemberStatusCounters counters : memberCounters.values())
            {
                counters.sampleRates(nowMs);
            }
        }
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
     * Write each member's position to the journal directory; a failure is counted and logged.
     *
     * @return whether they were written.
     */
    private synchronized boolean persistPositions()
    {
        final Map<String, Long> current = new java.util.TreeMap<>();
        for (final Map.Entry<String, JournalConsumer> entry : memberConsumers.entrySet())
        {
            current.put(entry.getKey(), entry.getValue().position());
        }
        try
        {
            positions.write(journal.epoch(), current);
            return true;
        }
        catch (final ShipperException ex)
        {
            countError();
            LOG.error("member positions not written, so nothing is purged: {}", ex.getMessage(), ex);
            return false;
        }
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
        commitWaiters.wakeAll();
        CloseHelper.quietClose(listenerRunner);
        CloseHelper.quietClose(server);
        for (final AgentRunner runner : sessionRunners)
        {
            CloseHelper.quietClose(runner);
        }
        synchronized (this)
        {
            persistPositions();
            for (final JournalConsumer consumer : memberConsumers.values())
            {
                consumer.close();
            }
            memberConsumers.clear();
        }
        CloseHelper.closeAll(memberCounters.values());
        CloseHelper.quietClose(statusFile);
        LOG.info("primary closed: address={}", address);
    }
}
