package io.jmirror.shipper;

import io.jmirror.journal.BlockHandler;
import io.jmirror.journal.Journal;
import io.jmirror.journal.RecordDescriptor;
import io.jmirror.journal.JournalException;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalWaiter;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

import static io.jmirror.shipper.ProtocolDescriptor.*;
import static io.jmirror.shipper.ShipperDefaults.IN_FLIGHT_HOLD_MAX_NS;

/**
 * The primary's side of one member's link: an agent with an explicit state machine. It authenticates the member's
 * HELLO, then tails the journal from the member's resume LSN, cuts contiguous ranges of complete frames into
 * batches (zero-copy slices of the mapped files), compresses them into a reused direct buffer and writes them to
 * the socket, while it reads the member's acks and heartbeats.
 * <pre>
 *   CONNECTING --HELLO ok--> CATCHUP --caught up--> ACTIVE --no ack within QoS--> TROUBLE --caught up--> ACTIVE
 *        |                      |                     |                              |
 *        +----------------------+---------------------+--------- error / silence ----+--> CLOSED
 * </pre>
 * Every failure of this link closes this session only; the primary and the other members carry on.
 * <p>
 * Epochs: the session sends its primary's reign epoch ({@code journal.epoch()}). A member's HELLO may carry a lower
 * epoch (it is catching up; the WELCOME tells it the reign epoch); its later ACKs and HEARTBEATs must carry at least
 * the epoch it was told, else the session answers STALE_EPOCH and closes. A member frame from a higher epoch, or its
 * STALE_EPOCH, fences the whole primary ({@link Primary#isFenced()}); a fenced primary's sessions end their links with
 * a STALE_EPOCH naming the higher epoch, and ship nothing more.
 * <p>
 * With a {@link LinkIdleStrategy} (the default) an idle session blocks until the member's frame arrives or the
 * journal moves, and a commit that waits for this member wakes it directly ({@link #onCommitWait(long)}), so the
 * commit's batch leaves without waiting for a timer and without any batch delay.
 */
final class MemberSession implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(MemberSession.class);

    private final Primary primary;
    private final PrimaryContext ctx;
    private final Journal journal;
    private final Transport transport;
    private final FrameReader frameReader;
    private final FrameWriter frameWriter = new FrameWriter();
    private final MessageEncoder encoder = new MessageEncoder();
    private final MessageDecoder decoder = new MessageDecoder();
    private final FrameReader.FrameHandler frameHandler = this::onFrame;
    private final BlockHandler blockHandler = this::onBlock;
    private final CRC32C crc = new CRC32C();
    private final long qosTimeoutNs;
    private final long heartbeatIntervalNs;
    private final long connectDeadlineNs;
    private final LinkIdleStrategy linkIdle;
    private final AtomicLong commitWaitLsn = new AtomicLong(-1);
    private JournalWaiter journalWaiter;
    private MemberStatusCounters counters;
    /** The name its HELLO gave, null before; its REJECT is counted against that member if it is configured. */
    private String helloName;
    private BatchCompressor compressor;
    private AllowedMember member;
    private Codec codec = Codec.NONE;
    private int zstdLevel;
    private JournalReader reader;
    private volatile TransferStatus state = TransferStatus.CONNECTING;
    private volatile long sentLsn = -1;
    private volatile long ackedReceivedLsn = -1;
    private volatile long ackedDurableLsn = -1;
    private volatile long ackedAppliedLsn = -1;
    private volatile String reason = "connecting";
    private long lastReceiveNs;
    private long lastSendNs;
    private long lastAckProgressNs;
    private long pendingSinceNs;
    private volatile long lastCaughtUpMs;
    private boolean closeAfterFlush;
    private boolean isHoldingBatch;
    private boolean isAwaitingAck;

    private volatile String closeRequest;
    /** The lowest epoch the member's ACKs and HEARTBEATs may carry: the WELCOME's, raised by what it sent since. */
    private long memberEpochFloor;
    private volatile long memberEpoch = -1;
    /** Why this link ends with a STALE_EPOCH once the writer is free; null while it does not. */
    private String staleWhy;
    private long staleEpoch;
    private String stalePrimaryName;

    /**
     * @param idle the idle strategy the session's runner uses; a {@link LinkIdleStrategy} is set to wait on this
     *             link's socket and journal.
     */
    MemberSession(final Primary primary, final Transport transport, final long nowNs, final IdleStrategy idle)
    {
        this.primary = primary;
        this.ctx = primary.context();
        this.journal = ctx.journal();
        this.transport = transport;
        this.frameReader = new FrameReader(4096 + MAX_REJECT_MESSAGE_LENGTH);
        this.qosTimeoutNs = TimeUnit.MILLISECONDS.toNanos(ctx.qosTimeoutMs());
        this.heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(ctx.heartbeatIntervalMs());
        this.connectDeadlineNs = nowNs + TimeUnit.MILLISECONDS.toNanos(ctx.connectTimeoutMs());
        this.lastReceiveNs = nowNs;
        this.lastSendNs = nowNs;
        this.lastAckProgressNs = nowNs;
        this.linkIdle = idle instanceof LinkIdleStrategy ? (LinkIdleStrategy)idle : null;
        if (null != linkIdle)
        {
            linkIdle.guard(new LinkIdleStrategy.BlockGuard()
            {
                @Override
                public int beforeBlock()
                {
                    return MemberSession.this.beforeBlock();
                }

                @Override
                public void afterBlock()
                {
                    if (null != journalWaiter)
                    {
                        journalWaiter.disarm();
                    }
                }
            });
            journalWaiter = journal.newWaiter(linkIdle::wakeUp);
            try
            {
                linkIdle.register(transport.channel());
            }
            catch (final RuntimeException ex)
            {
                journalWaiter.close();
                linkIdle.close();
                throw ex;
            }
        }
    }

    @Override
    public String roleName()
    {
        return "jmirror-session-" + transport.peerAddress();
    }

    @Override
    public int doWork()
    {
        final String closeWhy = closeRequest;
        if (null != closeWhy && state != TransferStatus.CLOSED)
        {
            close(closeWhy);
        }
        final TransferStatus current = state;
        if (current == TransferStatus.CLOSED)
        {
            throw new AgentTerminationException();
        }
        final long nowNs = System.nanoTime();
        try
        {
            return current == TransferStatus.CONNECTING ? connecting(nowNs) : streaming(nowNs);
        }
        catch (final ShipperException | JournalException ex)
        {
            primary.countError();
            if (null != member)
            {
                primary.onMemberError(member.name(), ex.getMessage());
            }
            close("link failed: " + ex.getMessage());
            return 1;
        }
    }

    private int connecting(final long nowNs)
    {
        if (nowNs - connectDeadlineNs > 0)
        {
            close("no HELLO within the connect timeout: connectTimeoutMs=" + ctx.connectTimeoutMs());
            return 1;
        }
        if (!transport.handshake())
        {
            return 0;
        }
        int work = 0;
        if (!closeAfterFlush)
        {
            final int frames = pollFrames();
            if (frames < 0)
            {
                close("member closed the link before its HELLO was accepted");
                return 1;
            }
            work += frames;
        }
        work += flush(nowNs);
        if (closeAfterFlush && frameWriter.isIdle(transport))
        {
            state(TransferStatus.CLOSED, reason);
            transport.close();
        }
        return work;
    }

    private int streaming(final long nowNs)
    {
        if (null == staleWhy && primary.isFenced())
        {
            endWithStaleEpoch(primary.fencedEpoch(), primary.fencedPrimaryName(), "primary is fenced by a higher " +
                "epoch: fencedEpoch=" + primary.fencedEpoch() + " reignEpoch=" + journal.epoch());
        }
        if (null != staleWhy)
        {
            return endingStale(nowNs);
        }
        int work = pollFrames();
        if (work < 0)
        {
            close("member closed the link");
            return 1;
        }
        if (null != closeRequest)
        {
            return work + 1; // closed at the start of the next duty cycle
        }
        if (null != staleWhy)
        {
            return work + endingStale(nowNs);
        }

        if (frameWriter.isIdle(transport))
        {
            work += ship(nowNs);
            if (frameWriter.isIdle(transport) && nowNs - lastSendNs >= heartbeatIntervalNs)
            {
                frameWriter.offer(encoder.heartbeat(journal.epoch(), System.currentTimeMillis(), journal.durableLsn()),
                    null);
                work++;
            }
        }
        work += flush(nowNs);
        work += checkTimers(nowNs);
        return work;
    }

    /**
     * End this link with a STALE_EPOCH naming {@code epoch}, once the frame being written is out.
     */
    private void endWithStaleEpoch(final long epoch, final String primaryName, final String why)
    {
        if (null == staleWhy)
        {
            staleWhy = why;
            staleEpoch = epoch;
            stalePrimaryName = primaryName;
        }
    }

    private int endingStale(final long nowNs)
    {
        int work = 0;
        if (!closeAfterFlush && frameWriter.isIdle(transport))
        {
            frameWriter.offer(encoder.staleEpoch(staleEpoch, stalePrimaryName), null);
            reason = staleWhy;
            closeAfterFlush = true;
            work++;
        }
        work += flush(nowNs);
        if ((closeAfterFlush && frameWriter.isIdle(transport)) || nowNs - lastReceiveNs > qosTimeoutNs)
        {
            close(staleWhy);
            return work + 1;
        }
        return work;
    }

    private int ship(final long nowNs)
    {
        isHoldingBatch = false;
        isAwaitingAck = false;
        if (!reader.hasData())
        {
            pendingSinceNs = 0;
            return 0;
        }
        if (ctx.maxBatchDelayNs() > 0 && !isCommitWaiting())
        {
            if (0 == pendingSinceNs)
            {
                pendingSinceNs = nowNs;
            }
            if (journal.tailLsn() - reader.position() < ctx.maxBatchBytes() &&
                nowNs - pendingSinceNs < ctx.maxBatchDelayNs())
            {
                isHoldingBatch = true;
                return 0;
            }
        }
        else if (isHeldForAck(nowNs))
        {
            isAwaitingAck = true;
            return 0;
        }
        pendingSinceNs = 0;
        return reader.pollBlock(blockHandler, batchLimit()) > 0 ? 1 : 0;
    }

    /**
     * While a batch is in flight the next is cut at {@code inFlightBatchBytes} too, not only held until then: a session
     * slower than its appender (compressing) then works on batch N+1 while the member checks and writes batch N, and
     * the last batch of a burst, which nothing overlaps, stays short. Alone on the link a batch may be as large as
     * {@code maxBatchBytes}, as in catch-up.
     */
    private int batchLimit()
    {
        final int inFlightBatchBytes = ctx.inFlightBatchBytes();
        return 0 != inFlightBatchBytes && ackedReceivedLsn < sentLsn ? inFlightBatchBytes : ctx.maxBatchBytes();
    }

    /**
     * Ack clocking, as TCP's Nagle does it: while a batch is in flight, let a small one wait for the ack or for more
     * records. A lone record still leaves at once (nothing is in flight), a commit's batch too, and a session that
     * keeps up with its appender ships batches of {@code inFlightBatchBytes} rather than a few KiB per wake-up.
     * Uncompressed only: there a batch's fixed cost (wake-ups, frame, ack) outweighs its bytes' (a CRC and a copy),
     * while a compressing session is the link's bottleneck, and holding it back only idles it (at the end of every
     * burst, until the member has written the previous batch).
     */
    private boolean isHeldForAck(final long nowNs)
    {
        final int inFlightBatchBytes = ctx.inFlightBatchBytes();
        if (0 == inFlightBatchBytes || codec != Codec.NONE || ackedReceivedLsn >= sentLsn || isCommitWaiting())
        {
            return false;
        }
        if (0 == pendingSinceNs)
        {
            pendingSinceNs = nowNs;
        }
        return journal.tailLsn() - reader.position() < inFlightBatchBytes &&
            nowNs - pendingSinceNs < IN_FLIGHT_HOLD_MAX_NS;
    }

    /**
     * @return true when a commit waits for a record this session has not sent yet: no batch delay then.
     */
    private boolean isCommitWaiting()
    {
        return commitWaitLsn.get() >= reader.position();
    }

    /**
     * What an idle session waits for, after arming the journal's wake-up: the member's frames, room in the socket
     * while a frame is half written, new records (unless a batch is held back for the batch delay, when it parks).
     */
    private int beforeBlock()
    {
        if (null != closeRequest)
        {
            return LinkIdleStrategy.BlockGuard.WORK_WAITING;
        }
        final TransferStatus now = state;
        if ((null != staleWhy || primary.isFenced()) && now != TransferStatus.CONNECTING &&
            now != TransferStatus.CLOSED)
        {
            return frameWriter.isIdle(transport) ? LinkIdleStrategy.BlockGuard.WORK_WAITING :
                SelectionKey.OP_READ | SelectionKey.OP_WRITE;
        }
        final boolean isWriting = !frameWriter.isIdle(transport);
        final TransferStatus current = state;
        if (!isWriting && null != reader && current != TransferStatus.CONNECTING && current != TransferStatus.CLOSED)
        {
            if (isAwaitingAck)
            {
                // wait on the socket for the ack, woken by the appender only once a batch's worth is there
                journalWaiter.armAt(reader.position() + ctx.inFlightBatchBytes());
                if (isCommitWaiting() || journal.tailLsn() - reader.position() >= ctx.inFlightBatchBytes())
                {
                    return LinkIdleStrategy.BlockGuard.WORK_WAITING;
                }
                return SelectionKey.OP_READ;
            }
            journalWaiter.arm();
            if (isCommitWaiting())
            {
                return LinkIdleStrategy.BlockGuard.WORK_WAITING;
            }
            if (reader.hasData())
            {
                return isHoldingBatch ? LinkIdleStrategy.BlockGuard.PARK : LinkIdleStrategy.BlockGuard.WORK_WAITING;
            }
        }
        return isWriting ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ;
    }

    /**
     * A commit waits until this member acks {@code lsn} durable: ship it now. Safe from any thread. The volatile
     * write here and the session's read of it before blocking order each other, so the session either sees the wait
     * or is woken.
     */
    void onCommitWait(final long lsn)
    {
        long current;
        while ((current = commitWaitLsn.get()) < lsn)
        {
            if (commitWaitLsn.compareAndSet(current, lsn))
            {
                break;
            }
        }
        if (null != linkIdle && sentLsn <= lsn)
        {
            linkIdle.wakeUp();
        }
    }

    private void onBlock(final ByteBuffer block, final long startLsn, final int length)
    {
        final int position = block.position();
        crc.reset();
        crc.update(block);
        block.position(position);
        final ByteBuffer payload = compressor.compress(codec, zstdLevel, block);
        final int payloadLength = payload.remaining();
        frameWriter.offer(encoder.batchHeader(
            journal.epoch(), startLsn, startLsn + length, codec, length, (int)crc.getValue(), payloadLength), payload);
        sentLsn = startLsn + length;
        counters.onBatch(length, payloadLength + BATCH_HEADER_LENGTH, sentLsn);
    }

    private int flush(final long nowNs)
    {
        final long written = frameWriter.flush(transport);
        if (written > 0)
        {
            lastSendNs = nowNs;
            return 1;
        }
        return 0;
    }

    private int pollFrames()
    {
        return frameReader.poll(transport, frameHandler, 64);
    }

    private void onFrame(final UnsafeBuffer buffer, final int offset, final int length)
    {
        if (null != staleWhy || null != closeRequest)
        {
            return; // the link is ending: nothing more from the member is used
        }
        lastReceiveNs = System.nanoTime();
        final int version = buffer.getByte(offset + ProtocolDescriptor.VERSION_OFFSET) & 0xFF;
        if (state == TransferStatus.CONNECTING && version != ProtocolDescriptor.VERSION)
        {
            // Say so before closing: a member of another version learns why, not only that the link died.
            reject(RejectReason.INCOMPATIBLE_VERSION, -1, "incompatible protocol version: version=" + version +
                " supported=" + ProtocolDescriptor.VERSION);
            return;
        }
        decoder.wrap(buffer, offset, length, transport.peerAddress());
        switch (decoder.type())
        {
            case TYPE_HELLO:
                onHello();
                break;
            case TYPE_ACK:
                onAck();
                break;
            case TYPE_HEARTBEAT:
                if (state != TransferStatus.CONNECTING)
                {
                    isMemberEpochCurrent(decoder.epoch(), TYPE_HEARTBEAT);
                }
                break;
            case TYPE_STALE_EPOCH:
                onStaleEpoch();
                break;
            default:
                throw new ShipperException(ShipperException.Code.PROTOCOL, "unexpected frame from member: type=" +
                    typeName(decoder.type()) + " member=" + memberName() + " peer=" + transport.peerAddress());
        }
    }

    private void onHello()
    {
        if (state != TransferStatus.CONNECTING)
        {
            throw new ShipperException(ShipperException.Code.PROTOCOL, "second HELLO: member=" + memberName());
        }
        final String memberName = decoder.helloMemberName();
        helloName = memberName;
        final String mirrorName = decoder.helloMirrorName();
        final MemberRole role = MemberRole.fromCode(decoder.helloRoleCode());
        final AllowedMember allowed = primary.allowedMember(memberName);
        if (!journal.mirrorName().equals(mirrorName))
        {
            reject(RejectReason.WRONG_MIRROR, -1, "member of another mirror: mirror=" + mirrorName + " expected=" +
                journal.mirrorName() + " member=" + memberName);
            return;
        }
        if (null == allowed)
        {
            reject(RejectReason.UNKNOWN_MEMBER, -1, "member is not on the allow-list: member=" + memberName);
            return;
        }
        if (allowed.role() != role)
        {
            reject(RejectReason.ROLE_MISMATCH, -1, "member asked for another role: member=" + memberName +
                " role=" + role + " allowed=" + allowed.role());
            return;
        }
        if (null != ctx.tls() && !allowed.matches(transport.peerSubject()))
        {
            reject(RejectReason.UNAUTHORIZED, -1, "certificate does not match the member: member=" + memberName +
                " subject=" + transport.peerSubject());
            return;
        }
        if (!isHelloEpochAdmitted(memberName))
        {
            return;
        }
        final long journalId = decoder.helloJournalId();
        if (0 != journalId && journalId != journal.journalId())
        {
            reject(RejectReason.WRONG_JOURNAL, -1, "member holds a copy of another journal: member=" + memberName +
                " journalId=" + journalId + " expected=" + journal.journalId());
            return;
        }
        final long requested = decoder.helloResumeLsn();
        final long resumeLsn = requested < 0 ? journal.startLsn() : requested;
        if ((resumeLsn & (RecordDescriptor.ALIGNMENT - 1)) != 0)
        {
            reject(RejectReason.LSN_UNALIGNED, -1, "resume lsn is not a frame position (frames are 8-byte " +
                "aligned): member=" + memberName + " resumeLsn=" + resumeLsn);
            return;
        }
        if (resumeLsn < journal.startLsn())
        {
            reject(RejectReason.LSN_PURGED, journal.startLsn(), "resume lsn is purged: member=" + memberName +
                " resumeLsn=" + resumeLsn + " oldestLsnHeld=" + journal.startLsn());
            return;
        }
        final long divergence = divergenceLsn(decoder.helloJournalEpoch(), resumeLsn);
        if (divergence >= 0)
        {
            reject(RejectReason.DIVERGED, divergence, "member's journal runs beyond where a later epoch starts in " +
                "the primary's: member=" + memberName + " journalEpoch=" + decoder.helloJournalEpoch() +
                " knownEpoch=" + decoder.epoch() + " resumeLsn=" +
                resumeLsn + " divergenceLsn=" + divergence + " reignEpoch=" + journal.epoch());
            return;
        }
        if (resumeLsn > journal.tailLsn())
        {
            reject(RejectReason.LSN_AHEAD, journal.tailLsn(), "member's journal runs past the primary's: member=" +
                memberName + " resumeLsn=" + resumeLsn + " primaryEndLsn=" + journal.tailLsn());
            return;
        }
        if (!journal.isFrameStart(resumeLsn))
        {
            // Sending from here would read the primary's healthy journal from mid-frame and call it damaged.
            reject(RejectReason.LSN_NOT_A_RECORD, -1, "resume lsn is inside a record, not at its start: member=" +
                memberName + " resumeLsn=" + resumeLsn);
            return;
        }
        Codec chosen = allowed.compression().codecFor(role);
        if ((decoder.helloCodecs() & chosen.bit()) == 0)
        {
            if ((decoder.helloCodecs() & Codec.NONE.bit()) == 0)
            {
                reject(RejectReason.NO_COMMON_CODEC, -1, "member accepts none of the codecs: member=" + memberName +
                    " codecs=" + decoder.helloCodecs() + " wanted=" + chosen);
                return;
            }
            chosen = Codec.NONE;
        }
        this.member = allowed;
        final RejectReason refused = primary.register(this);
        if (null != refused)
        {
            this.member = null;
            reject(refused, -1, "another member is connected as the BACKUP: member=" + memberName);
            return;
        }
        try
        {
            // Frame CRCs are checked where it matters, by the member's replicator before it writes a byte, and the
            // batch CRC covers the link: summing every frame here too would cost the session a third pass.
            reader = journal.reader(resumeLsn).verifyChecksums(false);
        }
        catch (final JournalException ex)
        {
            primary.unregister(this);
            reject(RejectReason.LSN_PURGED, journal.startLsn(), ex.getMessage());
            return;
        }
        codec = chosen;
        zstdLevel = allowed.compression().zstdLevel();
        counters = primary.memberCounters(memberName);
        // A single record larger than a batch travels alone, so the compressor takes the largest record too.
        compressor = new BatchCompressor(Math.max(ctx.maxBatchBytes(), journal.context().maxRecordLength()));
        sentLsn = resumeLsn;
        ackedReceivedLsn = resumeLsn;
        ackedDurableLsn = resumeLsn;
        primary.onMemberSeen(memberName, resumeLsn);
        final long reignEpoch = journal.epoch();
        memberEpochFloor = reignEpoch;
        memberEpoch = decoder.epoch();
        frameWriter.offer(encoder.welcome(reignEpoch, journal.journalId(),
            journal.fileLength(), resumeLsn, journal.tailLsn(),
            (int)ctx.heartbeatIntervalMs(), (int)ctx.qosTimeoutMs()), null);
        state(TransferStatus.CATCHUP, "welcomed: resumeLsn=" + resumeLsn + " codec=" + codec + " role=" + role +
            " epoch=" + reignEpoch + " memberEpoch=" + memberEpoch);
    }

    /**
     * Where a member whose journal ends in {@code memberEpoch} (the HELLO's journal epoch, not the higher epoch it may
     * know) and resumes at {@code resumeLsn} parts from this journal: the start of the first epoch after the member's
     * in this journal's epoch history, when the member's journal runs beyond it (its bytes there were written in the
     * member's epoch, which this journal left at that LSN). A member at or below that start, or in the reign epoch,
     * has not diverged by what the history can tell.
     *
     * @return the divergence LSN, or -1 when none is seen.
     */
    private long divergenceLsn(final long memberEpoch, final long resumeLsn)
    {
        if (memberEpoch >= journal.epoch())
        {
            return -1;
        }
        // A HELLO is rare: reading the history here costs nothing on the shipping path.
        for (final io.jmirror.journal.EpochStart start : journal.epochHistory())
        {
            if (start.epoch() > memberEpoch)
            {
                // A start in a purged file lies below every LSN held: LSN_PURGED speaks for such a member.
                return start.lsn() != io.jmirror.journal.EpochStart.PURGED && resumeLsn > start.lsn() ?
                    start.lsn() : -1;
            }
        }
        return -1;
    }

    /**
     * A HELLO's epoch may be lower than the reign epoch (the member is catching up; the WELCOME tells it the epoch).
     * A higher one fences this primary; a fenced primary welcomes nobody and tells a member in a lower epoch the
     * higher one.
     *
     * @return true when the member may be welcomed.
     */
    private boolean isHelloEpochAdmitted(final String memberName)
    {
        final long helloEpoch = decoder.epoch();
        final long reignEpoch = journal.epoch();
        if (helloEpoch > reignEpoch)
        {
            primary.onHigherEpoch(helloEpoch, null, memberName, "HELLO");
        }
        if (!primary.isFenced())
        {
            return true;
        }
        final long fencedEpoch = primary.fencedEpoch();
        reason = "primary is fenced by a higher epoch: fencedEpoch=" + fencedEpoch + " helloEpoch=" + helloEpoch +
            " reignEpoch=" + reignEpoch + " member=" + memberName;
        if (helloEpoch < fencedEpoch)
        {
            frameWriter.offer(encoder.staleEpoch(fencedEpoch, primary.fencedPrimaryName()), null);
        }
        LOG.info("member not welcomed: {}", reason);
        closeAfterFlush = true;
        return false;
    }

    /**
     * Check the epoch of a member's ACK or HEARTBEAT: higher than the reign epoch fences the primary; lower than
     * the epoch the member was told is stale, answered with STALE_EPOCH.
     *
     * @return true when the frame may be used.
     */
    private boolean isMemberEpochCurrent(final long epoch, final int type)
    {
        final long reignEpoch = journal.epoch();
        if (epoch > reignEpoch)
        {
            primary.onHigherEpoch(epoch, null, memberName(), typeName(type));
            closeRequest = "member's " + typeName(type) + " is from a higher epoch: epoch=" + epoch +
                " reignEpoch=" + reignEpoch;
            return false;
        }
        if (epoch < memberEpochFloor)
        {
            endWithStaleEpoch(reignEpoch, reignPrimaryName(), "member's " + typeName(type) + " is from a stale " +
                "epoch: epoch=" + epoch + " expectedAtLeast=" + memberEpochFloor + " reignEpoch=" + reignEpoch +
                " member=" + memberName());
            return false;
        }
        if (epoch > memberEpochFloor)
        {
            memberEpochFloor = epoch;
        }
        memberEpoch = epoch;
        return true;
    }

    /**
     * The member answered STALE_EPOCH: it knows a higher epoch than this primary's, which is fenced. A STALE_EPOCH
     * that names no higher epoch is a protocol error of this link only.
     */
    private void onStaleEpoch()
    {
        if (state == TransferStatus.CONNECTING)
        {
            throw new ShipperException(ShipperException.Code.PROTOCOL, "STALE_EPOCH before HELLO: peer=" +
                transport.peerAddress());
        }
        final long epoch = decoder.staleEpochEpoch();
        final long reignEpoch = journal.epoch();
        if (epoch <= reignEpoch)
        {
            throw new ShipperException(ShipperException.Code.PROTOCOL, "STALE_EPOCH names no higher epoch: epoch=" +
                epoch + " reignEpoch=" + reignEpoch + " member=" + memberName());
        }
        final String name = decoder.staleEpochPrimaryName();
        primary.onHigherEpoch(epoch, name.isEmpty() ? null : name, memberName(), "STALE_EPOCH");
        closeRequest = "member answered STALE_EPOCH: epoch=" + epoch + " primary=" + name + " reignEpoch=" +
            reignEpoch;
    }

    /**
     * @return the member that opened the reign epoch (its {@code EPOCH_START}), or null when none is known.
     */
    private String reignPrimaryName()
    {
        final java.util.List<io.jmirror.journal.EpochStart> history = journal.epochHistory();
        return history.isEmpty() ? null : history.get(history.size() - 1).memberName();
    }

    private void reject(final RejectReason why, final long lsn, final String message)
    {
        primary.countRejection();
        LOG.warn("member refused: reason={} {} peer={}", why, message, transport.peerAddress());
        reason = "rejected " + why + ": " + message;
        primary.onRejected(helloName, why, reason);
        frameWriter.offer(encoder.reject(why, lsn, message), null);
        closeAfterFlush = true;
    }

    private void onAck()
    {
        if (state == TransferStatus.CONNECTING)
        {
            throw new ShipperException(ShipperException.Code.PROTOCOL, "ACK before HELLO: peer=" +
                transport.peerAddress());
        }
        if (!isMemberEpochCurrent(decoder.epoch(), TYPE_ACK))
        {
            return;
        }
        final long received = decoder.ackReceivedLsn();
        final long durable = decoder.ackDurableLsn();
        if (received > sentLsn || durable > received)
        {
            throw new ShipperException(ShipperException.Code.PROTOCOL, "ACK beyond what was sent: member=" +
                memberName() + " receivedLsn=" + received + " durableLsn=" + durable + " sentLsn=" + sentLsn);
        }
        if (received > ackedReceivedLsn)
        {
            ackedReceivedLsn = received;
        }
        if (durable > ackedDurableLsn)
        {
            ackedDurableLsn = durable;
            if (null != member && member.role() == MemberRole.BACKUP)
            {
                primary.onBackupAck(this, durable);
            }
            primary.onDurableAck(this, durable);
            lastAckProgressNs = lastReceiveNs;
            primary.onMemberSeen(member.name(), durable);
        }
        final long applied = decoder.ackAppliedLsn();
        if (applied > ackedAppliedLsn)
        {
            ackedAppliedLsn = applied;
        }
        counters.onAck(ackedDurableLsn, ackedAppliedLsn);
    }

    private int checkTimers(final long nowNs)
    {
        if (nowNs - lastReceiveNs > qosTimeoutNs)
        {
            close("no frame from member within the QoS timeout: qosTimeoutMs=" + ctx.qosTimeoutMs());
            return 1;
        }
        final long durable = ackedDurableLsn;
        if (durable >= sentLsn)
        {
            lastAckProgressNs = nowNs;
        }
        counters.lag(Math.max(0, journal.tailLsn() - durable), lagMs(durable));
        final TransferStatus current = state;
        if (current == TransferStatus.ACTIVE && nowNs - lastAckProgressNs > qosTimeoutNs)
        {
            state(TransferStatus.TROUBLE, "no ack within the QoS timeout: ackedDurableLsn=" + durable + " sentLsn=" +
                sentLsn + " qosTimeoutMs=" + ctx.qosTimeoutMs());
            return 1;
        }
        if (isCaughtUp(durable))
        {
            lastCaughtUpMs = System.currentTimeMillis();
            if (current == TransferStatus.CATCHUP || current == TransferStatus.TROUBLE)
            {
                state(TransferStatus.ACTIVE, "caught up: ackedDurableLsn=" + durable);
                return 1;
            }
        }
        return 0;
    }

    /**
     * In step with the live journal: everything sent is acked durable and there is less than one batch left to
     * send, so from here the member keeps up batch by batch.
     */
    private boolean isCaughtUp(final long durable)
    {
        return durable == sentLsn && journal.tailLsn() - sentLsn <= ctx.maxBatchBytes();
    }

    private void state(final TransferStatus next, final String why)
    {
        final TransferStatus previous = state;
        state = next;
        reason = why;
        primary.onStateChange(this, previous, next);
        if (null != counters && primary.isRegistered(this))
        {
            counters.onState(next); // a replaced session does not overwrite its successor's state
        }
        LOG.info("member session: member={} {} -> {} reason={}", memberName(), previous, next, why);
    }

    /**
     * Ask the session's own thread to close the link at its next duty cycle; safe from any thread.
     */
    void requestClose(final String why)
    {
        closeRequest = why;
        if (null != linkIdle)
        {
            linkIdle.wakeUp();
        }
    }

    /**
     * Close this link; the member will reconnect and resume.
     */
    void close(final String why)
    {
        if (state == TransferStatus.CLOSED)
        {
            return;
        }
        state(TransferStatus.CLOSED, why);
        transport.close();
    }

    @Override
    public void onClose()
    {
        if (state != TransferStatus.CLOSED)
        {
            state(TransferStatus.CLOSED, "primary closing");
        }
        transport.close();
        if (null != reader)
        {
            reader.close();
        }
        if (null != compressor)
        {
            compressor.close();
        }
        if (null != journalWaiter)
        {
            journalWaiter.close();
        }
        if (null != linkIdle)
        {
            linkIdle.close();
        }
        primary.unregister(this);
    }

    String memberName()
    {
        return null == member ? "(unknown)" : member.name();
    }

    /**
     * Wake the session's thread, e.g. to end its link once the primary is fenced; safe from any thread.
     */
    void wakeUp()
    {
        if (null != linkIdle)
        {
            linkIdle.wakeUp();
        }
    }

    AllowedMember member()
    {
        return member;
    }

    TransferStatus state()
    {
        return state;
    }

    long ackedDurableLsn()
    {
        return ackedDurableLsn;
    }

    MemberStatus status()
    {
        final long tail = journal.tailLsn();
        final long durable = ackedDurableLsn;
        final TransferStatus current = state;
        return new MemberStatus(memberName(), null == member ? null : member.role(), current.name(),
            transport.peerAddress(), codec, sentLsn, ackedReceivedLsn, durable, ackedAppliedLsn,
            Math.max(0, tail - durable), lagMs(durable),
            null == counters ? 0 : counters.bytesRaw(), null == counters ? 0 : counters.bytesSent(),
            null == counters ? 0 : counters.batches(), memberEpoch, reason,
            null == counters ? 0 : counters.lastSeenMs(), null == counters ? 0 : counters.rawBytesPerSecond(),
            null == counters ? 0 : counters.sentBytesPerSecond());
    }

    /**
     * @return how long since the member was last in step, 0 while it is, -1 when it never was.
     */
    private long lagMs(final long durable)
    {
        if (0 == lastCaughtUpMs)
        {
            return -1;
        }
        return state == TransferStatus.ACTIVE && durable >= sentLsn ? 0 :
            Math.max(0, System.currentTimeMillis() - lastCaughtUpMs);
    }
}
