package io.jmirror.mirror;

import io.jmirror.journal.Journal;
import io.jmirror.shipper.ArbiterClient;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.ShipperException;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>
 * The decisions are {@link FailoverControl}'s, which holds no thread, socket or file; this class is its real
 * environment: the duty-cycle thread, the arbiter's TCP link, and (in {@code NodeEnvironment}) the journal files, the
 * store, the primary and the member.
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
    private final NodeEnvironment env;
    private final FailoverControl control;
    private final NodeStatus status;
    private final AgentRunner runner;

    private MirrorNode(final MirrorNodeContext ctx)
    {
        this.ctx = ctx;
        this.arbiter = new ArbiterClient(ctx.arbiterAddress(), ctx.tls(), (int)ctx.qosTimeoutMs());
        this.env = new NodeEnvironment(ctx);
        this.control = new FailoverControl(new FailoverSettings(ctx.mirrorName(), ctx.memberName(),
            ctx.isAsync() ? null : partnerOf(ctx), ctx.isAsync(), ctx.initialPrimary()),
            SystemEpochClock.INSTANCE, this::ask, env);
        this.status = new NodeStatus(ctx.dir(), ctx.memberName());
        this.runner = new AgentRunner(new SleepingMillisIdleStrategy(Math.max(1, ctx.heartbeatIntervalMs() / 4)),
            this::onError, null, new Control());
        AgentRunner.startOnThread(runner);
    }

    private void onError(final Throwable ex)
    {
        status.onError();
        control.onError(ex);
        status.publish(control);
    }

    private static String partnerOf(final MirrorNodeContext ctx)
    {
        for (final String name : ctx.failoverMemberNames())
        {
            if (!name.equals(ctx.memberName()))
            {
                return name;
            }
        }
        return null;
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
     * The node's duty cycle: once per heartbeat, let the control talk to the arbiter and act on the role.
     */
    private final class Control implements Agent
    {
        private long nextMs;
        private long nextPurgeMs = System.currentTimeMillis() + ctx.purgeIntervalMs();

        @Override
        public int doWork()
        {
            final long nowMs = System.currentTimeMillis();
            if (nowMs < nextMs)
            {
                return 0;
            }
            nextMs = nowMs + ctx.heartbeatIntervalMs();
            serveOperator();
            try
            {
                control.onBeat(nowMs);
            }
            finally
            {
                status.publish(control);
            }
            if (ctx.purgeIntervalMs() > 0 && nowMs >= nextPurgeMs)
            {
                nextPurgeMs = nowMs + ctx.purgeIntervalMs();
                purgeAsPrimary();
            }
            return 1;
        }

        /**
         * As primary the node purges here, on the thread that opens and closes its primary; as backup or DR async
         * its {@link Member} purges.
         */
        private void purgeAsPrimary()
        {
            if (control.role() != Role.PRIMARY)
            {
                return;
            }
            try
            {
                env.purgePrimary();
            }
            catch (final RuntimeException ex)
            {
                // Counted and logged; the node goes on writing: a purge that fails keeps files, it loses none.
                status.onError();
                LOG.error("primary journal purge failed: member={} dir={}", ctx.memberName(), ctx.dir(), ex);
            }
        }

        private void serveOperator()
        {
            final String request;
            try
            {
                request = OperatorRequests.take(ctx.dir());
                if (null != request)
                {
                    final String answer = operate(request);
                    LOG.warn("operator request: member={} request={} answer={}", ctx.memberName(), request, answer);
                    OperatorRequests.answer(ctx.dir(), answer);
                }
            }
            catch (final java.io.IOException ex)
            {
                onError(new java.io.UncheckedIOException("cannot serve an operator request: dir=" + ctx.dir(), ex));
            }
        }

        @Override
        public String roleName()
        {
            return "jmirror-node-" + ctx.memberName();
        }
    }

    private ArbiterResponse ask(final ArbiterRequest request)
    {
        try
        {
            return arbiter.request(request);
        }
        catch (final ShipperException ex)
        {
            LOG.debug("arbiter unreachable: member={} request={} reason={}", ctx.memberName(), request.kind(),
                ex.getMessage());
            return null;
        }
    }

    /**
     * @return the node's role.
     */
    public Role role()
    {
        return control.role();
    }

    /**
     * @return why the node is in its role.
     */
    public String reason()
    {
        return control.reason();
    }

    /**
     * @return the epoch the node is in (as primary) or follows (as backup).
     */
    public long epoch()
    {
        return control.epoch();
    }

    /**
     * With a durable store ({@link io.jmirror.dejournal.Target#isDurable()}) the application also checkpoints it
     * ({@code Target.checkpoint}) with an LSN below which the store holds every record and that the backup has
     * acknowledged (a committed TCOMMIT's): a restart replays the journal from there, purge keeps every file from
     * there on, and a former primary whose checkpoint lies beyond where the next epoch started must be rebuilt.
     *
     * @return the journal while primary (append to it under the lock you change the store with), else null.
     */
    public Journal journal()
    {
        return env.journal();
    }

    /**
     * @return the primary while primary ({@code awaitCommitted}), else null.
     */
    public Primary primary()
    {
        return env.primary();
    }

    /**
     * @return the member (receiver and dejournaler) while backup, else null.
     */
    public Member member()
    {
        return env.member();
    }

    /**
     * @return the file holding the journal bytes this node cut off when it rejoined as a former primary, or null.
     */
    public java.nio.file.Path divergentBytes()
    {
        return control.divergentBytes();
    }

    /**
     * @return takeovers this node made since start.
     */
    public long takeovers()
    {
        return control.takeovers();
    }

    /**
     * @return how long the last takeover took, from the grant to open for writes, in ms; -1 before any.
     */
    public long lastTakeoverMs()
    {
        return control.lastTakeoverMs();
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
        if (control.role() != Role.PRIMARY)
        {
            return false;
        }
        control.handoverWanted(true);
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (control.role() == Role.PRIMARY)
        {
            if (System.currentTimeMillis() > deadline)
            {
                control.handoverWanted(false);
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
        if (control.role() != Role.ASYNC)
        {
            return false;
        }
        control.promoteWanted(true);
        final boolean promoted = awaitRole(Role.PRIMARY, timeoutMs);
        control.promoteWanted(false);
        return promoted;
    }

    /**
     * Operator command for an async member (IRIS: promote to failover member): become the failover partner of the
     * primary it follows, while the mirror's backup slot is free (no backup, or one the arbiter has lost for the QoS
     * timeout). It then follows as backup without a restart; the primary's commits wait for it once it is ACTIVE, and
     * it may take over once the arbiter holds it ACTIVE. The member it replaces follows as an async member if it
     * comes back.
     *
     * @param timeoutMs longest wait.
     * @return true once this node follows as backup.
     */
    public boolean promoteToFailover(final long timeoutMs)
    {
        if (control.role() != Role.ASYNC)
        {
            return false;
        }
        control.joinFailoverWanted(true);
        final boolean joined = awaitRole(Role.BACKUP, timeoutMs);
        control.joinFailoverWanted(false);
        return joined;
    }

    /**
     * Operator command for a primary that lost both its backup and the arbiter (failover rule 3): its commits stop
     * waiting for the backup in this epoch. Commits it acknowledges from now on are lost if the backup takes over
     * meanwhile; the force is logged, counted ({@link FailoverControl#forces()}) and, once the arbiter answers
     * again, recorded there: the epoch is marked forced in its epoch history and the backup revoked for the epoch.
     *
     * @param why the operator's reason, for the log.
     * @throws IllegalStateException when this node is not primary.
     */
    public void forceWithoutBackup(final String why)
    {
        control.forceWithoutBackup(why);
    }

    /**
     * @param request an operator request ({@link OperatorRequests}).
     * @return what was done, or why not.
     */
    private String operate(final String request)
    {
        final int space = request.indexOf(' ');
        final String action = space < 0 ? request : request.substring(0, space);
        final String why = space < 0 ? "" : request.substring(space + 1).trim();
        final Role now = control.role();
        switch (action)
        {
            case "force":
                try
                {
                    control.forceWithoutBackup(why.isEmpty() ? "operator request" : why);
                    return "forced: member=" + ctx.memberName() + " epoch=" + control.epoch() + " commits no longer " +
                        "wait for the backup in this epoch";
                }
                catch (final IllegalStateException ex)
                {
                    return "refused: " + ex.getMessage();
                }
            case "handover":
                if (now != Role.PRIMARY)
                {
                    return "refused: only a primary hands over: member=" + ctx.memberName() + " role=" + now;
                }
                control.handoverWanted(true);
                return "handover requested: member=" + ctx.memberName() + " epoch=" + control.epoch() + " (it " +
                    "hands over once its backup is ACTIVE with every record)";
            case "promote":
                if (now != Role.ASYNC)
                {
                    return "refused: only an async member is promoted: member=" + ctx.memberName() + " role=" + now;
                }
                control.promoteWanted(true);
                return "promotion requested: member=" + ctx.memberName() + " (granted only with both failover " +
                    "members lost; acknowledged commits it never received are lost)";
            case "promote-to-failover":
                if (now != Role.ASYNC)
                {
                    return "refused: only an async member is promoted to failover member: member=" +
                        ctx.memberName() + " role=" + now;
                }
                control.joinFailoverWanted(true);
                return "promotion to failover member requested: member=" + ctx.memberName() + " (granted only while " +
                    "the backup slot is free: no backup, or one the arbiter has lost for the QoS timeout)";
            default:
                return "refused: unknown request '" + action + "' (force WHY, handover, promote, " +
                    "promote-to-failover)";
        }
    }

    /**
     * Wait until the node is in {@code expected}.
     *
     * @return true when it is, false on timeout.
     */
    public boolean awaitRole(final Role expected, final long timeoutMs)
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (control.role() != expected)
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
        if (control.role() == Role.CLOSED)
        {
            return;
        }
        env.closing();
        CloseHelper.quietClose(runner);
        control.close();
        status.publish(control);
        env.close();
        CloseHelper.quietClose(arbiter);
        CloseHelper.quietClose(status);
    }

}
