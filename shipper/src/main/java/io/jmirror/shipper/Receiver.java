package io.jmirror.shipper;

import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalException;
import io.jmirror.journal.JournalReplicator;
import io.jmirror.journal.JournalWaiter;
import io.jmirror.journal.StatusFile;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
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
    private final long qosTimeoutNs;
    private final long heartbeatIntervalNs;
    private final long reconnectIntervalNs;
    private final StatusFile statusFile;
    private final AtomicCounter linkStateCounter;
    private final AtomicCounter receivedLsnCounter;
    private final AtomicCounter durableLsnCounter;
    private final AtomicCounter bytesCounter;
    private final AtomicCounter badBatchesCounter;
    private final AtomicCounter connectsCounter;
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
    private volatile String lastError;
    private volatile boolean stallAcks;
    private long reconnectAtNs;
    private long lastReceiveNs;
    private long lastSendNs;
    private long ackedReceivedLsn = -1;
    private long ackedDurableLsn = -1;
    private long ackedAppliedLsn = -1;
    private long connectDeadlineNs;

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
        this.statusFile = StatusFile.create(ctx.statusDir(), 64);
        final String prefix = "receiver=" + ctx.memberName() + " ";
        this.linkStateCounter = statusFile.newCounter(prefix + "linkState");
        this.receivedLsnCounter = statusFile.newCounter(prefix + "receivedLsn");
        this.durableLsnCounter = statusFile.newCounter(prefix + "durableLsn");
        this.bytesCounter = statusFile.newCounter(prefix + "bytesReceived");
        this.badBatchesCounter = statusFile.newCounter(prefix + "badBatches");
        this.connectsCounter = statusFile.newCounter(prefix + "connects");
        if (Journal.exists(ctx.journalContext().journalDir()))
        {
            openJournal();
        }
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
        receiver.runner = new AgentRunner(idle,
            (ex) -> LOG.error("receiver failed: member={}", ctx.memberName(), ex), null, receiver);
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
        state = State.CONNECTING;
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
        final long journalId = null == journal ? 0 : journal.journalId();
        final long resumeLsn = null == replicator ? -1 : replicator.endLsn();
        frameWriter.reset();
        frameWriter.offer(encoder.hello(ctx.mirrorName(), ctx.memberName(), ctx.role(), journalId, resumeLsn,
            ctx.acceptedCodecs()), null);
        lastReceiveNs = nowNs;
        lastSendNs = nowNs;
        state = State.AWAIT_WELCOME;
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
        if (state == State.STREAMING && frameWriter.isIdle(transport))
        {
            final long durable = journal.durableLsn();
            final long received = receivedLsn;
            final long applied = appliedLsn;
            durableLsnCounter.setRelease(durable);
            if (!stallAcks && isAckDue(received, durable, applied))
            {
                frameWriter.offer(encoder.ack(received, durable, applied), null);
                ackedReceivedLsn = received;
                ackedDurableLsn = durable;
                ackedAppliedLsn = applied;
                work++;
            }
            else if (nowNs - lastSendNs >= heartbeatIntervalNs)
            {
                frameWriter.offer(encoder.heartbeat(System.currentTimeMillis(), durable), null);
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
        if (state == State.DISCONNECTED)
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
                primaryTailLsn = decoder.heartbeatLsn();
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
        connects++;
        connectsCounter.setRelease(connects);
        linkStateCounter.setRelease(State.STREAMING.ordinal());
        lastError = null;
        ackedReceivedLsn = -1;
        state = State.STREAMING;
        LOG.info("member streaming: member={} primary={} resumeLsn={} primaryTailLsn={}", ctx.memberName(),
            transport.peerAddress(), startLsn, primaryTailLsn);
    }

    private void onReject()
    {
        final RejectReason reason = RejectReason.fromCode(decoder.rejectReasonCode());
        throw new ShipperException(ShipperException.Code.REJECTED, "primary refused this member: reason=" + reason +
            " " + decoder.rejectMessage());
    }

    private void onBatch()
    {
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
    }

    private void disconnect(final String why, final long nowNs)
    {
        if (state == State.CLOSED)
        {
            return;
        }
        lastError = why;
        LOG.warn("member link down: member={} reason={}", ctx.memberName(), why);
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
        state = State.DISCONNECTED;
        linkStateCounter.setRelease(State.DISCONNECTED.ordinal());
        badBatchesCounter.setRelease(badBatches);
        reconnectAtNs = nowNs + reconnectIntervalNs;
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
            lastError);
    }

    @Override
    public void onClose()
    {
        state = State.CLOSED;
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
