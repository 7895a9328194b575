package io.jmirror.shipper;

import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import io.jmirror.journal.StatusText;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The primary's counters of one configured member, in its {@link StatusFile}, readable by a {@code status} command
 * in another process. Allocated for every member of the allow-list when the primary starts, so a member that never
 * connected or is gone shows as DOWN with when it was last seen; its sessions, one after another, write them with
 * release semantics, and the totals (bytes, batches) run across sessions.
 */
final class MemberStatusCounters implements AutoCloseable
{
    private final AtomicCounter transferStatus;
    private final AtomicCounter bytesRaw;
    private final AtomicCounter bytesSent;
    private final AtomicCounter batches;
    private final AtomicCounter sentLsn;
    private final AtomicCounter durableLsn;
    private final AtomicCounter appliedLsn;
    private final AtomicCounter lagBytes;
    private final AtomicCounter lagMs;
    private final AtomicCounter lastSeenMs;
    private final AtomicCounter rawRate;
    private final AtomicCounter sentRate;
    private final AtomicCounter lastReject;
    private final AtomicCounter errors;
    private final StatusText lastReason;
    private final AtomicCounter role;
    private long rateSampleMs;
    private long rateSampleRaw;
    private long rateSampleSent;

    MemberStatusCounters(final StatusFile statusFile, final String member, final MemberRole allowedRole)
    {
        role = statusFile.newCounter(StatusCounterType.MEMBER_ROLE, member);
        role.setRelease(allowedRole.code());
        transferStatus = statusFile.newCounter(StatusCounterType.MEMBER_TRANSFER_STATUS, member);
        bytesRaw = statusFile.newCounter(StatusCounterType.MEMBER_BYTES_RAW, member);
        bytesSent = statusFile.newCounter(StatusCounterType.MEMBER_BYTES_SENT, member);
        batches = statusFile.newCounter(StatusCounterType.MEMBER_BATCHES, member);
        sentLsn = statusFile.newCounter(StatusCounterType.MEMBER_SENT_LSN, member);
        durableLsn = statusFile.newCounter(StatusCounterType.MEMBER_DURABLE_LSN, member);
        appliedLsn = statusFile.newCounter(StatusCounterType.MEMBER_APPLIED_LSN, member);
        lagBytes = statusFile.newCounter(StatusCounterType.MEMBER_LAG_BYTES, member);
        lagMs = statusFile.newCounter(StatusCounterType.MEMBER_LAG_MS, member);
        lastSeenMs = statusFile.newCounter(StatusCounterType.MEMBER_LAST_SEEN_MS, member);
        rawRate = statusFile.newCounter(StatusCounterType.MEMBER_RAW_RATE, member);
        sentRate = statusFile.newCounter(StatusCounterType.MEMBER_SENT_RATE, member);
        lastReject = statusFile.newCounter(StatusCounterType.MEMBER_LAST_REJECT, member);
        errors = statusFile.newCounter(StatusCounterType.MEMBER_ERRORS, member);
        lastReason = new StatusText(statusFile, StatusCounterType.MEMBER_LAST_REASON, member);
        transferStatus.setRelease(TransferStatus.DOWN.ordinal());
        sentLsn.setRelease(-1);
        durableLsn.setRelease(-1);
        appliedLsn.setRelease(-1);
        lagMs.setRelease(-1);
    }

    /**
     * The primary now admits the member in another role.
     */
    void onRole(final MemberRole allowedRole)
    {
        role.setRelease(allowedRole.code());
    }

    void onBatch(final int rawLength, final int wireLength, final long endLsn)
    {
        bytesRaw.getAndAddRelease(rawLength);
        bytesSent.getAndAddRelease(wireLength);
        batches.incrementRelease();
        sentLsn.setRelease(endLsn);
    }

    void onAck(final long durable, final long applied)
    {
        durableLsn.setRelease(durable);
        appliedLsn.setRelease(applied);
    }

    void onState(final TransferStatus state)
    {
        transferStatus.setRelease(state.ordinal());
    }

    void lag(final long bytes, final long ms)
    {
        lagBytes.setRelease(bytes);
        lagMs.setRelease(ms);
    }

    void onSeen(final long nowMs)
    {
        lastSeenMs.setRelease(nowMs);
    }

    void onReject(final RejectReason why, final String text)
    {
        lastReject.setRelease(why.code());
        lastReason.set(text);
    }

    void onError(final String text)
    {
        errors.incrementRelease();
        lastReason.set(text);
    }

    /**
     * @param text why the member's last session ended.
     */
    void onDown(final String text)
    {
        transferStatus.setRelease(TransferStatus.DOWN.ordinal());
        lastReason.set(text);
    }

    /**
     * @return why the member is in its status, as the status file shows it.
     */
    String lastReason()
    {
        return lastReason.get();
    }

    /**
     * Transfer rates from the byte totals since the last sample; called by one thread (the primary's listener).
     */
    void sampleRates(final long nowMs)
    {
        final long raw = bytesRaw.getAcquire();
        final long sent = bytesSent.getAcquire();
        if (0 != rateSampleMs && nowMs > rateSampleMs)
        {
            final long elapsedMs = nowMs - rateSampleMs;
            rawRate.setRelease((raw - rateSampleRaw) * 1000 / elapsedMs);
            sentRate.setRelease((sent - rateSampleSent) * 1000 / elapsedMs);
        }
        rateSampleMs = nowMs;
        rateSampleRaw = raw;
        rateSampleSent = sent;
    }

    TransferStatus transferStatus()
    {
        return TransferStatus.fromOrdinal(transferStatus.getAcquire());
    }

    long bytesRaw()
    {
        return bytesRaw.get();
    }

    long bytesSent()
    {
        return bytesSent.get();
    }

    long batches()
    {
        return batches.get();
    }

    long sentLsn()
    {
        return sentLsn.get();
    }

    long durableLsn()
    {
        return durableLsn.get();
    }

    long appliedLsn()
    {
        return appliedLsn.get();
    }

    long lastSeenMs()
    {
        return lastSeenMs.get();
    }

    long rawBytesPerSecond()
    {
        return rawRate.get();
    }

    long sentBytesPerSecond()
    {
        return sentRate.get();
    }

    long errors()
    {
        return errors.get();
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(transferStatus, bytesRaw, bytesSent, batches, sentLsn, durableLsn, appliedLsn, lagBytes,
            lagMs, lastSeenMs, rawRate, sentRate, lastReject, errors, lastReason, role);
    }
}
