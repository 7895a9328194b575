package io.jmirror.mirror;

import io.jmirror.dejournal.DejournalContext;
import io.jmirror.dejournal.DejournalCounters;
import io.jmirror.dejournal.DejournalStatus;
import io.jmirror.dejournal.Dejournaler;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.EpochStart;
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
    private final AtomicCounter storeAheadWaits;
    private volatile Throwable lastWiringError;
    /** The last wiring error logged: a dejournaler that cannot start fails the same way every loop, logged once. */
    private String lastLoggedWiringError;
    /** Why the dejournaler waits for the journal to reach the store, or null while it does not. */
    private volatile String waitingReason;
    /** The journal's end when the store was first found ahead of it, or -1: where re-fetched records begin. */
    private long storeAheadFromLsn = -1;
    /** The journal tail last checked while waiting, so the epoch history is read only when records arrived. */
    private long storeAheadCheckedTailLsn = -1;
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
        this.storeAheadWaits = receiver.statusFile().newCounter(StatusCounterType.DEJOURNAL_STORE_AHEAD_WAITS,
            ctx.receiverContext().memberName());
        receiver.statusFile().newCounter(StatusCounterType.DEJOURNAL_ISOLATED_READERS,
            ctx.receiverContext().memberName()).setRelease(ctx.isolatedReaders() ? 1 : 0);
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
        // A dejournaler that cannot start fails again on every loop: log each distinct error once, count them all.
        final String text = String.valueOf(ex);
        if (!text.equals(lastLoggedWiringError))
        {
            lastLoggedWiringError = text;
            LOG.error("member cannot start or feed its dejournaler: member={}", ctx.receiverContext().memberName(), ex);
        }
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
     * @return why the dejournaler has not started yet although the journal exists: the store is ahead of the
     * journal (journal damage cut records the store had applied) and the member waits to receive them again from
     * the primary; null when it does not wait. A waiting member is not failed, but must not take over: its journal
     * lacks records its store holds. When the records received again turn out to be another history, this names
     * that failure (as {@link #failureReason()}) for good.
     */
    public String waitingReason()
    {
        return waitingReason;
    }

    /**
     * @return the last error met starting or feeding the dejournaler, or null while the dejournaler runs after a
     * failure to start.
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
                if (isStoreAhead(journal))
                {
                    return 0;
                }
                current = Dejournaler.start(new DejournalContext().journal(journal).target(ctx.target())
                    .workers(ctx.workers()).ringSize(ctx.ringSize()).checkpointIntervalMs(ctx.checkpointIntervalMs())
                    .verifyChecksums(ctx.verifyChecksums()).isolatedReaders(ctx.isolatedReaders()));
                dejournaler = current;
                // Started after a failure to start: applying again.
                failureReason = null;
                lastWiringError = null;
                lastLoggedWiringError = null;
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
         * Whether the store has applied records beyond the journal's end, so the dejournaler cannot start yet. Journal
         * damage at rest (a flipped bit, a torn tail) makes recovery cut the journal at the damaged record, while the
         * store had already applied and persisted records after it. The receiver resumes at the journal's end and
         * gets them again from the primary; once the journal reaches the store's applied LSN the dejournaler starts
         * there. Should an epoch start among the re-fetched records (or the store's LSN not be a record boundary of
         * them), they are another history than the one the store applied: the member fails and must be seeded.
         */
        private boolean isStoreAhead(final Journal journal)
        {
            final long storeLsn = ctx.target().recoveredLsn();
            final long tail = journal.tailLsn();
            if (storeLsn <= tail && storeAheadFromLsn < 0)
            {
                return false;
            }
            final String member = ctx.receiverContext().memberName();
            if (storeAheadFromLsn < 0)
            {
                storeAheadFromLsn = tail;
                storeAheadWaits.increment();
                waitingReason = "the store is ahead of its journal (journal damage cut records the store had " +
                    "applied): waiting to receive them again from the primary: member=" + member + " journalEndLsn=" +
                    tail + " storeAppliedLsn=" + storeLsn;
                LOG.warn("member waits for its journal to reach its store before applying: {}", waitingReason);
            }
            if (tail == storeAheadCheckedTailLsn)
            {
                return true;
            }
            storeAheadCheckedTailLsn = tail;
            for (final EpochStart start : journal.epochHistory())
            {
                if (start.lsn() >= storeAheadFromLsn && start.lsn() < Math.min(storeLsn, tail))
                {
                    waitingReason = "store is ahead of its journal across an epoch change: rebuild/seed it: member=" +
                        member + " journalEndLsn=" + storeAheadFromLsn + " storeAppliedLsn=" + storeLsn + " epoch=" +
                        start.epoch() + " epochStartLsn=" + start.lsn() + "; " + ResumePoint.SEED_ADVICE;
                    failed(waitingReason);
                    return true;
                }
            }
            if (tail < storeLsn)
            {
                return true;
            }
            if (!journal.isFrameStart(storeLsn))
            {
                waitingReason = "store is ahead of its journal and its applied LSN is not a record boundary of the " +
                    "records received again: rebuild/seed it: member=" + member + " journalEndLsn=" +
                    storeAheadFromLsn + " storeAppliedLsn=" + storeLsn + "; " + ResumePoint.SEED_ADVICE;
                failed(waitingReason);
                return true;
            }
            LOG.info("member journal reached its store, starting the dejournaler: member={} storeAppliedLsn={} " +
                "refetchedFromLsn={}", member, storeLsn, storeAheadFromLsn);
            storeAheadFromLsn = -1;
            waitingReason = null;
            return false;
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
