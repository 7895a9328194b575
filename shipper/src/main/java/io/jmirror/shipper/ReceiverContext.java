package io.jmirror.shipper;

import io.jmirror.journal.JournalContext;
import org.agrona.concurrent.IdleStrategy;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

import static io.jmirror.shipper.ShipperDefaults.*;

/**
 * Configuration of a member's {@link Receiver}: fluent setters, then {@link #conclude()} checks every value and
 * fails with a message naming the bad setting.
 */
public final class ReceiverContext
{
    private String memberName;
    private MemberRole role = MemberRole.BACKUP;
    private String mirrorName;
    private InetSocketAddress primaryAddress;
    private JournalContext journalContext;
    private int acceptedCodecs = Codec.NONE.bit() | Codec.LZ4.bit() | Codec.ZSTD.bit();
    private int maxBatchBytes = MAX_BATCH_BYTES_DEFAULT;
    private int maxRecordLength = io.jmirror.journal.JournalDefaults.MAX_RECORD_LENGTH_DEFAULT;
    private long heartbeatIntervalMs = HEARTBEAT_INTERVAL_MS_DEFAULT;
    private long qosTimeoutMs = QOS_TIMEOUT_MS_DEFAULT;
    private long reconnectIntervalMs = RECONNECT_INTERVAL_MS_DEFAULT;
    private TlsConfig tls;
    private String primaryName;
    private boolean insecure;
    private java.nio.file.Path statusDir;
    private Supplier<IdleStrategy> idleStrategySupplier = ShipperDefaults::linkIdleStrategy;
    private long knownEpoch;
    private String knownPrimaryName;

    /**
     * @return this, checked.
     * @throws ShipperException INVALID_CONFIG naming the setting.
     */
    public ReceiverContext conclude()
    {
        if (null == memberName || memberName.isEmpty() || memberName.length() > ProtocolDescriptor.MAX_NAME_LENGTH)
        {
            throw invalid("memberName must be 1.." + ProtocolDescriptor.MAX_NAME_LENGTH + " characters: memberName=" +
                memberName);
        }
        if (null == role || role == MemberRole.PRIMARY)
        {
            throw invalid("role must be BACKUP, DR_ASYNC or REPORTING_ASYNC: role=" + role);
        }
        if (null == primaryAddress)
        {
            throw invalid("primaryAddress must be set");
        }
        if (null == journalContext || null == journalContext.journalDir())
        {
            throw invalid("journalContext with a journalDir must be set");
        }
        if (null == mirrorName)
        {
            mirrorName = journalContext.mirrorName();
        }
        if (maxBatchBytes < 4096 || maxBatchBytes > 64 * 1024 * 1024)
        {
            // The same bounds as the primary's: a smaller one would refuse every batch the primary may send.
            throw invalid("maxBatchBytes must be in [4096, 64 MiB]: maxBatchBytes=" + maxBatchBytes);
        }
        if (maxRecordLength <= io.jmirror.journal.RecordDescriptor.HEADER_LENGTH)
        {
            throw invalid("maxRecordLength must be above a record header (" +
                io.jmirror.journal.RecordDescriptor.HEADER_LENGTH + " bytes): maxRecordLength=" + maxRecordLength);
        }
        if ((acceptedCodecs & 0x7) == 0)
        {
            throw invalid("acceptedCodecs names no codec: acceptedCodecs=" + acceptedCodecs);
        }
        if (heartbeatIntervalMs <= 0 || qosTimeoutMs <= heartbeatIntervalMs || reconnectIntervalMs < 0)
        {
            throw invalid("need 0 < heartbeatIntervalMs < qosTimeoutMs and reconnectIntervalMs >= 0: " +
                "heartbeatIntervalMs=" + heartbeatIntervalMs + " qosTimeoutMs=" + qosTimeoutMs);
        }
        if (null == tls && !insecure)
        {
            throw invalid("TLS is not configured: set tls(...) or, for loopback tests only, insecure(true)");
        }
        if (null == tls && null != primaryAddress && !primaryAddress.getAddress().isLoopbackAddress())
        {
            throw invalid("insecure(true) connects to loopback addresses only: primaryAddress=" + primaryAddress);
        }
        if (knownEpoch < 0)
        {
            throw invalid("knownEpoch must be >= 0: knownEpoch=" + knownEpoch);
        }
        if (null != knownPrimaryName && knownPrimaryName.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >
            ProtocolDescriptor.MAX_PRIMARY_NAME_LENGTH)
        {
            throw invalid("knownPrimaryName longer than " + ProtocolDescriptor.MAX_PRIMARY_NAME_LENGTH +
                " UTF-8 bytes: knownPrimaryName=" + knownPrimaryName);
        }
        return this;
    }

    private static ShipperException invalid(final String message)
    {
        return new ShipperException(ShipperException.Code.INVALID_CONFIG, message);
    }

    /**
     * @param memberName this member's name on the primary's allow-list.
     * @return this.
     */
    public ReceiverContext memberName(final String memberName)
    {
        this.memberName = memberName;
        return this;
    }

    public String memberName()
    {
        return memberName;
    }

    /**
     * @param role BACKUP, DR_ASYNC or REPORTING_ASYNC.
     * @return this.
     */
    public ReceiverContext role(final MemberRole role)
    {
        this.role = role;
        return this;
    }

    public MemberRole role()
    {
        return role;
    }

    /**
     * @param mirrorName the mirror to join; defaults to the journal context's mirror name.
     * @return this.
     */
    public ReceiverContext mirrorName(final String mirrorName)
    {
        this.mirrorName = mirrorName;
        return this;
    }

    public String mirrorName()
    {
        return mirrorName;
    }

    /**
     * @param primaryAddress where the primary listens.
     * @return this.
     */
    public ReceiverContext primaryAddress(final InetSocketAddress primaryAddress)
    {
        this.primaryAddress = primaryAddress;
        return this;
    }

    public InetSocketAddress primaryAddress()
    {
        return primaryAddress;
    }

    /**
     * @param journalContext the member's own journal: directory and sync policy. Its journal id, file length and
     *                       start come from the primary when the directory is empty.
     * @return this.
     */
    public ReceiverContext journalContext(final JournalContext journalContext)
    {
        this.journalContext = journalContext;
        return this;
    }

    public JournalContext journalContext()
    {
        return journalContext;
    }

    /**
     * @param acceptedCodecs OR of {@link Codec#bit()} for the codecs this member decodes (all by default).
     * @return this.
     */
    public ReceiverContext acceptedCodecs(final int acceptedCodecs)
    {
        this.acceptedCodecs = acceptedCodecs;
        return this;
    }

    public int acceptedCodecs()
    {
        return acceptedCodecs;
    }

    /**
     * @param maxBatchBytes largest raw batch accepted; must be at least the primary's.
     * @return this.
     */
    public ReceiverContext maxBatchBytes(final int maxBatchBytes)
    {
        this.maxBatchBytes = maxBatchBytes;
        return this;
    }

    public int maxBatchBytes()
    {
        return maxBatchBytes;
    }

    /**
     * @param maxRecordLength largest record the primary may journal (its journal's maxRecordLength): such a record
     *                        is shipped alone in one batch.
     * @return this.
     */
    public ReceiverContext maxRecordLength(final int maxRecordLength)
    {
        this.maxRecordLength = maxRecordLength;
        return this;
    }

    public int maxRecordLength()
    {
        return maxRecordLength;
    }

    /**
     * @param heartbeatIntervalMs an idle link carries a heartbeat this often.
     * @return this.
     */
    public ReceiverContext heartbeatIntervalMs(final long heartbeatIntervalMs)
    {
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        return this;
    }

    public long heartbeatIntervalMs()
    {
        return heartbeatIntervalMs;
    }

    /**
     * @param qosTimeoutMs a primary silent for this long is dropped and reconnected to.
     * @return this.
     */
    public ReceiverContext qosTimeoutMs(final long qosTimeoutMs)
    {
        this.qosTimeoutMs = qosTimeoutMs;
        return this;
    }

    public long qosTimeoutMs()
    {
        return qosTimeoutMs;
    }

    /**
     * @param reconnectIntervalMs wait this long before reconnecting after a lost or refused link.
     * @return this.
     */
    public ReceiverContext reconnectIntervalMs(final long reconnectIntervalMs)
    {
        this.reconnectIntervalMs = reconnectIntervalMs;
        return this;
    }

    public long reconnectIntervalMs()
    {
        return reconnectIntervalMs;
    }

    /**
     * @param tls mutual TLS to the primary.
     * @return this.
     */
    public ReceiverContext tls(final TlsConfig tls)
    {
        this.tls = tls;
        return this;
    }

    public TlsConfig tls()
    {
        return tls;
    }

    /**
     * @param primaryName with TLS, the member name the primary's certificate must carry (its common name); a link to
     *                    a peer whose certificate names anyone else is dropped, however trusted its CA. Null (the
     *                    default) accepts any certificate of the mirror's CA.
     * @return this.
     */
    public ReceiverContext primaryName(final String primaryName)
    {
        this.primaryName = primaryName;
        return this;
    }

    public String primaryName()
    {
        return primaryName;
    }

    /**
     * @param insecure true to connect without TLS; meant for loopback tests and demos.
     * @return this.
     */
    public ReceiverContext insecure(final boolean insecure)
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
    public ReceiverContext statusDir(final java.nio.file.Path statusDir)
    {
        this.statusDir = statusDir;
        return this;
    }

    public java.nio.file.Path statusDir()
    {
        return statusDir;
    }

    /**
     * @param idleStrategySupplier makes the receiver thread's idle strategy; default a {@link LinkIdleStrategy}, which
     *                             blocks on the socket so a batch is acked as soon as it lands. Any other strategy
     *                             polls.
     * @return this.
     */
    public ReceiverContext idleStrategySupplier(final Supplier<IdleStrategy> idleStrategySupplier)
    {
        this.idleStrategySupplier = idleStrategySupplier;
        return this;
    }

    public Supplier<IdleStrategy> idleStrategySupplier()
    {
        return idleStrategySupplier;
    }

    /**
     * Seed the highest epoch this member knows, as the failover layer does from the arbiter before it starts the
     * receiver: the receiver sends at least this epoch and refuses (with STALE_EPOCH) a primary in a lower one. Its
     * journal's epoch counts too, so 0 (the default) means "what the journal says". Not persisted here: the arbiter
     * and the journal's {@code EPOCH_START} records are where epochs are kept.
     *
     * @param knownEpoch  the epoch, >= 0.
     * @param primaryName the member that is primary in it, or null when not known.
     * @return this.
     */
    public ReceiverContext knownEpoch(final long knownEpoch, final String primaryName)
    {
        this.knownEpoch = knownEpoch;
        this.knownPrimaryName = primaryName;
        return this;
    }

    public long knownEpoch()
    {
        return knownEpoch;
    }

    public String knownPrimaryName()
    {
        return knownPrimaryName;
    }
}
