package io.jmirror.mirror;

import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterProtocol.Reason;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;
import io.jmirror.shipper.ArbiterServer;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The arbiter: a small process with no data that the failover members both talk to. It holds, per mirror, the
 * current epoch, the primary, the backup, whether the backup is ACTIVE and the no-failover flag; it alone hands out
 * epochs; and it breaks ties by {@link ArbiterRules}: it grants "stop waiting for the backup" to a primary or "take
 * over" to a backup, never both in one epoch. Every decision that changes a record is persisted before it is
 * answered; if persisting fails, the request is refused.
 * <pre>{@code
 * try (Arbiter arbiter = Arbiter.start(new ArbiterContext().dir(dir).insecure(true)
 *     .member("CLINIC", "node-a").member("CLINIC", "node-b")))
 * {
 *     ... arbiter.address() ...
 * }
 * }</pre>
 * Embeddable, or run as {@code java -jar harness/target/jmirror.jar arbiter --port P --dir D}.
 */
public final class Arbiter implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Arbiter.class);

    private final ArbiterContext ctx;
    private final Map<String, ArbiterRecord> records;
    private final Map<String, Long> lastHeardMs = new HashMap<>();
    private final Map<String, Boolean> lostPrimary = new HashMap<>();
    private final long startMs;
    private final ArbiterServer server;
    private long refusals;
    private long grants;

    private Arbiter(final ArbiterContext ctx)
    {
        this.ctx = ctx;
        this.records = new TreeMap<>(ctx.store().load());
        this.startMs = ctx.clock().time();
        for (final ArbiterRecord record : records.values())
        {
            LOG.info("arbiter state: mirror={} epoch={} primary={} backup={} backupActive={} noFailover={}",
                record.mirrorName(), record.epoch(), record.primary(), record.backup(), record.backupActive(),
                record.noFailover());
        }
        this.server = null == ctx.bindAddress() ? null :
            ArbiterServer.start(ctx.bindAddress(), ctx.tls(), this::handle);
        if (ctx.insecure())
        {
            LOG.warn("arbiter without TLS: any local process may speak for a member; for loopback tests only: " +
                "address={}", null == server ? null : server.address());
        }
    }

    /**
     * Load the state and start listening.
     *
     * @param ctx configuration; concluded here.
     * @return the running arbiter.
     */
    public static Arbiter start(final ArbiterContext ctx)
    {
        ctx.conclude();
        return new Arbiter(ctx);
    }

    /**
     * @return where the arbiter listens, or null when it was started without a socket ({@code bindAddress(null)}).
     */
    public InetSocketAddress address()
    {
        return null == server ? null : server.address();
    }

    /**
     * Decide one request: authenticate it, apply {@link ArbiterRules}, persist a changed record, answer.
     *
     * @param request       a well-formed request.
     * @param certifiedName the peer certificate's common name with TLS, else null.
     * @return the answer.
     */
    public synchronized ArbiterResponse handle(final ArbiterRequest request, final String certifiedName)
    {
        if (!ctx.isAllowed(request.mirrorName(), request.memberName()) ||
            (null != ctx.tls() && !request.memberName().equals(certifiedName)))
        {
            refusals++;
            LOG.warn("arbiter refused an unauthorized request: {} certifiedName={}", request, certifiedName);
            return ArbiterResponse.refusal(Reason.UNAUTHORIZED, "not on the arbiter's allow-list: mirror=" +
                request.mirrorName() + " member=" + request.memberName());
        }
        final long nowMs = ctx.clock().time();
        lastHeardMs.put(key(request.mirrorName(), request.memberName()), nowMs);
        if (request.kind() == ArbiterProtocol.Kind.POLL)
        {
            lostPrimary.put(key(request.mirrorName(), request.memberName()),
                request.has(ArbiterProtocol.FLAG_LOST_PRIMARY));
        }

        final ArbiterRecord before = records.get(request.mirrorName());
        final boolean backupLostPrimary = null != before && null != before.backup() &&
            Boolean.TRUE.equals(lostPrimary.get(key(before.mirrorName(), before.backup())));
        final ArbiterRules.Decision decision = ArbiterRules.decide(before, request,
            silentMs(before, true, nowMs), silentMs(before, false, nowMs), ctx.qosTimeoutMs(),
            ctx.isAsyncMember(request.mirrorName(), request.memberName()), backupLostPrimary);
        final ArbiterRecord after = decision.record();
        if (null != after && !after.equals(before))
        {
            final Map<String, ArbiterRecord> next = new TreeMap<>(records);
            next.put(after.mirrorName(), after);
            try
            {
                ctx.store().save(next);
            }
            catch (final RuntimeException ex)
            {
                refusals++;
                LOG.error("arbiter cannot persist a decision, refusing it: {} decision={}", request,
                    decision.message(), ex);
                return answer(before, request, Reason.STORE_FAILED, "cannot persist: " + ex.getMessage(), nowMs);
            }
            records.put(after.mirrorName(), after);
            LOG.info("arbiter decided: {} -> {}", request, decision.message());
        }
        if (decision.isGranted())
        {
            grants++;
        }
        else
        {
            refusals++;
            LOG.info("arbiter refused: {} reason={} {}", request, decision.reason(), decision.message());
        }
        return answer(after, request, decision.reason(), decision.message(), nowMs);
    }

    private ArbiterResponse answer(
        final ArbiterRecord record, final ArbiterRequest request, final Reason reason, final String message,
        final long nowMs)
    {
        if (null == record)
        {
            return new ArbiterResponse(reason, 0, null, null, 0, -1, message);
        }
        int flags = 0;
        flags |= record.backupActive() ? ArbiterProtocol.FLAG_BACKUP_ACTIVE : 0;
        flags |= record.noFailover() ? ArbiterProtocol.FLAG_NO_FAILOVER : 0;
        flags |= record.handedOver() ? ArbiterProtocol.FLAG_HANDED_OVER : 0;
        flags |= record.backupJoined() ? ArbiterProtocol.FLAG_BACKUP_JOINED : 0;
        final boolean isPrimary = request.memberName().equals(record.primary());
        final String partner = isPrimary ? record.backup() : record.primary();
        final Long heard = null == partner ? null : lastHeardMs.get(key(record.mirrorName(), partner));
        final long partnerSilentMs = null == heard ? -1 : nowMs - heard;
        return new ArbiterResponse(reason, record.epoch(), record.primary(), record.backup(), flags, partnerSilentMs,
            message, record.nextEpochLsn(request.epoch()));
    }

    /**
     * How long the arbiter has not heard a member; a member never heard since the arbiter started counts from the
     * start, so an arbiter that restarts waits a whole QoS timeout before it takes anyone for lost.
     */
    private long silentMs(final ArbiterRecord record, final boolean primary, final long nowMs)
    {
        if (null == record)
        {
            return nowMs - startMs;
        }
        final String member = primary ? record.primary() : record.backup();
        final Long heard = null == member ? null : lastHeardMs.get(key(record.mirrorName(), member));
        return nowMs - (null == heard ? startMs : heard);
    }

    private static String key(final String mirror, final String member)
    {
        return mirror + '\u0000' + member;
    }

    /**
     * @return the record of a mirror, or null.
     */
    public synchronized ArbiterRecord record(final String mirrorName)
    {
        return records.get(mirrorName);
    }

    /**
     * @return requests granted since start.
     */
    public synchronized long grants()
    {
        return grants;
    }

    /**
     * @return requests refused since start (malformed frames are counted by the server).
     */
    public synchronized long refusals()
    {
        return refusals;
    }

    /**
     * @return frames refused as malformed since start.
     */
    public long malformedFrames()
    {
        return null == server ? 0 : server.malformedFrames();
    }

    /**
     * Stop listening. Safe to call twice.
     */
    @Override
    public void close()
    {
        CloseHelper.quietClose(server);
    }
}
