package io.jmirror.shipper;

import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * One member session's counters in the primary's {@link StatusFile}, readable by a {@code status} command in
 * another process. Written by the session's thread with release semantics; allocated once the member's HELLO is
 * accepted (so labels carry its name) and freed when the session closes.
 */
final class MemberStatusCounters implements AutoCloseable
{
    private final StatusFile statusFile;
    private final AtomicCounter transferStatus;
    private final AtomicCounter bytesRaw;
    private final AtomicCounter bytesSent;
    private final AtomicCounter batches;
    private final AtomicCounter sentLsn;
    private final AtomicCounter durableLsn;
    private final AtomicCounter appliedLsn;
    private final AtomicCounter lagBytes;

    MemberStatusCounters(final StatusFile statusFile, final String member)
    {
        this.statusFile = statusFile;
        transferStatus = statusFile.newCounter(StatusCounterType.MEMBER_TRANSFER_STATUS, member);
        bytesRaw = statusFile.newCounter(StatusCounterType.MEMBER_BYTES_RAW, member);
        bytesSent = statusFile.newCounter(StatusCounterType.MEMBER_BYTES_SENT, member);
        batches = statusFile.newCounter(StatusCounterType.MEMBER_BATCHES, member);
        sentLsn = statusFile.newCounter(StatusCounterType.MEMBER_SENT_LSN, member);
        durableLsn = statusFile.newCounter(StatusCounterType.MEMBER_DURABLE_LSN, member);
        appliedLsn = statusFile.newCounter(StatusCounterType.MEMBER_APPLIED_LSN, member);
        lagBytes = statusFile.newCounter(StatusCounterType.MEMBER_LAG_BYTES, member);
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

    void lagBytes(final long lag)
    {
        lagBytes.setRelease(lag);
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

    @Override
    public void close()
    {
        for (final AtomicCounter counter : new AtomicCounter[] {
            transferStatus, bytesRaw, bytesSent, batches, sentLsn, durableLsn, appliedLsn, lagBytes})
        {
            statusFile.free(counter);
        }
    }
}
