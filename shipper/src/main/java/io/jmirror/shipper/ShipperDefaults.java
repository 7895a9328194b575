package io.jmirror.shipper;

import java.util.concurrent.TimeUnit;

/**
 * Default values of the shipper's contexts, in one place so docs and code agree.
 */
public final class ShipperDefaults
{
    /** How long a side waits for the other before acting: 8 s, as IRIS. */
    public static final long QOS_TIMEOUT_MS_DEFAULT = 8000;
    /** Idle links carry a heartbeat this often. */
    public static final long HEARTBEAT_INTERVAL_MS_DEFAULT = 1000;
    /** Largest batch of raw journal bytes. */
    public static final int MAX_BATCH_BYTES_DEFAULT = 1024 * 1024;
    /** How long a session may wait for more records to fill a batch; 0 sends what is there at once. */
    public static final long MAX_BATCH_DELAY_NS_DEFAULT = 0;
    /** Purge keeps files a member seen within this long still needs. */
    public static final long MEMBER_RETENTION_MS_DEFAULT = TimeUnit.HOURS.toMillis(24);
    /** A member retries a lost or refused connection after this long. */
    public static final long RECONNECT_INTERVAL_MS_DEFAULT = 500;
    /** A new connection must finish its handshake and HELLO within this long. */
    public static final long CONNECT_TIMEOUT_MS_DEFAULT = 5000;

    /**
     * @return the idle strategy of member sessions and receivers: spin, yield, then park at most 100 µs. A commit
     * waits for one session wake-up and one receiver wake-up, so their parking bounds commit latency; the journal's
     * 1 ms back-off would put milliseconds on every commit at moderate rates.
     */
    public static org.agrona.concurrent.IdleStrategy linkIdleStrategy()
    {
        return new org.agrona.concurrent.BackoffIdleStrategy(
            100, 100, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
    }

    /**
     * @return how a thread in {@code awaitCommitted} waits: it has nothing else to do, so it spins and yields for
     * a while before parking briefly.
     */
    public static org.agrona.concurrent.IdleStrategy commitWaitIdleStrategy()
    {
        return new org.agrona.concurrent.BackoffIdleStrategy(
            1000, 10_000, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(50));
    }

    private ShipperDefaults()
    {
    }
}
