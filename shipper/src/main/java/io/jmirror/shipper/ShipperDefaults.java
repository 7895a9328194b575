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
    /**
     * While a batch is in flight, the next is at most this large, and on an uncompressed link is cut only once this
     * many bytes wait (or the ack comes): 256 KiB. An uncompressed session, faster than its appender, otherwise chased
     * it in batches of a few KiB, each costing a wake-up of the session, a frame, a wake-up of the receiver and an ack
     * (the shipping benchmark's link cut ~80 batches a MiB); a compressing one cut a whole burst's backlog as one
     * batch that nothing overlapped.
     */
    public static final int IN_FLIGHT_BATCH_BYTES_DEFAULT = 256 * 1024;
    /** A batch held back for {@code inFlightBatchBytes} leaves after this long anyway, e.g. when acks stall. */
    public static final long IN_FLIGHT_HOLD_MAX_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Purge keeps files a member seen within this long still needs. */
    public static final long MEMBER_RETENTION_MS_DEFAULT = TimeUnit.HOURS.toMillis(24);
    /** A member retries a lost or refused connection after this long. */
    public static final long RECONNECT_INTERVAL_MS_DEFAULT = 500;
    /** A new connection must finish its handshake and HELLO within this long. */
    public static final long CONNECT_TIMEOUT_MS_DEFAULT = 5000;

    /**
     * A thread in {@code awaitCommitted} spins this long on the backup's ack before it parks until the ack unparks
     * it. 0: on 2 cores a spinning waiter holds a core the session and the receiver need, and measured no better.
     */
    public static final long COMMIT_WAIT_SPIN_NS_DEFAULT = 0;
    /**
     * A link's agent spins this long after its last work before blocking. 0: blocking on the socket and the journal
     * wakes it when its input arrives, and on 2 cores spinning (or yielding) agents measured slower commits, as they
     * hold the cores the other hops of the round trip need.
     */
    public static final long LINK_SPIN_NS_DEFAULT = 0;
    /** Then yields until this long after its last work, before blocking; 0 for the same reason. */
    public static final long LINK_YIELD_NS_DEFAULT = 0;
    /** Then blocks on its socket at most this long at a time, so timers (heartbeats, QoS) still run. */
    public static final long LINK_MAX_BLOCK_NS_DEFAULT = TimeUnit.MILLISECONDS.toNanos(1);
    /** With no socket to block on (connecting, a batch held back), parks at most this long at a time. */
    public static final long LINK_MAX_PARK_NS_DEFAULT = TimeUnit.MICROSECONDS.toNanos(100);
    /**
     * The primary's listener blocks on its listening socket at most this long at a time: the kernel wakes it for a
     * connection, and between connections it only refreshes the primary's journal-position counters, which status
     * readers poll every 100 ms or more. Waking every millisecond instead cost about 3% of a core, idle or not.
     */
    public static final long LISTENER_MAX_BLOCK_NS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * @return the idle strategy of member sessions and receivers: a {@link LinkIdleStrategy}
     * with the {@code LINK_*_DEFAULT} times. A commit waits for one session hop and one receiver hop; blocking on the
     * socket and the journal wakes each hop when its input arrives, where a timed back-off would find it only at the
     * end of a park.
     */
    public static org.agrona.concurrent.IdleStrategy linkIdleStrategy()
    {
        return new LinkIdleStrategy(
            LINK_SPIN_NS_DEFAULT, LINK_YIELD_NS_DEFAULT, LINK_MAX_BLOCK_NS_DEFAULT, LINK_MAX_PARK_NS_DEFAULT);
    }

    /**
     * @return the idle strategy of the primary's listener, whatever the sessions use: blocked on its socket up to
     * {@link #LISTENER_MAX_BLOCK_NS}, never spinning (a spinning listener would take a core from the links).
     */
    static LinkIdleStrategy listenerIdleStrategy()
    {
        return new LinkIdleStrategy(0, 0, LISTENER_MAX_BLOCK_NS, LINK_MAX_PARK_NS_DEFAULT);
    }

    private ShipperDefaults()
    {
    }
}
