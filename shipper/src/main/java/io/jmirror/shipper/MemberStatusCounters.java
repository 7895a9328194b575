package io.jmirror.shipper;

/**
 * Running totals of one member session. Written by the session's thread only, read by any thread.
 */
final class MemberStatusCounters
{
    private volatile long bytesRaw;
    private volatile long bytesSent;
    private volatile long batches;

    @SuppressWarnings("NonAtomicOperationOnVolatileField")
    void onBatch(final int rawLength, final int wireLength)
    {
        // Single writer: the session's thread.
        bytesRaw = bytesRaw + rawLength;
        bytesSent = bytesSent + wireLength;
        batches = batches + 1;
    }

    long bytesRaw()
    {
        return bytesRaw;
    }

    long bytesSent()
    {
        return bytesSent;
    }

    long batches()
    {
        return batches;
    }
}
