package io.jmirror.shipper;

import io.jmirror.journal.Journal;
import org.agrona.concurrent.IdleStrategy;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import static io.jmirror.shipper.ShipperDefaults.*;

/**
 * Configuration of a {@link Primary}: fluent setters, then {@link #conclude()} checks every value and fails with a
 * message naming the bad setting.
 */
public final class PrimaryContext
{
    private BackupRelease backupRelease = BackupRelease.AT_ONCE;
    private Journal journal;
    private InetSocketAddress bindAddress = new InetSocketAddress("127.0.0.1", 0);
    private final Map<String, AllowedMember> members = new LinkedHashMap<>();
    private int maxBatchBytes = MAX_BATCH_BYTES_DEFAULT;
    private long maxBatchDelayNs = MAX_BATCH_DELAY_NS_DEFAULT;
    private int inFlightBatchBytes = IN_FLIGHT_BATCH_BYTES_DEFAULT;
    private long commitWaitSpinNs = COMMIT_WAIT_SPIN_NS_DEFAULT;
    private long heartbeatIntervalMs = HEARTBEAT_INTERVAL_MS_DEFAULT;
    private long qosTimeoutMs = QOS_TIMEOUT_MS_DEFAULT;
    private long memberRetentionMs = MEMBER_RETENTION_MS_DEFAULT;
    private long connectTimeoutMs = CONNECT_TIMEOUT_MS_DEFAULT;
    private TlsConfig tls;
    private boolean insecure;
    private java.nio.file.Path statusDir;
    private Supplier<IdleStrategy> idleStrategySupplier = ShipperDefaults::linkIdleStrategy;
    private HigherEpochHandler higherEpochHandler;

    /**
     * @return this, checked.
     * @throws ShipperException INVALID_CONFIG naming the setting.
     */
    public PrimaryContext conclude()
    {
        if (null == journal)
        {
            throw invalid("journal must be set");
        }
        if (members.isEmpty())
        {
            throw invalid("no members on the allow-list: add at least one with member(...)");
        }
        if (members.size() > 15)
        {
            throw invalid("a mirror has at most 16 members (15 besides the primary): members=" + members.size());
        }
        if (maxBatchBytes < 4096 || maxBatchBytes > 64 * 1024 * 1024)
        {
            throw invalid("maxBatchBytes must be in [4096, 64 MiB]: maxBatchBytes=" + maxBatchBytes);
        }
        if (heartbeatIntervalMs <= 0 || qosTimeoutMs <= heartbeatIntervalMs)
        {
            throw invalid("need 0 < heartbeatIntervalMs < qosTimeoutMs: heartbeatIntervalMs=" + heartbeatIntervalMs +
                " qosTimeoutMs=" + qosTimeoutMs);
        }
        if (null == tls && !insecure)
        {
            throw invalid("TLS is not configured: set tls(...) or, for loopback tests only, insecure(true)");
        }
        if (null == tls && !bindAddress.getAddress().isLoopbackAddress())
        {
            // Without TLS any process that reaches the port can say HELLO as the backup and acknowledge commits.
            throw invalid("insecure(true) listens on loopback addresses only: bindAddress=" + bindAddress);
        }
        if (commitWaitSpinNs < 0)
        {
            throw invalid("commitWaitSpinNs must be >= 0: commitWaitSpinNs=" + commitWaitSpinNs);
        }
        if (inFlightBatchBytes < 0)
        {
            throw invalid("inFlightBatchBytes must be >= 0: inFlightBatchBytes=" + inFlightBatchBytes);
        }
        if (maxBatchDelayNs < 0 || memberRetentionMs < 0 || connectTimeoutMs <= 0)
        {
            throw invalid("maxBatchDelayNs and memberRetentionMs must be >= 0 and connectTimeoutMs > 0");
        }
        return this;
    }

    private static ShipperException invalid(final String message)
    {
        return new ShipperException(ShipperException.Code.INVALID_CONFIG, message);
    }

    /**
     * @param journal the primary's open journal; the primary does not close it.
     * @return this.
     */
    public PrimaryContext journal(final Journal journal)
    {
        this.journal = journal;
        return this;
    }

    public Journal journal()
    {
        return journal;
    }

    /**
     * @param bindAddress where members connect; port 0 picks a free port (see {@link Primary#address()}).
     * @return this.
     */
    public PrimaryContext bindAddress(final InetSocketAddress bindAddress)
    {
        this.bindAddress = bindAddress;
        return this;
    }

    public InetSocketAddress bindAddress()
    {
        return bindAddress;
    }

    /**
     * @param member an allow-list entry; a member not on the list is refused.
     * @return this.
     */
    public PrimaryContext member(final AllowedMember member)
    {
        members.put(member.name(), member);
        return this;
    }

    public Map<String, AllowedMember> members()
    {
        return members;
    }

    /**
     * @param maxBatchBytes largest batch of raw journal bytes.
     * @return this.
     */
    public PrimaryContext maxBatchBytes(final int maxBatchBytes)
    {
        this.maxBatchBytes = maxBatchBytes;
        return this;
    }

    public int maxBatchBytes()
    {
        return maxBatchBytes;
    }

    /**
     * @param maxBatchDelayNs how long a session may wait for more records to fill a batch; 0 sends at once.
     * @return this.
     */
    public PrimaryContext maxBatchDelayNs(final long maxBatchDelayNs)
    {
        this.maxBatchDelayNs = maxBatchDelayNs;
        return this;
    }

    public long maxBatchDelayNs()
    {
        return maxBatchDelayNs;
    }

    /**
     * @param inFlightBatchBytes while a batch is on its way (sent, not yet acked as received), the next is cut at
     *                           most this large, so a compressing session overlaps the member's work; and on an
     *                           uncompressed link it is cut only once this many bytes wait, the ack comes, a commit
     *                           waits for them, or {@link ShipperDefaults#IN_FLIGHT_HOLD_MAX_NS} passes. 0 turns both
     *                           off: batches up to {@link #maxBatchBytes()}, sent at once. Capped at
     *                           {@link #maxBatchBytes()}. A lone record still leaves at once: nothing is in flight.
     * @return this.
     */
    public PrimaryContext inFlightBatchBytes(final int inFlightBatchBytes)
    {
        this.inFlightBatchBytes = inFlightBatchBytes;
        return this;
    }

    /**
     * @return the smallest batch cut while another is in flight, at most {@link #maxBatchBytes()}.
     */
    public int inFlightBatchBytes()
    {
        return Math.min(inFlightBatchBytes, maxBatchBytes);
    }

    /**
     * @param commitWaitSpinNs how long a thread in {@code awaitCommitted} spins on the backup's ack before it parks
     *                         until the ack unparks it; 0 parks at once. Spinning saves the unpark's wake-up but
     *                         holds a core that the session and the receiver may need.
     * @return this.
     */
    public PrimaryContext commitWaitSpinNs(final long commitWaitSpinNs)
    {
        this.commitWaitSpinNs = commitWaitSpinNs;
        return this;
    }

    public long commitWaitSpinNs()
    {
        return commitWaitSpinNs;
    }

    /**
     * @param heartbeatIntervalMs idle links carry a heartbeat this often.
     * @return this.
     */
    public PrimaryContext heartbeatIntervalMs(final long heartbeatIntervalMs)
    {
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        return this;
    }

    public long heartbeatIntervalMs()
    {
        return heartbeatIntervalMs;
    }

    /**
     * @param qosTimeoutMs a backup that does not ack within this stops gating commits; a silent link is dropped.
     * @return this.
     */
    public PrimaryContext qosTimeoutMs(final long qosTimeoutMs)
    {
        this.qosTimeoutMs = qosTimeoutMs;
        return this;
    }

    public long qosTimeoutMs()
    {
        return qosTimeoutMs;
    }

    /**
     * @param backupRelease decides when commits may stop waiting for a backup that was ACTIVE and no longer is
     *                      (failover rule 1): the failover layer asks the arbiter. Default
     *                      {@link BackupRelease#AT_ONCE}: without an arbiter nothing takes over automatically.
     * @return this.
     */
    public PrimaryContext backupRelease(final BackupRelease backupRelease)
    {
        this.backupRelease = backupRelease;
        return this;
    }

    /**
     * @return who decides when commits may stop waiting for a backup that is no longer ACTIVE.
     */
    public BackupRelease backupRelease()
    {
        return backupRelease;
    }

    /**
     * @param memberRetentionMs purge keeps the files a member seen within this long still needs.
     * @return this.
     */
    public PrimaryContext memberRetentionMs(final long memberRetentionMs)
    {
        this.memberRetentionMs = memberRetentionMs;
        return this;
    }

    public long memberRetentionMs()
    {
        return memberRetentionMs;
    }

    /**
     * @param connectTimeoutMs a new connection must complete its handshake and HELLO within this.
     * @return this.
     */
    public PrimaryContext connectTimeoutMs(final long connectTimeoutMs)
    {
        this.connectTimeoutMs = connectTimeoutMs;
        return this;
    }

    public long connectTimeoutMs()
    {
        return connectTimeoutMs;
    }

    /**
     * @param tls mutual TLS for member links.
     * @return this.
     */
    public PrimaryContext tls(final TlsConfig tls)
    {
        this.tls = tls;
        return this;
    }

    public TlsConfig tls()
    {
        return tls;
    }

    /**
     * @param insecure true to run without TLS; meant for loopback tests and demos.
     * @return this.
     */
    public PrimaryContext insecure(final boolean insecure)
    {
        this.insecure = insecure;
        return this;
    }

    public boolean insecure()
    {
        return insecure;
    }

    /**
     * @param statusDir directory for the status file that {@code jmirror status} reads from another process; null
     *                  keeps the counters in memory.
     * @return this.
     */
    public PrimaryContext statusDir(final java.nio.file.Path statusDir)
    {
        this.statusDir = statusDir;
        return this;
    }

    public java.nio.file.Path statusDir()
    {
        return statusDir;
    }

    /**
     * @param idleStrategySupplier makes the idle strategy of each session's thread; one instance per thread. Keep
     *                             the default {@link LinkIdleStrategy} (tuned or not) for commits to wake sessions:
     *                             any other strategy polls. The listener always blocks on its socket.
     * @return this.
     */
    public PrimaryContext idleStrategySupplier(final Supplier<IdleStrategy> idleStrategySupplier)
    {
        this.idleStrategySupplier = idleStrategySupplier;
        return this;
    }

    public Supplier<IdleStrategy> idleStrategySupplier()
    {
        return idleStrategySupplier;
    }

    /**
     * @param higherEpochHandler told when the primary learns of a higher epoch and is fenced (see
     *                           {@link Primary#isFenced()}); null (the default) only logs it.
     * @return this.
     */
    public PrimaryContext higherEpochHandler(final HigherEpochHandler higherEpochHandler)
    {
        this.higherEpochHandler = higherEpochHandler;
        return this;
    }

    public HigherEpochHandler higherEpochHandler()
    {
        return higherEpochHandler;
    }
}
