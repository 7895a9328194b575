package io.jmirror.shipper;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.jmirror.shipper.Await.await;
import static io.jmirror.shipper.ProtocolDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Epochs on the wire, over loopback: a member that knows a higher epoch fences a lower-epoch primary (no more
 * commits acknowledged, no more batches, the handler told), answers a stale primary with STALE_EPOCH and writes
 * none of its bytes; a member catching up from an older epoch is not stale; a malformed STALE_EPOCH or a version 1
 * peer ends only its own link.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EpochSystemTest
{
    private static final long FILE_LENGTH = 256 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Epoch");
    private static final long WAIT_MS = 30_000;

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<long[]> higherEpochs = new CopyOnWriteArrayList<>();
    private final AtomicReference<String> higherEpochPrimary = new AtomicReference<>();
    private Journal primaryJournal;
    private JournalAppender appender;
    private Primary primary;
    private long txn;

    @AfterEach
    void closeAll()
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(closeables.get(i));
        }
    }

    private Journal openJournal(final String name)
    {
        final Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve(name))
            .fileLength(FILE_LENGTH).mirrorName("TEST").syncPolicy(SyncPolicy.NONE));
        closeables.add(journal);
        return journal;
    }

    /** A primary over journal "a" that reigns in {@code epoch}. */
    private void startPrimary(final long epoch)
    {
        primaryJournal = openJournal("a");
        primaryJournal.startEpoch(epoch, "a");
        appender = primaryJournal.newAppender();
        primary = Primary.start(new PrimaryContext()
            .journal(primaryJournal)
            .insecure(true)
            .maxBatchBytes(64 * 1024)
            .member(AllowedMember.of("backup-1", MemberRole.BACKUP))
            .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC))
            .higherEpochHandler((higher, name) ->
            {
                higherEpochs.add(new long[] {higher});
                higherEpochPrimary.set(name);
            }));
        closeables.add(primary);
    }

    private ReceiverContext receiverContext(final String name, final MemberRole role, final String journalDir,
        final InetSocketAddress to)
    {
        return new ReceiverContext()
            .memberName(name)
            .role(role)
            .primaryAddress(to)
            .insecure(true)
            .maxBatchBytes(64 * 1024)
            .reconnectIntervalMs(20)
            .journalContext(new JournalContext().journalDir(dir.resolve(journalDir)).syncPolicy(SyncPolicy.GROUP)
                .mirrorName("TEST"));
    }

    private Receiver startReceiver(final ReceiverContext ctx)
    {
        final Receiver receiver = Receiver.start(ctx);
        closeables.add(receiver);
        return receiver;
    }

    private static void append(final JournalAppender appender, final int records)
    {
        final SubscriptKey key = new SubscriptKey();
        for (int i = 0; i < records; i++)
        {
            appender.set(0, GLOBAL, key.clear().add(i % 50), new byte[] {(byte)i, 1, 2, 3});
        }
    }

    private long commit()
    {
        append(appender, 5);
        return appender.tcommit(++txn);
    }

    private void awaitCaughtUp(final Receiver receiver)
    {
        final long tail = primaryJournal.tailLsn();
        await(() -> receiver.receivedLsn() == tail, WAIT_MS, () -> "member behind: received=" +
            receiver.receivedLsn() + " primaryTail=" + tail + " status=" + receiver.status());
    }

    private void awaitActive(final String member)
    {
        await(() -> null != primary.memberStatus(member) &&
            "ACTIVE".equals(primary.memberStatus(member).transferStatus()), WAIT_MS,
            () -> "not ACTIVE: " + primary.memberStatus());
    }

    private static void pause(final long ms)
    {
        final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        await(() -> System.nanoTime() - until > 0, ms + 5_000, () -> "clock");
    }

    @Test
    void aMemberWhoseJournalKnowsAHigherEpochFencesALowerEpochPrimary()
    {
        startPrimary(4);
        append(appender, 200);
        // backup-1 copies the epoch-4 journal, then takes over: its own journal starts epoch 5 (a takeover's step)
        Receiver backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, "b", primary.address()));
        awaitCaughtUp(backup);
        backup.close();
        final Journal tookOver = openJournal("b");
        tookOver.startEpoch(5, "backup-1");
        append(tookOver.newAppender(), 10);
        final long tookOverEnd = tookOver.tailLsn();
        final java.util.List<io.jmirror.journal.EpochStart> tookOverHistory = tookOver.epochHistory();
        tookOver.close();

        final Receiver dr = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, "dr", primary.address()));
        final long committed = commit();
        assertTrue(primary.awaitCommitted(committed, TimeUnit.SECONDS.toNanos(10)), "in epoch 4, commits return");
        awaitCaughtUp(dr);
        assertEquals(4, dr.knownEpoch());
        assertFalse(primary.isFenced());

        // the old primary's backup, now in epoch 5, dials the old primary again
        backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, "b", primary.address()));
        assertEquals(5, backup.knownEpoch());
        await(primary::isFenced, WAIT_MS, () -> "primary not fenced: " + primary.memberStatus());
        assertEquals(5, primary.fencedEpoch());
        // the handler is told after the fence is published, on the session's thread
        await(() -> !higherEpochs.isEmpty(), WAIT_MS, () -> "handler not told");
        assertEquals(1, higherEpochs.size(), "handler told once");
        assertEquals(5, higherEpochs.get(0)[0]);
        assertEquals(5L, primary.status().value(StatusCounterType.PRIMARY_FENCED_EPOCH, "", -1));

        assertTrue(primary.awaitCommitted(committed, TimeUnit.SECONDS.toNanos(1)), "committed before the fence");
        final long after = commit();
        final ShipperException notPrimary = assertThrows(ShipperException.class,
            () -> primary.awaitCommitted(after, TimeUnit.SECONDS.toNanos(10)));
        assertEquals(ShipperException.Code.NOT_PRIMARY, notPrimary.code());
        assertTrue(notPrimary.getMessage().contains("epoch=5"), notPrimary.getMessage());
        assertThrows(ShipperException.class, () -> primary.awaitCommitted(after));
        final CommitOutcome cutOff = primary.awaitCommit(after, TimeUnit.SECONDS.toNanos(1));
        assertEquals(CommitOutcome.Status.INDETERMINATE, cutOff.status(), cutOff.toString());
        assertEquals(4, cutOff.epoch());
        assertEquals(5, cutOff.higherEpoch());
        assertEquals(CommitOutcome.Fate.LOST, cutOff.resolve(tookOverHistory),
            "epoch 5 started below it in the member that took over: " + tookOverHistory);
        final CommitOutcome before = primary.awaitCommit(committed, TimeUnit.SECONDS.toNanos(1));
        assertEquals(CommitOutcome.Status.COMMITTED, before.status(), before.toString());
        assertEquals(4, before.epoch());

        // every link ends with a STALE_EPOCH naming epoch 5; nothing more is shipped to anyone
        await(() -> 5 == dr.knownEpoch(), WAIT_MS, () -> "dr-1 not told of epoch 5: " + dr.status());
        await(() -> primary.sessionStatus().isEmpty(), WAIT_MS, () -> "links open: " + primary.sessionStatus());
        final long drEnd = dr.receivedLsn();
        append(appender, 500);
        pause(300);
        assertEquals(drEnd, dr.receivedLsn(), "a fenced primary ships nothing more");
        assertTrue(dr.receivedLsn() < primaryJournal.tailLsn());
        assertEquals(tookOverEnd, backup.receivedLsn(), "the epoch-5 member got none of the old primary's bytes");
        assertEquals(0, backup.status().connects(), "the fenced primary welcomed nobody: " + backup.status());
        assertEquals(1, higherEpochs.size(), "told once, however often members say it");
    }

    @Test
    void aMemberThatLearnsAHigherEpochAnswersStaleEpochAndAWaitingCommitIsNotAcknowledged() throws Exception
    {
        startPrimary(4);
        final Receiver backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, "b", primary.address()));
        append(appender, 100);
        awaitCaughtUp(backup);
        awaitActive("backup-1");
        backup.stallAcks(true);
        final long lsn = commit();
        assertFalse(primary.awaitCommitted(lsn, TimeUnit.MILLISECONDS.toNanos(200)), "waits for the backup's ack");
        assertEquals(CommitOutcome.Status.TIMED_OUT, primary.awaitCommit(lsn, TimeUnit.MILLISECONDS.toNanos(50))
            .status(), "still primary, the backup's ack stalled");
        final AtomicReference<Throwable> waitResult = new AtomicReference<>();
        final Thread waiter = new Thread(() ->
        {
            try
            {
                waitResult.set(primary.awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(30)) ?
                    new AssertionError("acknowledged") : new AssertionError("timed out"));
            }
            catch (final Throwable ex)
            {
                waitResult.set(ex);
            }
        });
        waiter.start();

        // the failover layer tells the backup that epoch 5 belongs to backup-9: it stops taking epoch 4 at once
        backup.learnEpoch(5, "backup-9");
        await(primary::isFenced, WAIT_MS, () -> "primary not fenced: " + backup.status());
        waiter.join(TimeUnit.SECONDS.toMillis(30));
        final Throwable result = waitResult.get();
        assertInstanceOf(ShipperException.class, result, String.valueOf(result));
        assertEquals(ShipperException.Code.NOT_PRIMARY, ((ShipperException)result).code());
        assertTrue(result.getMessage().contains("epoch=5 primary=backup-9"), result.getMessage());
        assertEquals("backup-9", primary.fencedPrimaryName());
        assertEquals("backup-9", higherEpochPrimary.get());
        final CommitOutcome outcome = primary.awaitCommit(lsn, TimeUnit.SECONDS.toNanos(1));
        assertEquals(CommitOutcome.Status.INDETERMINATE, outcome.status(), outcome.toString());
        assertEquals("backup-9", outcome.primaryName());
        assertEquals(5, outcome.higherEpoch());
        assertEquals(CommitOutcome.Fate.UNKNOWN, outcome.resolve(backup.journal().epochHistory()),
            "the member's journal holds no epoch 5 yet");
        assertTrue(backup.status().staleLinks() >= 1, backup.status().toString());

        final long end = backup.receivedLsn();
        append(appender, 500);
        pause(300);
        assertEquals(end, backup.receivedLsn(), "no byte of epoch 4 after learning epoch 5");
    }

    @Test
    void aMemberThatKnowsAHigherEpochAnswersAStalePrimaryAndWritesNoneOfItsBytes() throws IOException
    {
        final MessageEncoder encoder = new MessageEncoder();
        try (ServerSocket fakePrimary = new ServerSocket(0, 5, InetAddress.getLoopbackAddress()))
        {
            fakePrimary.setSoTimeout((int)WAIT_MS);
            final Receiver member = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, "m",
                new InetSocketAddress(InetAddress.getLoopbackAddress(), fakePrimary.getLocalPort()))
                .knownEpoch(5, "backup-9"));
            final ByteBuffer[] staleFrames = {
                encoder.welcome(4, 77, FILE_LENGTH, 0, 4096, 1000, 8000),
                encoder.batchHeader(4, 0, 64, Codec.NONE, 64, 0, 0),
                encoder.heartbeat(4, System.currentTimeMillis(), 4096)};
            for (final ByteBuffer staleFrame : staleFrames)
            {
                final byte[] frame = bytesOf(staleFrame);
                try (Socket link = fakePrimary.accept())
                {
                    link.setSoTimeout((int)WAIT_MS);
                    final ByteBuffer hello = readFrame(link.getInputStream());
                    assertNotNull(hello, "no HELLO");
                    assertEquals(TYPE_HELLO, hello.get(TYPE_OFFSET));
                    assertEquals(5, hello.getLong(EPOCH_OFFSET), "the member says the epoch it knows");
                    link.getOutputStream().write(frame);
                    final ByteBuffer answer = readFrame(link.getInputStream());
                    assertNotNull(answer, "no answer to " + typeName(frame[TYPE_OFFSET]));
                    assertEquals(TYPE_STALE_EPOCH, answer.get(TYPE_OFFSET), typeName(answer.get(TYPE_OFFSET)));
                    assertEquals(VERSION, answer.get(VERSION_OFFSET));
                    assertEquals(5, answer.getLong(STALE_EPOCH_EPOCH_OFFSET));
                    assertEquals(8, answer.getInt(STALE_EPOCH_NAME_LENGTH_OFFSET));
                    assertEquals("backup-9", new String(answer.array(), STALE_EPOCH_NAME_OFFSET, 8,
                        java.nio.charset.StandardCharsets.US_ASCII));
                    assertNull(readFrame(link.getInputStream()), "the member closes the link after STALE_EPOCH");
                }
            }
            assertNull(member.journal(), "a stale WELCOME creates no journal");
            assertFalse(Journal.exists(dir.resolve("m")), "no journal file written");
            assertEquals(0, member.status().connects());
            assertEquals(3, member.status().staleLinks(), member.status().toString());
            assertEquals(5, member.status().knownEpoch());
            assertEquals("backup-9", member.status().knownPrimary());
            assertTrue(member.status().lastError().contains("stale epoch"), member.status().lastError());
        }
    }

    @Test
    void aMemberCatchingUpFromAnOlderEpochIsNotStale()
    {
        startPrimary(1);
        append(appender, 300);
        Receiver dr = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, "dr", primary.address()));
        awaitCaughtUp(dr);
        dr.close();
        primaryJournal.startEpoch(2, "a");
        append(appender, 3_000);

        dr = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, "dr", primary.address()));
        assertEquals(1, dr.knownEpoch(), "its journal is still in epoch 1");
        awaitCaughtUp(dr);
        assertEquals(2, dr.journal().epoch());
        assertEquals(primaryJournal.epochHistory(), dr.journal().epochHistory());
        final Receiver fresh = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, "fresh",
            primary.address()));
        awaitCaughtUp(fresh);
        assertEquals(2, fresh.knownEpoch());

        // a new epoch while the links are up: batches carry it, the members follow without a reconnect
        primaryJournal.startEpoch(3, "a");
        append(appender, 500);
        awaitCaughtUp(dr);
        awaitCaughtUp(fresh);
        final Receiver drNow = dr;
        await(() -> primary.memberStatus("dr-1").epoch() == 3, WAIT_MS, () -> "" + primary.memberStatus("dr-1"));
        for (final Receiver member : new Receiver[] {drNow, fresh})
        {
            final ReceiverStatus status = member.status();
            assertEquals(3, status.knownEpoch(), status.toString());
            assertEquals("a", status.knownPrimary());
            assertEquals(0, status.staleLinks(), status.toString());
            assertEquals(1, status.connects(), "no reconnect: " + status);
        }
        assertEquals(primaryJournal.epochHistory(), fresh.journal().epochHistory());
        assertFalse(primary.isFenced());
        assertEquals(0, primary.errors());
        assertTrue(higherEpochs.isEmpty());
    }

    @Test
    void aMalformedStaleEpochOrAVersionOnePeerEndsOnlyItsOwnLink() throws IOException
    {
        startPrimary(2);
        final Receiver dr = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, "dr", primary.address()));
        append(appender, 200);
        awaitCaughtUp(dr);
        final MessageEncoder encoder = new MessageEncoder();
        final byte[] badNameLength = HexFormat.of().parseHex(
            "18000000" + "07" + String.format("%02x", ProtocolDescriptor.VERSION) + "0000" + "0900000000000000" +
                "e8030000" + "61626364"); // name length 1000

        try (Socket afterHello = connect())
        {
            afterHello.getOutputStream().write(bytesOf(encoder.hello(2, "TEST", "backup-1", MemberRole.BACKUP, 0, 2, -1,
                Codec.NONE.bit())));
            final ByteBuffer welcome = readFrame(afterHello.getInputStream());
            assertNotNull(welcome);
            assertEquals(TYPE_WELCOME, welcome.get(TYPE_OFFSET));
            assertEquals(2, welcome.getLong(EPOCH_OFFSET));
            afterHello.getOutputStream().write(badNameLength);
            assertTrue(drainsToEndOfStream(afterHello), "the primary closes the link of a malformed STALE_EPOCH");
        }
        try (Socket beforeHello = connect())
        {
            final byte[] negativeNameLength = badNameLength.clone();
            ByteBuffer.wrap(negativeNameLength).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(STALE_EPOCH_NAME_LENGTH_OFFSET, -1);
            beforeHello.getOutputStream().write(negativeNameLength);
            assertTrue(drainsToEndOfStream(beforeHello));
        }
        try (Socket versionOne = connect())
        {
            versionOne.getOutputStream().write(HexFormat.of().parseHex(
                "30000000" + "01" + "01" + "0000" +         // frame length 48, HELLO, version 1
                "0000000000000000" +                        // journal id
                "ffffffffffffffff" +                        // resume LSN -1
                "01000000" +                                // codecs NONE
                "01" + "00" + "0400" + "0800" + "0000" +    // role BACKUP, mirror name 4, member name 8
                "54455354" + "6261636b75702d31"));          // "TEST", "backup-1"
            final ByteBuffer reject = readFrame(versionOne.getInputStream());
            assertNotNull(reject, "a version 1 peer is told why");
            assertEquals(ProtocolDescriptor.TYPE_REJECT, reject.get(TYPE_OFFSET));
            assertEquals(RejectReason.INCOMPATIBLE_VERSION.code(),
                reject.getInt(ProtocolDescriptor.REJECT_REASON_OFFSET));
            assertNull(readFrame(versionOne.getInputStream()), "no WELCOME follows: the link closes");
        }
        await(() -> primary.errors() >= 2, WAIT_MS, () -> "errors=" + primary.errors());
        assertFalse(primary.isFenced(), "a malformed STALE_EPOCH fences nothing");
        assertTrue(higherEpochs.isEmpty());

        append(appender, 2_000);
        awaitCaughtUp(dr);
        assertEquals(1, dr.status().connects(), "the other member's link stayed up: " + dr.status());
        final long lsn = commit();
        assertTrue(primary.awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(10)));
    }

    @Test
    void aResumeLsnThatIsNotAFrameStartIsRefusedWithItsOwnReason() throws IOException
    {
        startPrimary(2);
        final Receiver dr = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, "dr", primary.address()));
        append(appender, 200);
        awaitCaughtUp(dr);
        final MessageEncoder encoder = new MessageEncoder();
        for (final long[] resume : new long[][] {
            {8, RejectReason.LSN_NOT_A_RECORD.code()},      // inside the EPOCH_START at 0
            {12, RejectReason.LSN_UNALIGNED.code()}})
        {
            try (Socket socket = connect())
            {
                socket.getOutputStream().write(bytesOf(encoder.hello(2, "TEST", "backup-1", MemberRole.BACKUP, 0, 2,
                    resume[0], Codec.NONE.bit())));
                final ByteBuffer reject = readFrame(socket.getInputStream());
                assertNotNull(reject);
                assertEquals(ProtocolDescriptor.TYPE_REJECT, reject.get(TYPE_OFFSET), "resumeLsn=" + resume[0]);
                assertEquals((int)resume[1], reject.getInt(ProtocolDescriptor.REJECT_REASON_OFFSET),
                    "resumeLsn=" + resume[0]);
                assertTrue(drainsToEndOfStream(socket));
            }
        }
        assertEquals(0, primary.journal().corruptFrames(), "the primary never read its journal from mid-frame");
        append(appender, 500);
        awaitCaughtUp(dr);
        assertEquals(1, dr.status().connects(), "the real member kept replicating: " + dr.status());
    }

    @Test
    void aMemberWhoseJournalRunsBeyondTheNextEpochsStartIsRefusedDivergedWhateverEpochItKnows() throws IOException
    {
        startPrimary(1);
        append(appender, 200);
        final long epochTwoStart = primaryJournal.startEpoch(2, "a");
        append(appender, 200);
        final long tail = primaryJournal.tailLsn();
        final MessageEncoder encoder = new MessageEncoder();
        final long[][] cases = {
            // {known epoch, journal epoch, resume LSN, expected frame type, expected reject LSN}
            {1, 1, tail, TYPE_REJECT, epochTwoStart},
            {1, 1, epochTwoStart, TYPE_WELCOME, -1},
            {2, 2, tail, TYPE_WELCOME, -1},
            {0, 0, tail, TYPE_REJECT, 0},
            // Epoch 2 learned elsewhere (the arbiter, a STALE_EPOCH) while the journal's bytes are epoch 1's.
            {2, 1, tail, TYPE_REJECT, epochTwoStart},
            {2, 1, epochTwoStart, TYPE_WELCOME, -1}};
        for (final long[] c : cases)
        {
            try (Socket socket = connect())
            {
                socket.getOutputStream().write(bytesOf(encoder.hello(c[0], "TEST", "dr-1", MemberRole.DR_ASYNC,
                    primaryJournal.journalId(), c[1], c[2], Codec.NONE.bit())));
                final ByteBuffer frame = readFrame(socket.getInputStream());
                final String what = "knownEpoch=" + c[0] + " journalEpoch=" + c[1] + " resumeLsn=" + c[2];
                assertNotNull(frame, what);
                assertEquals((int)c[3], frame.get(TYPE_OFFSET), what);
                if (c[3] == TYPE_REJECT)
                {
                    assertEquals(RejectReason.DIVERGED.code(), frame.getInt(REJECT_REASON_OFFSET), what);
                    assertEquals(c[4], frame.getLong(REJECT_LSN_OFFSET), what);
                }
                else
                {
                    assertEquals(c[2], frame.getLong(WELCOME_START_LSN_OFFSET), what);
                }
            }
        }
    }

    @Test
    void aReceiverWhoseJournalRanBeyondTheNewEpochsStartSurfacesDiverged()
    {
        startPrimary(1);
        append(appender, 300);
        final Receiver dr = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, "dr", primary.address()));
        awaitCaughtUp(dr);
        dr.close();
        final long memberEnd = primaryJournal.tailLsn();
        primary.close();

        // The same journal restarted shorter (its unsynced tail lost) and opened epoch 2 below the member's end.
        final Journal restarted = Journal.open(new JournalContext().journalDir(dir.resolve("b"))
            .fileLength(FILE_LENGTH).mirrorName("TEST").syncPolicy(SyncPolicy.NONE)
            .journalId(primaryJournal.journalId()));
        closeables.add(restarted);
        restarted.startEpoch(1, "a");
        append(restarted.newAppender(), 100);
        final long divergence = restarted.startEpoch(2, "a");
        append(restarted.newAppender(), 20);
        assertTrue(divergence < memberEnd, "the test needs the member beyond the new epoch's start");
        final Primary shorter = Primary.start(new PrimaryContext().journal(restarted).insecure(true)
            .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
        closeables.add(shorter);

        final Receiver again = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, "dr", shorter.address()));
        // The REJECT is kept before the link drops, which writes lastError: wait for both.
        await(() -> again.lastReject() == RejectReason.DIVERGED && null != again.status().lastError(), WAIT_MS,
            () -> "not refused DIVERGED: " + again.status());
        assertEquals(divergence, again.lastRejectLsn());
        assertTrue(again.rejections() >= 1);
        assertTrue(again.status().lastError().contains("DIVERGED"), again.status().toString());
        assertEquals(memberEnd, again.receivedLsn(), "nothing of the primary's was appended after foreign bytes");
    }

    private Socket connect() throws IOException
    {
        final Socket socket = new Socket(primary.address().getAddress(), primary.address().getPort());
        socket.setSoTimeout((int)WAIT_MS);
        return socket;
    }

    private static byte[] bytesOf(final ByteBuffer frame)
    {
        final ByteBuffer view = frame.duplicate();
        final byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }

    /**
     * @return the next whole frame (little-endian, on a heap array), or null at the end of the stream.
     */
    private static ByteBuffer readFrame(final InputStream in) throws IOException
    {
        final DataInputStream data = new DataInputStream(in);
        final byte[] lengthBytes = new byte[4];
        try
        {
            data.readFully(lengthBytes);
            final int length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
            assertTrue(length >= HEADER_LENGTH && length < 16 * 1024 * 1024, "frame length " + length);
            final byte[] frame = new byte[length];
            System.arraycopy(lengthBytes, 0, frame, 0, 4);
            data.readFully(frame, 4, length - 4);
            return ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
        }
        catch (final java.io.EOFException | SocketException ex)
        {
            return null; // end of stream, or reset by a peer that closed with bytes unread
        }
    }

    private static boolean drainsToEndOfStream(final Socket socket) throws IOException
    {
        try
        {
            while (null != readFrame(socket.getInputStream()))
            {
                // batches sent before the link closed
            }
            return true;
        }
        catch (final SocketTimeoutException ex)
        {
            return false;
        }
    }
}
