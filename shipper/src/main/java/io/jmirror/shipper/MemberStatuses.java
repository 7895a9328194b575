package io.jmirror.shipper;

import io.jmirror.journal.Journal;
import io.jmirror.journal.StatusFile;
import org.agrona.CloseHelper;

import java.util.HashMap;
import java.util.Map;

/**
 * The status of every configured member (the allow-list), connected or not, for {@link Primary#memberStatus()}: its
 * {@link MemberStatusCounters} in the primary's status file from start to close, and why it last left, was refused
 * or failed, so that a member without a session still reports as DOWN, with when it was last seen and why.
 * <p>
 * The last reasons are guarded by the primary's monitor, the {@code lock} the primary passes in, because the primary
 * changes and reads them together with its registered sessions: a member reported DOWN gives the reason it left.
 */
final class MemberStatuses implements AutoCloseable
{
    /** How often the transfer rates are computed from the byte counters. */
    private static final long RATE_SAMPLE_INTERVAL_MS = 1000;

    private final Object lock;
    private final Journal journal;
    /** Every configured member's counters, from start to close, connected or not. */
    private final Map<String, MemberStatusCounters> memberCounters = new HashMap<>();
    /** Why each configured member last left, was refused or failed; guarded by the lock. */
    private final Map<String, String> lastReasons = new HashMap<>();
    private long lastRateSampleMs;

    /**
     * @param lock       the primary, whose monitor guards the last reasons.
     * @param journal    the journal being shipped, whose tail gives a DOWN member's lag.
     * @param statusFile the primary's status file, which holds the counters.
     * @param members    the allow-list, each member with the role it is configured in.
     */
    MemberStatuses(
        final Object lock, final Journal journal, final StatusFile statusFile, final Map<String, AllowedMember> members)
    {
        this.lock = lock;
        this.journal = journal;
        for (final String name : members.keySet())
        {
            memberCounters.put(name, new MemberStatusCounters(statusFile, name, members.get(name).role()));
        }
    }

    /**
     * @param name a member name.
     * @return its counters, or null when it is not configured.
     */
    MemberStatusCounters counters(final String name)
    {
        return memberCounters.get(name);
    }

    /**
     * A member's session was seen alive now.
     */
    void onMemberSeen(final String name, final long nowMs)
    {
        final MemberStatusCounters seen = memberCounters.get(name);
        if (null != seen)
        {
            seen.onSeen(nowMs);
        }
    }

    /**
     * A configured member's registered session ended: it is DOWN from now, for the reason its session gives.
     */
    void onMemberLeft(final MemberSession session, final long nowMs)
    {
        synchronized (lock)
        {
            lastReasons.put(session.memberName(), session.status().reason());
            final MemberStatusCounters counters = memberCounters.get(session.memberName());
            counters.onSeen(nowMs);
            counters.onDown(session.status().reason());
        }
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
            synchronized (lock)
            {
                lastReasons.put(name, reason);
            }
        }
    }

    /**
     * A configured member's link failed.
     */
    void onMemberError(final String name, final String reason)
    {
        final MemberStatusCounters counters = memberCounters.get(name);
        if (null != counters)
        {
            counters.onError("link failed: " + reason);
            synchronized (lock)
            {
                lastReasons.put(name, "link failed: " + reason);
            }
        }
    }

    /**
     * @param name a configured member's name.
     * @return why it last left, was refused or failed, or null when it never connected.
     */
    String lastReason(final String name)
    {
        synchronized (lock)
        {
            return lastReasons.get(name);
        }
    }

    /**
     * @param name   a configured member without a session.
     * @param role   the role it is admitted in now.
     * @param reason why it last left, was refused or failed, or null when it never connected.
     * @return its status as DOWN, from what its counters kept of its last session.
     */
    MemberStatus downStatus(final String name, final MemberRole role, final String reason)
    {
        final MemberStatusCounters counters = memberCounters.get(name);
        final long durable = counters.durableLsn();
        return new MemberStatus(name, role, TransferStatus.DOWN.name(), null, null,
            counters.sentLsn(), -1, durable, counters.appliedLsn(), durable < 0 ? -1 : Math.max(0,
            journal.tailLsn() - durable), -1, counters.bytesRaw(), counters.bytesSent(), counters.batches(), -1,
            null == reason ? "never connected" : reason, counters.lastSeenMs(), 0, 0);
    }

    /**
     * Compute the transfer rates once {@link #RATE_SAMPLE_INTERVAL_MS} has passed since the last time; called by the
     * listener agent only.
     */
    void sampleRates(final long nowMs)
    {
        if (nowMs - lastRateSampleMs >= RATE_SAMPLE_INTERVAL_MS)
        {
            lastRateSampleMs = nowMs;
            for (final MemberStatusCounters counters : memberCounters.values())
            {
                counters.sampleRates(nowMs);
            }
        }
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(memberCounters.values());
    }
}
