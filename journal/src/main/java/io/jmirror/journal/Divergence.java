package io.jmirror.journal;

import java.util.List;

/**
 * Where a member's journal and the current primary's part, from their epoch histories alone: the start of the first
 * epoch of the primary's history that the member's does not hold at the same LSN. A member whose journal ends at or
 * before that point has not diverged, it is only behind; one whose journal goes past it holds bytes the primary never
 * had (written by an old primary after it lost its partners), which must be kept aside, undone and cut off before it
 * can follow the primary again.
 */
public final class Divergence
{
    /** No divergence: the member's journal is a prefix of the primary's (it may be behind). */
    public static final long NONE = -1;

    private Divergence()
    {
    }

    /**
     * @param member        the member's epoch history ({@link Journal#epochHistory()}).
     * @param memberEndLsn  the end of the member's journal.
     * @param primary       the primary's epoch history.
     * @return the divergence LSN, or {@link #NONE} when the member holds nothing the primary lacks. An epoch whose
     * start is purged on one side counts as held when the other side has it.
     */
    public static long lsn(final List<EpochStart> member, final long memberEndLsn, final List<EpochStart> primary)
    {
        long divergence = NONE;
        for (final EpochStart start : primary)
        {
            if (start.lsn() == EpochStart.PURGED)
            {
                continue;
            }
            if (!holds(member, start))
            {
                divergence = start.lsn();
                break;
            }
        }
        if (NONE == divergence)
        {
            // The member may have started an epoch the primary never had, past the primary's last epoch start.
            for (final EpochStart start : member)
            {
                if (start.lsn() != EpochStart.PURGED && !holds(primary, start))
                {
                    divergence = start.lsn();
                    break;
                }
            }
        }
        return NONE != divergence && divergence < memberEndLsn ? divergence : NONE;
    }

    private static boolean holds(final List<EpochStart> history, final EpochStart start)
    {
        for (final EpochStart mine : history)
        {
            if (mine.epoch() == start.epoch())
            {
                return mine.lsn() == start.lsn() || mine.lsn() == EpochStart.PURGED;
            }
        }
        return false;
    }
}
