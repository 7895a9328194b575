package io.jmirror.shipper;

import io.jmirror.journal.EpochStart;

import java.util.List;

/**
 * What {@link Primary#awaitCommit(long, long)} can truthfully say about a commit.
 * <ul>
 *     <li>{@link Status#COMMITTED}: acknowledged by the rule of {@link Primary#awaitCommitted(long)}, in
 *     {@link #epoch()}. A failover keeps it (failover rule 1).</li>
 *     <li>{@link Status#INDETERMINATE}: the wait was cut off before the commit was acknowledged, because a member
 *     knows a higher epoch ({@link #higherEpoch()}, {@link #primaryName()}) or the primary closed. The record may
 *     have reached the member that took over, or not: {@link #resolve(List)} answers once that member's epoch history
 *     is known.</li>
 *     <li>{@link Status#TIMED_OUT}: not acknowledged yet; this member is still primary, so the wait may be
 *     repeated.</li>
 * </ul>
 * Never a false success: a commit a failover could still lose is never {@code COMMITTED}.
 *
 * @param status      the answer.
 * @param lsn         the LSN waited for.
 * @param epoch       the epoch of the primary that was asked (the epoch the record was journaled in).
 * @param higherEpoch when INDETERMINATE by a fence, the higher epoch a member told of; else 0.
 * @param primaryName when INDETERMINATE by a fence, the member primary in {@code higherEpoch} if known; else null.
 * @param detail      why, in words, for logs and errors.
 */
public record CommitOutcome(Status status, long lsn, long epoch, long higherEpoch, String primaryName, String detail)
{
    /**
     * The answer.
     */
    public enum Status
    {
        /** Acknowledged: durable here and, while the backup is ACTIVE, on the backup. */
        COMMITTED,
        /** Cut off by a failover or a close before it was acknowledged: it may or may not survive. */
        INDETERMINATE,
        /** Not acknowledged within the timeout; still primary. */
        TIMED_OUT
    }

    /**
     * The fate of a record, learned from the epoch history of a member of the current epoch.
     */
    public enum Fate
    {
        /** Below where the next epoch started: every member of the later epochs holds it. */
        KEPT,
        /** At or beyond where the next epoch started: cut off (kept only in a divergent-bytes file) and undone. */
        LOST,
        /** The history does not reach past this outcome's epoch yet, or its start was purged. */
        UNKNOWN
    }

    /**
     * @return true when committed.
     */
    public boolean isCommitted()
    {
        return Status.COMMITTED == status;
    }

    /**
     * Settle a record of this outcome's epoch once a later epoch exists: a member's journal is byte-identical to the
     * old primary's below the LSN where the epoch after {@link #epoch()} started, and every later epoch starts at or
     * beyond that point, so the record survives exactly when it starts below it.
     *
     * @param history a current member's {@link io.jmirror.journal.Journal#epochHistory()}.
     * @return KEPT, LOST, or UNKNOWN when the history shows no later epoch or its start was purged.
     */
    public Fate resolve(final List<EpochStart> history)
    {
        if (Status.COMMITTED == status)
        {
            return Fate.KEPT;
        }
        for (final EpochStart start : history)
        {
            if (start.epoch() > epoch)
            {
                if (EpochStart.PURGED == start.lsn())
                {
                    return Fate.UNKNOWN;
                }
                return lsn < start.lsn() ? Fate.KEPT : Fate.LOST;
            }
        }
        return Fate.UNKNOWN;
    }
}
