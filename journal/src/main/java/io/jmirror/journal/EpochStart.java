package io.jmirror.journal;

/**
 * Where an epoch (a primary's reign) starts in the journal: the epoch, the LSN of its {@code EPOCH_START} record
 * and the member that wrote it. One entry of {@link Journal#epochHistory()}.
 */
public final class EpochStart
{
    /** The {@link #lsn()} of an epoch whose {@code EPOCH_START} lies in a purged file. */
    public static final long PURGED = -1;

    private final long epoch;
    private final long lsn;
    private final String memberName;

    /**
     * @param epoch      the epoch.
     * @param lsn        its {@code EPOCH_START}'s LSN, or {@link #PURGED}.
     * @param memberName the member that opened it, or null when its start is purged.
     */
    public EpochStart(final long epoch, final long lsn, final String memberName)
    {
        this.epoch = epoch;
        this.lsn = lsn;
        this.memberName = memberName;
    }

    /**
     * @return the epoch.
     */
    public long epoch()
    {
        return epoch;
    }

    /**
     * @return the LSN of the epoch's {@code EPOCH_START} record, or {@link #PURGED} when its file was purged (the
     * epoch is then known only from the oldest file's header).
     */
    public long lsn()
    {
        return lsn;
    }

    /**
     * @return the member that opened the epoch, or null when its start is purged.
     */
    public String memberName()
    {
        return memberName;
    }

    @Override
    public boolean equals(final Object o)
    {
        if (!(o instanceof EpochStart))
        {
            return false;
        }
        final EpochStart that = (EpochStart)o;
        return epoch == that.epoch && lsn == that.lsn && java.util.Objects.equals(memberName, that.memberName);
    }

    @Override
    public int hashCode()
    {
        return Long.hashCode(epoch) * 31 + Long.hashCode(lsn);
    }

    @Override
    public String toString()
    {
        return "epoch=" + epoch + " lsn=" + (lsn == PURGED ? "purged" : Long.toString(lsn)) + " member=" + memberName;
    }
}
