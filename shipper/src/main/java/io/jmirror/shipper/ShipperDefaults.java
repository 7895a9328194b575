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

    private ShipperDefaults()
    {
    }
}
