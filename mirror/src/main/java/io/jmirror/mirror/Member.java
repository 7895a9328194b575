package io.jmirror.mirror;

import io.jmirror.dejournal.DejournalContext;
import io.jmirror.dejournal.DejournalCounters;
import io.jmirror.dejournal.DejournalStatus;
import io.jmirror.dejournal.Dejournaler;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.Journal;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.shipper.Receiver;
import io.jmirror.shipper.ReceiverStatus;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * A mirror member: a {@link Receiver} that keeps a byte-identical copy of the primary's journal, and a
 * {@link Dejournaler} that applies it to a {@link Target}. The dejournaler starts once the member's journal exists
 * (after the first WELCOME when the member starts empty); its applied LSN travels to the primary in the ACKs.
 * <pre>{@code
 * try (Member member = Member.start(new MemberContext().receiverContext(receiverContext).target(store)))
 * {
 *     ... member.status() ...
 * }
 * }</pre>
 */
public final class Member implements AutoCloseable
{
    /** How often the dejournal status is copied to the status file: often enough for a watching operator. */
    private static final long PUBLISH_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Logger LOG = LoggerFactory.getLogger(Member.class);

    private final MemberContext ctx;
    private final Receiver receiver;
    private final AgentRunner wiringRunner;
    private final DejournalCounters counters;
    private final AtomicCounter wiringErrors;
    private volatile Throwable lastWiringError;
    private volatile String failureReason;
    /** Whether the journal did not exist when this member started: then it holds nothing the store had before. */
    private final boolean isNewJournal;
    private volatile Dejournaler dejournaler;
    private volatile boolean isClosed;

    private Member(final MemberContext ctx)
    {
        this.ctx = ctx;
        this.isNewJournal = !Journal.exists(ctx.receiverContext().journalContext().journalDir());
        this.receiver = Receiver.start(ctx.receiverContext());
        this.counters = new DejournalCounters(receiver.statusFile(), ctx.receiverContext().memberName());
        this.wiringErrors = receiver.statusFile().newCounter(StatusCounterType.DEJOURNAL_WIRING_ERRORS,
            ctx.receiverContext().memberName());
        this.wiringRunner = new AgentRunner(new SleepingMillisIdleStrategy(1), this::onWiringError, null, new Wiring());
        AgentRunner.startOnThread(wiringRunner);
    }

    /**
     * Connect to the primary and start applying.
     *
     * @param ctx configuration; concluded here.
     * @return the running member.
     */
    public static Member start(final MemberContext ctx)
    {
        ctx.conclude();
        return new Member(ctx);
    }

    private void onWiringError(final Throwable ex)
    {
        // An error here would leave the member receiving (and, as a backup, acknowledging) but not applying: say so.
        lastWiringError = ex;
        wiringErrors.increment();
        counters.error("cannot start or feed the dejournaler: " + ex);
        LOG.error("member cannot start or feed its dejournaler: member={}", ctx.receiverContext().memberName(), ex);
        if (null == dejournaler)
        {
            failed("dejournaler cannot start: " + ex);
        }
    }

    /**
     * The member cannot apply: say so once in the log, and in the status file until it can again.
     */
    private void failed(final String reason)
    {
        if (!reason.equals(failureReason))
        {
            failureReason = reason;
            LOG.error("member FAILED, not eligible to take over: member={} reason={}",
                ctx.receiverContext().memberName(), reason);
        }
        counters.failed(reason);
    }

    /**
     * Whether this member cannot apply the journal it receives: its dejournaler stopped at a record it could not
     * apply, or could not start. A failed member still receives (and, as a backup, acknowledges) the journal, but its
     * store falls behind for good, so it must not take over as primary. The state shows FAILED in the status file
     * with {@link #failureReason()}.
     *
     * @return true once the member has failed, until a dejournaler starts again after a failure to start.
     */
    public boolean isFailed()
    {
        return null != failureReason;
    }

    /**
     * @return why the member cannot apply (what failed and where, such as the record's LSN), or null while it can.
     */
    public String failureReason()
    {
        return failureReason;
    }

    /**
     * @return the last error met starting or feeding the dejournaler, or null.
     */
    public Throwable lastWiringError()
    {
        return lastWiringError;
    }

    /**
     * Starts the dejournaler when the journal appears, then carries the applied LSN to the receiver.
     */
    private final class Wiring implements Agent
    {
        private long lastPublishNs = System.nanoTime() - PUBLISH_INTERVAL_NS;
        private long lastPurgeNs = System.nanoTime();
        private long lastRefusalCheckNs = System.nanoTime() - PUBLISH_INTERVAL_NS;

        @Override
        public int doWork()
        {
            Dejournaler current = dejournaler;
            if (null == current)
            {
                final Journal journal = receiver.journal();
                if (isClosed)
                {
                    return 0;
                }
                if (null == journal)
                {
                    checkRefused();
                    return 0;
                }
                final String notResumable = ResumePoint.whyNotResumable(ctx.receiverContext().memberName(),
                    ctx.target(), journal, isNewJournal);
                if (null != notResumable)
                {
                    failed(notResumable);
                    return 0;
                }
                current = Dejournaler.start(new DejournalContext().journal(journal).target(ctx.target())
                    .workers(ctx.workers()).ringSize(ctx.ringSize()).checkpointIntervalMs(ctx.checkpointIntervalMs())
                    .verifyChecksums(ctx.verifyChecksums()).isolatedReaders(ctx.isolatedReaders()));
                dejournaler = current;
                // Started after a failure to start: applying again.
                failureReason = null;
            }
            if (current.isFailed() && null == failureReason)
            {
                failed(Dejournaler.describe(current.failure()));
            }
            receiver.appliedLsn(current.appliedLsn());
            final long nowNs = System.nanoTime();
            if (nowNs - lastPublishNs >= PUBLISH_INTERVAL_NS)
            {
                lastPublishNs = nowNs;
                checkRefused();
                counters.publish(current.status(), failureReason);
            }
            if (ctx.purgeIntervalMs() > 0 &&
                nowNs - lastPurgeNs >= TimeUnit.MILLISECONDS.toNanos(ctx.purgeIntervalMs()))
            {
                lastPurgeNs = nowNs;
                purge();
            }
            return 0;
        }

        /**
         * The primary refused this member because it purged the member's resume point: say so, with what to do.
         */
        private void checkRefused()
        {
            final long nowNs = System.nanoTime();
            if (nowNs - lastRefusalCheckNs < PUBLISH_INTERVAL_NS)
            {
                return;
            }
            lastRefusalCheckNs = nowNs;
            final String refused = ResumePoint.whyRefused(ctx.receiverContext().memberName(),
                receiver.status().lastError());
            if (null != refused)
            {
                failed(refused);
            }
        }

        @Override
        public String roleName()
        {
            return "jmirror-member-" + ctx.receiverContext().memberName();
        }
    }

    /**
     * Remove the member journal's files that are applied and checkpointed (the dejournaler's consumer holds the rest)
     * and outside the journal's retention ({@code retainMs}, {@code retainMinFiles}, which also keep what this member
     * must serve to others should it take over). A failure is logged and counted; receiving and applying go on.
     */
    private void purge()
    {
        final Journal journal = receiver.journal();
        if (null == journal)
        {
            return;
        }
        try
        {
            journal.purge();
        }
        catch (final RuntimeException ex)
        {
            wiringErrors.increment();
            counters.error("journal purge failed: " + ex);
            LOG.error("member journal purge failed: member={} dir={}", ctx.receiverContext().memberName(),
                journal.dir(), ex);
        }
    }

    /**
     * @return the receiver (journal transfer) side.
     */
    public Receiver receiver()
    {
        return receiver;
    }

    /**
     * @return the dejournaler, or null until the member's journal exists.
     */
    public Dejournaler dejournaler()
    {
        return dejournaler;
    }

    MemberContext context()
    {
        return ctx;
    }

    /**
     * @return the member's receiving and dejournal status together, and why it cannot apply if it has failed.
     */
    public Status status()
    {
        final Dejournaler current = dejournaler;
        return new Status(receiver.status(), null == current ? null : current.status(), failureReason);
    }

    /**
     * A member's status.
     *
     * @param transfer   journal receiving: link state, received and durable LSN, errors.
     * @param dejournal  applying: applied LSN, lag, per-database state, per-worker load; null before the journal
     *                   exists or while the dejournaler cannot start.
     * @param failure    why the member cannot apply, as {@link #failureReason()}; null while it can.
     */
    public record Status(ReceiverStatus transfer, DejournalStatus dejournal, String failure)
    {
    }

    /**
     * Stop applying (checkpointing the applied LSN), then stop receiving and close the journal. Safe to call twice.
     */
    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        CloseHelper.quietClose(wiringRunner);
        CloseHelper.quietClose(dejournaler);
        counters.closed();
        CloseHelper.quietClose(receiver);
    }
}
