package io.jmirror.shipper;

import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalException;
import io.jmirror.journal.JournalReplicator;
import io.jmirror.journal.JournalWaiter;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import io.jmirror.journal.StatusText;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static io.jmirror.shipper.ProtocolDescriptor.*;

/**
 * A member's receiving side: connects to the primary, says HELLO with its resume LSN (the end of its own journal),
 * then checks each batch and writes it into its own journal at the same LSNs, so the files are a byte-identical
 * copy, and acks the received and durable LSN. Any bad batch (CRC, LSN, malformed frame) drops the link with a
 * logged reason and nothing of that batch written; the receiver reconnects and resumes from its journal's end,
 * so there is no gap and no duplicate.
 * <p>
 * Epochs: the receiver sends the highest epoch it knows, {@link #knownEpoch()}: its journal's, or a higher one it
 * learned from the primary's frames, from a STALE_EPOCH, from {@link ReceiverContext#knownEpoch(long, String)} or
 * {@link #learnEpoch(long, String)}. A primary whose WELCOME, BATCH or HEARTBEAT carries a lower epoch is stale: the
 * receiver answers STALE_EPOCH (the known epoch and its primary), writes none of that frame and drops the link. A
 * member behind the primary has a lower journal epoch while it catches up; that is not stale, and the WELCOME raises
 * its known epoch.
 * <p>
 * An agent: {@link #start} runs it on its own thread, or call {@link #doWork()} from your own duty cycle. Started
 * with a {@link LinkIdleStrategy} (the default), an idle receiver blocks until the primary's next frame arrives or its
 * journal's durable LSN moves, so a batch is written and acked as soon as it lands.
 */
public final class Receiver implements Agent, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Receiver.class);

    /**
     * The receiver's link state.
     */
    public enum State
    {
        DISCONNECTED, CONNECTING, AWAIT_WELCOME, STREAMING, CLOSED
    }

    private final ReceiverContext ctx;
    private final FrameReader frameReader;
    private final FrameWriter frameWriter = new FrameWriter();
    private final MessageEncoder encoder = new MessageEncoder();
    private final MessageDecoder decoder = new MessageDecoder();
    private final FrameReader.FrameHandler frameHandler = this::onFrame;
    private final BatchDecompressor decompressor;
    private final CRC32C crc = new CRC32C();
    private final int maxRawLength;
    private final ByteBuffer payloadView;
    /** The link's timings: the member's own until a WELCOME gives the primary's, which both sides then share. */
    private long qosTimeoutNs;
    private long heartbeatIntervalNs;
    private final long reconnectIntervalNs;
    private final StatusFile statusFile;
    private final AtomicCounter linkStateCounter;
    private final AtomicCounter receivedLsnCounter;
    private final AtomicCounter durableLsnCounter;
    private final AtomicCounter bytesCounter;
    private final AtomicCounter badBatchesCounter;
    private final AtomicCounter connectsCounter;
    private final AtomicCounter knownEpochCounter;
    private final AtomicCounter journalErrorsCounter;
    private final StatusText lastErrorText;
    private final AtomicCounter errorsCounter;
    private volatile Journal journal;
    private JournalReplicator replicator;
    private SocketChannel channel;
    private Transport transport;
    private AgentRunner runner;
    private LinkIdleStrategy linkIdle;
    private JournalWaiter journalWaiter;
    private volatile State state = State.DISCONNECTED;
    private volatile long receivedLsn = -1;
    private volatile long primaryTailLsn = -1;
    private volatile long appliedLsn = -1;
    private volatile long bytesReceived;
    private volatile long batches;
    private volatile long badBatches;
    private volatile long connects;
    private volatile long staleLinks;
    private volatile Learned learned = Learned.NONE;
    private volatile String lastError;
    /** The reason of the last REJECT since the last WELCOME, null when none: read by the failover layer. */
    private volatile RejectReason lastReject;
    /** The LSN that REJECT carried (for DIVERGED, the divergence LSN), -1 when none. */
    private volatile long lastRejectLsn = -1;
    private volatile long rejections;
    private volatile boolean stallAcks;
    private long reconnectAtNs;
    private long lastReceiveNs;
    private long lastSendNs;
    private long ackedReceivedLsn = -1;
    private long ackedDurableLsn = -1;
    private long ackedAppliedLsn = -1;
    private long connectDeadlineNs;
    /** The epoch of the primary on this link: from its WELCOME, raised by its BATCHes and HEARTBEATs. */
    private long primaryEpoch = -1;
    /** Why this link ends with a STALE_EPOCH answer; null while it does not. */
    private String staleWhy;
    private boolean isStaleOffered;

    /** A higher epoch than the journal's that this member learned, and its primary when known (else null). */
    private record Learned(long epoch, String primaryName)
    {
        static final Learned NONE = new Learned(0, null);
    }

    private Receiver(final ReceiverContext ctx)
    {
        this.ctx = ctx;
        // A single record larger than a batch travels alone: accept up to the largest record too.
        this.maxRawLength = Math.max(ctx.maxBatchBytes(), ctx.maxRecordLength());
        this.frameReader = new FrameReader(BATCH_HEADER_LENGTH + 2 * maxRawLength);
        this.decompressor = new BatchDecompressor(maxRawLength);
        this.payloadView = frameReader.newView();
        this.qosTimeoutNs = TimeUnit.MILLISECONDS.toNanos(ctx.qosTimeoutMs());
        this.heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(ctx.heartbeatIntervalMs());
        this.reconnectIntervalNs = TimeUnit.MILLISECONDS.toNanos(ctx.reconnectIntervalMs());
        // Room for the receiver's, the dejournaler's and 16 workers' counters of a member, and an embedder's own.
        this.statusFile = StatusFile.create(ctx.statusDir(), 128);
        this.linkStateCounter = statusFile.newCounter(StatusCounterType.RECEIVER_LINK_STATE, ctx.memberName());
        this.receivedLsnCounter = statusFile.newCounter(StatusCounterType.RECEIVER_RECEIVED_LSN, ctx.memberName());
        this.durableLsnCounter = statusFile.newCounter(StatusCounterType.RECEIVER_DURABLE_LSN, ctx.memberName());
        this.bytesCounter = statusFile.newCounter(StatusCounterType.RECEIVER_BYTES_RECEIVED, ctx.memberName());
        this.badBatchesCounter = statusFile.newCounter(StatusCounterType.RECEIVER_BAD_BATCHES, ctx.memberName());
        this.connectsCounter = statusFile.newCounter(StatusCounterType.RECEIVER_CONNECTS, ctx.memberName());
        this.knownEpochCounter = statusFile.newCounter(StatusCounterType.RECEIVER_KNOWN_EPOCH, ctx.memberName());
        this.lastErrorText = new StatusText(statusFile, StatusCounterType.RECEIVER_LAST_ERROR, ctx.memberName());
        this.errorsCounter = statusFile.newCounter(StatusCounterType.RECEIVER_ERRORS, ctx.memberName());
        this.journalErrorsCounter = statusFile.newCounter(StatusCounterType.RECEIVER_JOURNAL_ERRORS,
            ctx.memberName());
        if (ctx.knownEpoch() > 0)
        {
            learned = new Learned(ctx.knownEpoch(), ctx.knownPrimaryName());
        }
        if (Journal.exists(ctx.journalContext().journalDir()))
        {
            openJournal();
        }
        knownEpochCounter.setRelease(knownEpoch());
    }

    /**
     * Build a receiver without starting a thread: the caller drives {@link #doWork()}.
     *
     * @param ctx configuration; concluded here.
     * @return the receiver.
     */
    public static Receiver create(final ReceiverContext ctx)
    {
        ctx.conclude();
        return new Receiver(ctx);
    }

    /**
     * Build a receiver and run it on its own thread.
     *
     * @param ctx configuration; concluded here.
     * @return the running receiver.
     */
    public static Receiver start(final ReceiverContext ctx)
    {
        final Receiver receiver = create(ctx);
        final IdleStrategy idle = ctx.idleStrategySupplier().get();
        if (idle instanceof LinkIdleStrategy)
        {
            receiver.linkIdle = (LinkIdleStrategy)idle;
            receiver.linkIdle.guard(new LinkIdleStrategy.BlockGuard()
            {
                @Override
                public int beforeBlock()
                {
                    return receiver.beforeBlock();
                }

                @Override
                public void afterBlock()
                {
                    if (null != receiver.journalWaiter)
                    {
                        receiver.journalWaiter.disarm();
                    }
                }
            });
        }
        receiver.runner = new AgentRunner(idle, receiver::onAgentError, null, receiver);
        AgentRunner.startOnThread(receiver.runner);
        return receiver;
    }

    private void openJournal()
    {
        journal = Journal.open(ctx.journalContext());
        replicator = journal.newReplicator();
        receivedLsn = replicator.endLsn();
    }

    @Override
    public String roleName()
    {
        return "jmirror-receiver-" + ctx.memberName();
    }

    @Override
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        try
        {
            switch (state)
            {
                case DISCONNECTED:
                    return nowNs - reconnectAtNs >= 0 ? connect(nowNs) : 0;
                case CONNECTING:
                    return connecting(nowNs);
                case AWAIT_WELCOME:
                case STREAMING:
                    return streaming(nowNs);
                default:
                    return 0;
            }
        }
        catch (final ShipperException | JournalException ex)
        {
            disconnect(ex.getMessage(), nowNs);
            return 1;
        }
    }

    private int connect(final long nowNs)
    {
        try
        {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.connect(ctx.primaryAddress());
            if (null != linkIdle)
            {
                linkIdle.register(channel);
            }
        }
        catch (final IOException ex)
        {
            CloseHelper.quietClose(channel);
            disconnect("cannot connect: primary=" + ctx.primaryAddress() + " reason=" + ex, nowNs);
            return 1;
        }
        connectDeadlineNs = nowNs + qosTimeoutNs;
        state(State.CONNECTING, "connecting: primary=" + ctx.primaryAddress());
        return 1;
    }

    private int connecting(final long nowNs)
    {
        if (nowNs - connectDeadlineNs > 0)
        {
            disconnect("connect timed out: primary=" + ctx.primaryAddress(), nowNs);
            return 1;
        }
        if (null == transport)
        {
            try
            {
                if (!channel.finishConnect())
                {
                    return 0;
                }
            }
            catch (final IOException ex)
            {
                disconnect("cannot connect: primary=" + ctx.primaryAddress() + " reason=" + ex, nowNs);
                return 1;
            }
            transport = null == ctx.tls() ? new PlainTransport(channel) : new TlsTransport(channel,
                ctx.tls().clientEngine(ctx.primaryAddress().getHostString(), ctx.primaryAddress().getPort()));
        }
        if (!transport.handshake())
        {
            transport.flush();
            return 0;
        }
        if (null != ctx.tls() && null != ctx.primaryName())
        {
            // A certificate of the mirror's CA is not enough: it must be the primary's.
            final String certified = TlsConfig.commonName(transport.peerSubject());
            if (!ctx.primaryName().equals(certified))
            {
                disconnect("primary certificate names another member: certified=" + certified + " expected=" +
                    ctx.primaryName() + " primary=" + ctx.primaryAddress(), nowNs);
                return 1;
            }
        }
        qosTimeoutNs = TimeUnit.MILLISECONDS.toNanos(ctx.qosTimeoutMs());
        heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(ctx.heartbeatIntervalMs());
        final long journalId = null == journal ? 0 : journal.journalId();
        // The primary checks the resume point against the epoch the journal's bytes were written in, which a
        // higher epoch this member learned elsewhere says nothing about.
        final long journalEpoch = null == journal ? 0 : journal.epoch();
        final long resumeLsn = null == replicator ? -1 : replicator.endLsn();
        frameWriter.reset();
        final long epoch = knownEpoch();
        frameWriter.offer(encoder.hello(epoch, ctx.mirrorName(), ctx.memberName(), ctx.role(), journalId,
            journalEpoch, resumeLsn, ctx.acceptedCodecs()), null);
        lastReceiveNs = nowNs;
        lastSendNs = nowNs;
        primaryEpoch = -1;
        staleWhy = null;
        isStaleOffered = false;
        state(State.AWAIT_WELCOME, "HELLO sent: epoch=" + epoch + " resumeLsn=" + resumeLsn);
        return 1;
    }

    private int streaming(final long nowNs)
    {
        int work = frameReader.poll(transport, frameHandler, 16);
        if (work < 0)
        {
            disconnect("primary closed the link", nowNs);
            return 1;
        }
        if (state == State.DISCONNECTED)
        {
            return 1;
        }
        if (null == staleWhy && state == State.STREAMING && primaryEpoch < knownEpoch())
        {
            // a higher epoch learned from elsewhere (the failover layer): this link's primary is stale, stop now
            answerStale(knownEpoch(), "learned a higher epoch than the primary's: primaryEpoch=" + primaryEpoch);
        }
        if (null != staleWhy)
        {
            return work + endStaleLink(nowNs);
        }
        if (state == State.STREAMING && frameWriter.isIdle(transport))
        {
            final long durable = journal.durableLsn();
            final long received = receivedLsn;
            final long applied = appliedLsn;
            durableLsnCounter.setRelease(durable);
            journalErrorsCounter.setRelease(journal.agentErrors());
            if (!stallAcks && isAckDue(received, durable, applied))
            {
                frameWriter.offer(encoder.ack(knownEpoch(), received, durable, applied), null);
                ackedReceivedLsn = received;
                ackedDurableLsn = durable;
                ackedAppliedLsn = applied;
                work++;
            }
            else if (nowNs - lastSendNs >= heartbeatIntervalNs)
            {
                frameWriter.offer(encoder.heartbeat(knownEpoch(), System.currentTimeMillis(), durable), null);
                work++;
            }
        }
        if (frameWriter.flush(transport) > 0)
        {
            lastSendNs = nowNs;
            work++;
        }
        if (nowNs - lastReceiveNs > qosTimeoutNs)
        {
            disconnect("no frame from the primary within the QoS timeout: qosTimeoutMs=" + ctx.qosTimeoutMs(), nowNs);
            return 1;
        }
        return work;
    }

    /**
     * Send the STALE_EPOCH answer (once the writer is free), then drop the link. Bounded by the QoS timeout.
     */
    private int endStaleLink(final long nowNs)
    {
        int work = 0;
        if (!isStaleOffered && frameWriter.isIdle(transport))
        {
            final long known = knownEpoch();
            frameWriter.offer(encoder.staleEpoch(known, primaryNameOf(known)), null);
            isStaleOffered = true;
            work++;
        }
        if (frameWriter.flush(transport) > 0)
        {
            lastSendNs = nowNs;
            work++;
        }
        if ((isStaleOffered && frameWriter.isIdle(transport)) || nowNs - lastReceiveNs > qosTimeoutNs)
        {
            disconnect(staleWhy, nowNs);
            return work + 1;
        }
        return work;
    }

    /**
     * The link's primary is in a lower epoch than this member knows: answer STALE_EPOCH, use no more of its frames.
     */
    private void answerStale(final long known, final String why)
    {
        staleLinks++;
        staleWhy = "primary is in a stale epoch: " + why + " knownEpoch=" + known + " knownPrimary=" +
            primaryNameOf(known) + " member=" + ctx.memberName();
    }

    /**
     * Check a primary's frame's epoch: lower than the known epoch is stale (answered, and the frame is not used);
     * higher is learned.
     *
     * @return true when the frame may be used.
     */
    private boolean isPrimaryEpochCurrent(final long epoch, final int type)
    {
        final long known = knownEpoch();
        if (epoch < known)
        {
            answerStale(known, typeName(type) + " epoch=" + epoch);
            return false;
        }
        if (epoch > known)
        {
            learn(epoch, null, typeName(type) + " from the primary");
        }
        primaryEpoch = epoch;
        return true;
    }

    private boolean isAckDue(final long received, final long durable, final long applied)
    {
        return received != ackedReceivedLsn || durable != ackedDurableLsn || applied != ackedAppliedLsn;
    }

    /**
     * What an idle receiver waits for: the connect to finish, the primary's frames, room in the socket while a frame
     * is half written, or (with the journal's wake-up armed) the durable LSN moving while there is nothing to ack.
     * While part of a frame is buffered it parks instead: waking for every segment of a large batch cost the
     * shipping benchmark context switches and throughput.
     */
    private int beforeBlock()
    {
        switch (state)
        {
            case CONNECTING:
                return null == transport ? SelectionKey.OP_CONNECT : readOrWrite();
            case AWAIT_WELCOME:
                return readOrWrite();
            case STREAMING:
                if (null != staleWhy || primaryEpoch < knownEpoch())
                {
                    return LinkIdleStrategy.BlockGuard.WORK_WAITING;
                }
                if (frameReader.hasPartialFrame())
                {
                    // the rest of a large batch is on its way: poll for it rather than wake per segment
                    // (this is the throughput case; a commit's batch arrives whole)
                    return LinkIdleStrategy.BlockGuard.PARK;
                }
                if (!frameWriter.isIdle(transport))
                {
                    return SelectionKey.OP_READ | SelectionKey.OP_WRITE;
                }
                if (null == journalWaiter)
                {
                    journalWaiter = journal.newWaiter(linkIdle::wakeUp);
                }
                journalWaiter.arm();
                if (!stallAcks && isAckDue(receivedLsn, journal.durableLsn(), appliedLsn))
                {
                    return LinkIdleStrategy.BlockGuard.WORK_WAITING;
                }
                return SelectionKey.OP_READ;
            default:
                return LinkIdleStrategy.BlockGuard.PARK;
        }
    }

    private int readOrWrite()
    {
        return frameWriter.isIdle(transport) ? SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE;
    }

    private void onFrame(final UnsafeBuffer buffer, final int offset, final int length)
    {
        if (state == State.DISCONNECTED || null != staleWhy)
        {
            return;
        }
        lastReceiveNs = System.nanoTime();
        decoder.wrap(buffer, offset, length, transport.peerAddress());
        switch (decoder.type())
        {
            case TYPE_WELCOME:
                onWelcome();
                break;
            case TYPE_REJECT:
                onReject();
                break;
            case TYPE_BATCH:
                onBatch();
                break;
            case TYPE_HEARTBEAT:
                if (isPrimaryEpochCurrent(decoder.epoch(), TYPE_HEARTBEAT))
                {
                    primaryTailLsn = decoder.heartbeatLsn();
                }
                break;
            case TYPE_STALE_EPOCH:
                onStaleEpoch();
                break;
            default:
                throw new ShipperException(ShipperException.Code.PROTOCOL, "unexpected frame from the primary: type=" +
                    typeName(decoder.type()) + " member=" + ctx.memberName());
        }
    }

    private void onWelcome()
    {
        if (state != State.AWAIT_WELCOME)
        {
            throw new ShipperException(ShipperException.Code.PROTOCOL, "WELCOME while " + state);
        }
        if (!isPrimaryEpochCurrent(decoder.epoch(), TYPE_WELCOME))
        {
            return;
        }
        final long startLsn = decoder.welcomeStartLsn();
        if (null == journal)
        {
            final JournalContext journalContext = ctx.journalContext()
                .journalId(decoder.welcomeJournalId())
                .fileLength(decoder.welcomeFileLength())
                .mirrorName(ctx.mirrorName())
                .startLsn(startLsn);
            openJournal();
            LOG.info("member journal created from the primary's: member={} dir={} journalId={} startLsn={}",
                ctx.memberName(), journalContext.journalDir(), journal.journalId(), startLsn);
        }
        if (decoder.welcomeJournalId() != journal.journalId() || startLsn != replicator.endLsn())
        {
            throw new ShipperException(ShipperException.Code.PROTOCOL, "WELCOME does not match the member journal: " +
                "journalId=" + decoder.welcomeJournalId() + " expected=" + journal.journalId() + " startLsn=" +
                startLsn + " endLsn=" + replicator.endLsn());
        }
        primaryTailLsn = decoder.welcomeTailLsn();
        if (decoder.welcomeHeartbeatMs() > 0 && decoder.welcomeQosTimeoutMs() > decoder.welcomeHeartbeatMs())
        {
            // One timing per link: the primary's, so neither side drops a link the other still thinks healthy.
            heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(decoder.welcomeHeartbeatMs());
            qosTimeoutNs = TimeUnit.MILLISECONDS.toNanos(decoder.welcomeQosTimeoutMs());
        }
        connects++;
        connectsCounter.setRelease(connects);
        lastError = null;
        lastErrorText.set(null);
        lastReject = null;
        lastRejectLsn = -1;
        ackedReceivedLsn = -1;
        state(State.STREAMING, "welcomed: primary=" + transport.peerAddress() + " primaryEpoch=" + primaryEpoch +
            " resumeLsn=" + startLsn + " primaryTailLsn=" + primaryTailLsn);
    }

    /**
     * The primary answered that this member's epoch is stale: it knows a higher one. Learn it; the link ends.
     */
    private void onStaleEpoch()
    {
        final long epoch = decoder.staleEpochEpoch();
        final String name = decoder.staleEpochPrimaryName();
        staleLinks++;
        if (epoch > knownEpoch())
        {
            learn(epoch, name.isEmpty() ? null : name, "STALE_EPOCH from the primary");
        }
        throw new ShipperException(ShipperException.Code.STALE_EPOCH, "primary answered STALE_EPOCH: epoch=" +
            epoch + " primary=" + (name.isEmpty() ? "(unknown)" : name) + " knownEpoch=" + knownEpoch() +
            " member=" + ctx.memberName());
    }

    private void onReject()
    {
        final RejectReason reason = RejectReason.fromCode(decoder.rejectReasonCode());
        // Kept for the failover layer: DIVERGED (and a resume LSN the primary cannot serve) is not healed by
        // reconnecting, the member must cut its journal first.
        lastRejectLsn = decoder.rejectLsn();
        lastReject = reason;
        rejections++;
        throw new ShipperException(ShipperException.Code.REJECTED, "primary refused this member: reason=" + reason +
            " lsn=" + decoder.rejectLsn() + " " + decoder.rejectMessage());
    }

    private void onBatch()
    {
        if (!isPrimaryEpochCurrent(decoder.epoch(), TYPE_BATCH))
        {
            return;
        }
        if (state != State.STREAMING)
        {
            throw new ShipperException(ShipperException.Code.PROTOCOL, "BATCH before WELCOME: member=" +
                ctx.memberName());
        }
        final long startLsn = decoder.batchStartLsn();
        final long endLsn = decoder.batchEndLsn();
        final int rawLength = decoder.batchRawLength();
        final Codec codec = Codec.fromCode(decoder.batchCodecCode());
        if (startLsn != replicator.endLsn() || endLsn - startLsn != rawLength || rawLength <= 0 ||
            rawLength > maxRawLength)
        {
            badBatches++;
            throw new ShipperException(ShipperException.Code.BAD_LSN, "batch does not continue the journal: " +
                "startLsn=" + startLsn + " endLsn=" + endLsn + " rawLength=" + rawLength + " journalEndLsn=" +
                replicator.endLsn() + " maxRawLength=" + maxRawLength);
        }
        if (null == codec)
        {
            badBatches++;
            throw new ShipperException(ShipperException.Code.MALFORMED_FRAME, "unknown codec: codec=" +
                decoder.batchCodecCode() + " startLsn=" + startLsn);
        }
        final ByteBuffer payload = payloadView;
        payload.limit(payload.capacity()).position(0);
        payload.limit(decoder.batchPayloadOffset() + decoder.batchPayloadLength())
            .position(decoder.batchPayloadOffset());
        final ByteBuffer raw;
        try
        {
            raw = decompressor.decompress(codec, payload, rawLength);
        }
        catch (final ShipperException ex)
        {
            badBatches++;
            throw ex;
        }
        final int position = raw.position();
        crc.reset();
        crc.update(raw);
        raw.position(position);
        final int actual = (int)crc.getValue();
        if (actual != decoder.batchChecksum())
        {
            badBatches++;
            throw new ShipperException(ShipperException.Code.BAD_CHECKSUM, "batch CRC mismatch: startLsn=" +
                startLsn + " expected=" + decoder.batchChecksum() + " actual=" + actual + " codec=" + codec);
        }
        try
        {
            receivedLsn = replicator.append(raw, startLsn);
        }
        catch (final JournalException ex)
        {
            badBatches++;
            throw new ShipperException(ShipperException.Code.BAD_CHECKSUM, "batch holds a bad frame: " +
                ex.getMessage(), ex);
        }
        bytesReceived = bytesReceived + rawLength;
        batches = batches + 1;
        bytesCounter.setRelease(bytesReceived);
        receivedLsnCounter.setRelease(receivedLsn);
        knownEpochCounter.setRelease(knownEpoch());
    }

    /**
     * The receiver's agent failed outside a link's handling: logged, counted and shown in the status file.
     */
    private void onAgentError(final Throwable ex)
    {
        if (ex instanceof AgentTerminationException)
        {
            return; // the receiver closing its thread, not a failure
        }
        errorsCounter.increment();
        lastErrorText.set("receiver failed: " + ex);
        LOG.error("receiver failed: member={}", ctx.memberName(), ex);
    }

    private void disconnect(final String why, final long nowNs)
    {
        if (state == State.CLOSED)
        {
            return;
        }
        lastError = why;
        lastErrorText.set(why);
        CloseHelper.quietClose(transport);
        CloseHelper.quietClose(channel);
        if (null != linkIdle)
        {
            linkIdle.deregister();
        }
        transport = null;
        channel = null;
        frameWriter.reset();
        frameReader.reset();
        staleWhy = null;
        isStaleOffered = false;
        badBatchesCounter.setRelease(badBatches);
        reconnectAtNs = nowNs + reconnectIntervalNs;
        state(State.DISCONNECTED, why);
    }

    /**
     * The one place the link state changes: counted in the status file and logged.
     */
    private void state(final State next, final String why)
    {
        final State previous = state;
        state = next;
        linkStateCounter.setRelease(next.ordinal());
        if (next == State.DISCONNECTED)
        {
            LOG.warn("member link down: member={} {} -> {} reason={}", ctx.memberName(), previous, next, why);
        }
        else if (next == State.CONNECTING || next == State.AWAIT_WELCOME)
        {
            LOG.debug("member link: member={} {} -> {} reason={}", ctx.memberName(), previous, next, why);
        }
        else
        {
            LOG.info("member link: member={} {} -> {} reason={}", ctx.memberName(), previous, next, why);
        }
    }

    /**
     * @return the highest epoch this member knows: its journal's, or a higher one it learned. It sends this epoch
     * and refuses a primary in a lower one.
     */
    public long knownEpoch()
    {
        final Journal current = journal;
        return Math.max(null == current ? 0 : current.epoch(), learned.epoch());
    }

    /**
     * @return the member that is primary in {@link #knownEpoch()}, or null when this member does not know it.
     */
    public String knownPrimaryName()
    {
        return primaryNameOf(knownEpoch());
    }

    /**
     * The primary of {@code epoch}: the member that wrote its {@code EPOCH_START} in this journal, else the one
     * learned with it; null when neither is known.
     */
    private String primaryNameOf(final long epoch)
    {
        final Journal current = journal;
        if (null != current && current.epoch() == epoch)
        {
            final java.util.List<io.jmirror.journal.EpochStart> history = current.epochHistory();
            final String name = history.isEmpty() ? null : history.get(history.size() - 1).memberName();
            if (null != name)
            {
                return name;
            }
        }
        final Learned known = learned;
        return known.epoch() == epoch ? known.primaryName() : null;
    }

    /**
     * Tell this member of a higher epoch, as the failover layer does from the arbiter: from now on it sends that
     * epoch and refuses (with STALE_EPOCH) a primary in a lower one, dropping a link to such a primary at once. Safe
     * from any thread; an epoch not above {@link #knownEpoch()} changes nothing.
     *
     * @param epoch       the epoch.
     * @param primaryName the member that is primary in it, or null when not known.
     */
    public void learnEpoch(final long epoch, final String primaryName)
    {
        learn(epoch, primaryName, "told by the embedder");
        if (null != linkIdle)
        {
            linkIdle.wakeUp();
        }
    }

    private synchronized void learn(final long epoch, final String primaryName, final String from)
    {
        if (epoch <= knownEpoch())
        {
            return;
        }
        learned = new Learned(epoch, primaryName);
        knownEpochCounter.setRelease(epoch);
        LOG.info("member learned a higher epoch: member={} epoch={} primary={} from={}", ctx.memberName(), epoch,
            primaryName, from);
    }

    /**
     * @return the member's journal, or null until the first WELCOME created it.
     */
    public Journal journal()
    {
        return journal;
    }

    /**
     * @return the link state.
     */
    public State state()
    {
        return state;
    }

    /**
     * @return the reason of the primary's last REJECT since this member was last welcomed, or null.
     */
    public RejectReason lastReject()
    {
        return lastReject;
    }

    /**
     * @return the LSN the last REJECT carried (for {@link RejectReason#DIVERGED} the divergence LSN), -1 when none.
     */
    public long lastRejectLsn()
    {
        return lastRejectLsn;
    }

    /**
     * @return REJECTs received from primaries since start.
     */
    public long rejections()
    {
        return rejections;
    }

    /**
     * @return the end of the member's journal, -1 before it exists.
     */
    public long receivedLsn()
    {
        return receivedLsn;
    }

    /**
     * Report the dejournaler's applied LSN; it travels to the primary in the next ACK.
     *
     * @param lsn every record below it is applied.
     */
    public void appliedLsn(final long lsn)
    {
        appliedLsn = lsn;
    }

    /**
     * Stop (or resume) sending ACKs while still receiving and sending heartbeats: a fault to test the primary's QoS.
     *
     * @param stall true to stop acking.
     */
    public void stallAcks(final boolean stall)
    {
        stallAcks = stall;
    }

    /**
     * @return the receiver's status file (in memory unless {@code statusDir} was set).
     */
    public StatusFile statusFile()
    {
        return statusFile;
    }

    /**
     * @return the receiver's counters and link state.
     */
    public ReceiverStatus status()
    {
        final Journal current = journal;
        return new ReceiverStatus(ctx.memberName(), state.name(), receivedLsn,
            null == current ? -1 : current.durableLsn(), primaryTailLsn, bytesReceived, batches, badBatches, connects,
            knownEpoch(), knownPrimaryName(), staleLinks, lastError);
    }

    @Override
    public void onClose()
    {
        state(State.CLOSED, "closed");
        CloseHelper.quietClose(transport);
        CloseHelper.quietClose(channel);
        if (null != linkIdle)
        {
            linkIdle.close();
        }
        CloseHelper.quietClose(journalWaiter);
        decompressor.close();
        CloseHelper.quietClose(journal);
        CloseHelper.quietClose(statusFile);
    }

    /**
     * Stop the thread (if started), drop the link and close the member's journal. Safe to call twice.
     */
    @Override
    public void close()
    {
        if (null != runner)
        {
            CloseHelper.quietClose(runner);
        }
        else if (state != State.CLOSED)
        {
            onClose();
        }
    }
}
