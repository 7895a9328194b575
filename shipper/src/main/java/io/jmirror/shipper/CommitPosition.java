package io.jmirror.shipper;

import io.jmirror.journal.Journal;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The primary's commit position and the waits on it, behind {@link Primary#awaitCommitted(long, long)} and
 * {@link Primary#awaitCommit}: a record is committed once it is durable in the journal and, while the
 * {@link BackupGate} gates commits, acked durable by the backup. A fence (a member told the primary of a higher
 * epoch) freezes the position: what was committed before it stays committed, and nothing after it ever is.
 * <p>
 * The fence is written and its frozen position read under the primary's monitor, the {@code lock} the primary passes
 * in, so that a fenced answer never reads a half-published fence.
 */
final class CommitPosition
{
    /** What {@link #fence} answers when it raised no fence: no LSN is this low. */
    static final long NOT_FENCED = Long.MIN_VALUE;
    /** Threads that can park in {@link #awaitCommitted} to be unparked by the backup's ack; more poll. */
    private static final int COMMIT_WAITERS_MAX = 256;
    /** Longest park of a registered commit waiter: only a safety net, the ack or a gate change unparks it. */
    private static final long COMMIT_WAIT_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Park of a commit waiter that found no free slot and so polls the ack. */
    private static final long COMMIT_WAIT_POLL_NS = TimeUnit.MICROSECONDS.toNanos(50);

    private final Object lock;
    private final PrimaryContext ctx;
    private final Journal journal;
    private final BackupGate backupGate;
    /** The primary's current backup session, or null; read afresh at each step of a wait. */
    private final Supplier<MemberSession> backup;
    private final BooleanSupplier isClosed;
    private final AtomicCounter fencedEpochCounter;
    private final CommitWaiters commitWaiters = new CommitWaiters(COMMIT_WAITERS_MAX);
    /** The higher epoch that fenced the primary; 0 while it is not fenced. */
    private volatile long fencedEpoch;
    private volatile String fencedPrimaryName;
    /** The commit position when the fence was published: what was committed before it stays committed. */
    private long fencedCommitLsn = -1;

    /**
     * @param lock               the primary: its monitor guards the fence, and a parked waiter names it.
     * @param ctx                the primary's configuration, read at each wait for {@code commitWaitSpinNs}.
     * @param journal            the journal being shipped.
     * @param backupGate         whether commits wait for the backup, and how far it acked.
     * @param backup             the primary's current backup session, or null.
     * @param isClosed           whether the primary is closed.
     * @param fencedEpochCounter the status file's record of the fence, set with it.
     */
    CommitPosition(
        final Object lock,
        final PrimaryContext ctx,
        final Journal journal,
        final BackupGate backupGate,
        final Supplier<MemberSession> backup,
        final BooleanSupplier isClosed,
        final AtomicCounter fencedEpochCounter)
    {
        this.lock = lock;
        this.ctx = ctx;
        this.journal = journal;
        this.backupGate = backupGate;
        this.backup = backup;
        this.isClosed = isClosed;
        this.fencedEpochCounter = fencedEpochCounter;
    }

    /**
     * Wait until {@code lsn} is committed; see {@link Primary#awaitCommitted(long, long)} for what that means.
     *
     * @param lsn       a record's LSN, or a position a getter returned.
     * @param timeoutNs how long to wait; {@link Long#MAX_VALUE} for ever.
     * @return true when committed, false on timeout.
     * @throws ShipperException NOT_PRIMARY when the primary is fenced and {@code lsn} was not committed before; CLOSED
     *                          when the primary closes during the wait.
     */
    boolean awaitCommitted(final long lsn, final long timeoutNs)
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
        final MemberSession first = backup.get();
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
            if (isCommitted(backup.get(), lsn))
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
                if (isCommitted(backup.get(), lsn))
                {
                    return true;
                }
                if (isClosed.getAsBoolean())
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
                    final MemberSession gate = backup.get();
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
                // parked on the primary, which is what a thread dump of a waiting committer names
                LockSupport.parkNanos(lock, parkNs);
            }
        }
        finally
        {
            commitWaiters.unregister(slot);
        }
    }

    /**
     * {@link #awaitCommitted(long, long)} with the answer as a value; see {@link Primary#awaitCommit}.
     *
     * @param lsn       a record's LSN, or a position a getter returned.
     * @param timeoutNs how long to wait.
     * @return the outcome; never COMMITTED for a commit a failover could still lose.
     */
    CommitOutcome awaitCommit(final long lsn, final long timeoutNs)
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
     * Whether {@code lsn} is committed, by the rule of {@link Primary#awaitCommitted(long)}: the commit position is
     * the journal's durable LSN, lowered to the backup's acked durable LSN while the backup is ACTIVE. Positions are
     * read before the tail, so a record appended at {@code lsn} meanwhile is waited for.
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
     * Synchronized with {@link #fence}, so it reads the frozen position only once the fence is complete.
     */
    private boolean isCommittedBeforeFence(final long lsn)
    {
        synchronized (lock)
        {
            final long position = fencedCommitLsn;
            if (position > lsn || (position == lsn && journal.tailLsn() <= lsn))
            {
                return true;
            }
            throw new ShipperException(ShipperException.Code.NOT_PRIMARY, "not primary any more, a member knows a " +
                "higher epoch: epoch=" + fencedEpoch + " primary=" + fencedPrimaryName + " reignEpoch=" +
                journal.epoch() + " lsn=" + lsn + " committedLsn=" + position);
        }
    }

    /**
     * The commit position by the rule of {@link Primary#awaitCommitted(long)}: the journal's durable LSN, lowered to
     * the backup's acked durable LSN while the backup is ACTIVE.
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
     * Fence the primary at {@code epoch}: the first fence freezes the commit position, a later one with a higher epoch
     * only raises the epoch, and one that only adds the primary's name to the same epoch records it quietly.
     *
     * @param epoch       the higher epoch a member told of.
     * @param primaryName its primary, or null when not known.
     * @return the frozen commit position when this call raised the fenced epoch, so the primary tells of it; else
     * {@link #NOT_FENCED}.
     */
    long fence(final long epoch, final String primaryName)
    {
        synchronized (lock)
        {
            if (epoch < fencedEpoch || (epoch == fencedEpoch && (null == primaryName || null != fencedPrimaryName)))
            {
                return NOT_FENCED;
            }
            if (epoch == fencedEpoch)
            {
                fencedPrimaryName = primaryName; // the same fence, now with its primary's name
                return NOT_FENCED;
            }
            final boolean isFirst = 0 == fencedEpoch;
            fencedPrimaryName = primaryName;
            fencedEpoch = epoch; // published before the position is frozen: see isCommitted
            if (isFirst)
            {
                fencedCommitLsn = commitPosition();
            }
            final long committedLsn = fencedCommitLsn;
            // Set under the lock, so two fences racing leave the counter at the higher epoch.
            fencedEpochCounter.setRelease(epoch);
            return committedLsn;
        }
    }

    /**
     * @return the highest epoch the primary was told of; 0 while it is not fenced.
     */
    long fencedEpoch()
    {
        return fencedEpoch;
    }

    /**
     * @return the member that is primary in {@link #fencedEpoch()}, or null when not fenced or not known.
     */
    String fencedPrimaryName()
    {
        return fencedPrimaryName;
    }

    /**
     * The backup's ack advanced to {@code durableLsn}: unpark the waits it covers.
     */
    void wake(final long durableLsn)
    {
        commitWaiters.wake(durableLsn);
    }

    /**
     * Unpark every wait: the backup's status changed, the primary was fenced or it is closing.
     */
    void wakeAll()
    {
        commitWaiters.wakeAll();
    }
}
