package io.jmirror.shipper;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalFileDescriptor;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static io.jmirror.shipper.Await.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A primary and members over loopback: byte-identical journals with every codec, resume without gap or duplicate
 * after restarts and link faults, refusal of corrupt batches and of members that may not join, QoS demotion.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShippingSystemTest
{
    private static final long FILE_LENGTH = 256 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Ship");
    private static final long WAIT_MS = 30_000;

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Journal primaryJournal;
    private JournalAppender appender;
    private Primary primary;
    private long nextSequence;
    private final Random random = new Random(42);

    @AfterEach
    void closeAll()
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(closeables.get(i));
        }
    }

    private void startPrimary(final CompressionMode backupCompression, final Consumer<PrimaryContext> custom)
    {
        primaryJournal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(FILE_LENGTH).mirrorName("TEST").syncPolicy(SyncPolicy.NONE).retainMinFiles(1).retainMs(0));
        closeables.add(primaryJournal);
        appender = primaryJournal.newAppender();
        final PrimaryContext ctx = new PrimaryContext()
            .journal(primaryJournal)
            .insecure(true)
            .maxBatchBytes(64 * 1024)
            .member(new AllowedMember("backup-1", MemberRole.BACKUP, null, backupCompression))
            .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC))
            .member(AllowedMember.of("backup-2", MemberRole.BACKUP));
        custom.accept(ctx);
        primary = Primary.start(ctx);
        closeables.add(primary);
    }

    private ReceiverContext receiverContext(final String name, final MemberRole role, final InetSocketAddress to)
    {
        return new ReceiverContext()
            .memberName(name)
            .role(role)
            .mirrorName("TEST")
            .primaryAddress(to)
            .insecure(true)
            .maxBatchBytes(64 * 1024)
            .reconnectIntervalMs(20)
            .journalContext(new JournalContext().journalDir(dir.resolve(name)).syncPolicy(SyncPolicy.GROUP)
                .mirrorName("TEST"));
    }

    private Receiver startReceiver(final ReceiverContext ctx)
    {
        final Receiver receiver = Receiver.start(ctx);
        closeables.add(receiver);
        return receiver;
    }

    /** Each value carries its sequence number, so a member's journal can be checked for gaps and duplicates. */
    private void append(final int records)
    {
        final SubscriptKey key = new SubscriptKey();
        for (int i = 0; i < records; i++)
        {
            final long sequence = nextSequence++;
            final byte[] value = new byte[8 + random.nextInt(120)];
            for (int b = 8; b < value.length; b++)
            {
                value[b] = (byte)('a' + random.nextInt(6));
            }
            java.nio.ByteBuffer.wrap(value).putLong(sequence);
            appender.set(sequence, GLOBAL, key.clear().add(sequence % 100).add("v"), value);
        }
    }

    private void awaitCaughtUp(final Receiver receiver)
    {
        final long tail = primaryJournal.tailLsn();
        await(() -> receiver.receivedLsn() == tail, WAIT_MS,
            () -> "member behind: received=" + receiver.receivedLsn() + " primaryTail=" + tail + " status=" +
            receiver.status() + " primary=" + primary.memberStatus());
    }

    private static void assertByteIdentical(final Path primaryDir, final Path memberDir, final long tail)
        throws IOException
    {
        final long capacity = FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH;
        int compared = 0;
        for (long base = 0; base < tail; base += capacity)
        {
            final Path name = Path.of(JournalFileDescriptor.fileName(base));
            assertTrue(Files.exists(memberDir.resolve(name)), "member lacks " + name);
            assertArrayEquals(Files.readAllBytes(primaryDir.resolve(name)), Files.readAllBytes(memberDir.resolve(name)),
                "journal file differs: " + name);
            compared++;
        }
        assertTrue(compared >= 1);
    }

    /** Every record exactly once, in order. */
    private void assertSequence(final Journal journal, final long expectedRecords)
    {
        final long[] next = {0};
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) ->
            {
                final long sequence = record.buffer().getLong(record.valueOffset(), java.nio.ByteOrder.BIG_ENDIAN);
                assertEquals(next[0], sequence, "gap or duplicate at lsn " + record.lsn());
                next[0]++;
            }, 1000) > 0)
            {
                // drain
            }
        }
        assertEquals(expectedRecords, next[0]);
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void memberJournalIsAByteIdenticalCopyWithEveryCodec(final Codec codec) throws IOException
    {
        final CompressionMode mode = codec == Codec.NONE ? CompressionMode.none() :
            codec == Codec.LZ4 ? CompressionMode.lz4() : CompressionMode.zstd(3);
        startPrimary(mode, (ctx) -> { });
        append(5_000);
        final Receiver receiver = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, primary.address()));
        append(15_000);
        awaitCaughtUp(receiver);
        await(() -> "ACTIVE".equals(statusOf("backup-1")), WAIT_MS, () -> "backup not ACTIVE: " +
            primary.memberStatus());
        final MemberStatus status = primary.memberStatus("backup-1");
        assertEquals(codec, status.codec());
        if (codec != Codec.NONE)
        {
            assertTrue(status.compressionRatio() > 1.2, "compression ratio " + status.compressionRatio());
        }
        assertTrue(primaryJournal.fileCount() > 3, "the run crosses file switches");
        assertByteIdentical(dir.resolve("primary"), dir.resolve("backup-1"), primaryJournal.tailLsn());
        assertSequence(receiver.journal(), nextSequence);
    }

    private String statusOf(final String member)
    {
        final MemberStatus status = primary.memberStatus(member);
        return null == status ? null : status.transferStatus();
    }

    @Test
    void aRestartedMemberResumesWithoutGapOrDuplicate() throws IOException
    {
        startPrimary(CompressionMode.lz4(), (ctx) -> { });
        final ReceiverContext first = receiverContext("dr-1", MemberRole.DR_ASYNC, primary.address());
        Receiver receiver = startReceiver(first);
        append(3_000);
        awaitCaughtUp(receiver);
        append(2_000);
        receiver.close();
        append(4_000);
        receiver = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, primary.address()));
        append(1_000);
        awaitCaughtUp(receiver);
        assertByteIdentical(dir.resolve("primary"), dir.resolve("dr-1"), primaryJournal.tailLsn());
        assertSequence(receiver.journal(), nextSequence);
    }

    @Test
    void cutsAndStallsOfTheLinkLeaveNoGap() throws Exception
    {
        startPrimary(CompressionMode.zstd(1), (ctx) -> ctx.heartbeatIntervalMs(100).qosTimeoutMs(1000));
        final LoopbackProxy proxy = new LoopbackProxy(primary.address());
        closeables.add(proxy);
        final Receiver receiver = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, proxy.address())
            .heartbeatIntervalMs(100).qosTimeoutMs(1000));
        final Random faults = new Random(7);
        for (int round = 0; round < 12; round++)
        {
            append(1_000 + faults.nextInt(2_000));
            switch (faults.nextInt(3))
            {
                case 0:
                    proxy.cutAll();
                    break;
                case 1:
                    proxy.stall(true);
                    Thread.sleep(faults.nextInt(50));
                    proxy.stall(false);
                    break;
                default:
                    break;
            }
        }
        proxy.stall(false);
        awaitCaughtUp(receiver);
        assertTrue(proxy.links() > 1, "the link was cut and re-established: links=" + proxy.links());
        assertByteIdentical(dir.resolve("primary"), dir.resolve("backup-1"), primaryJournal.tailLsn());
        assertSequence(receiver.journal(), nextSequence);
    }

    @Test
    void aCorruptBatchIsRefusedAndTheMemberResumes() throws Exception
    {
        startPrimary(CompressionMode.none(), (ctx) -> { });
        final LoopbackProxy proxy = new LoopbackProxy(primary.address());
        closeables.add(proxy);
        final Receiver receiver = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, proxy.address()));
        append(500);
        awaitCaughtUp(receiver);
        final long before = receiver.receivedLsn();
        proxy.corruptAfter(200);
        append(500);
        await(() -> proxy.corruptions() == 1, WAIT_MS, () -> "no corruption injected");
        awaitCaughtUp(receiver);
        final ReceiverStatus status = receiver.status();
        assertEquals(1, status.badBatches(), status.toString());
        assertTrue(status.connects() >= 2, "the member reconnected: " + status);
        assertTrue(receiver.receivedLsn() > before);
        assertByteIdentical(dir.resolve("primary"), dir.resolve("backup-1"), primaryJournal.tailLsn());
        assertSequence(receiver.journal(), nextSequence);
    }

    @Test
    void aMemberWhoseResumeLsnWasPurgedIsRefusedNamingTheOldestLsn()
    {
        startPrimary(CompressionMode.lz4(), (ctx) -> ctx.memberRetentionMs(0));
        Receiver receiver = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, primary.address()));
        append(100);
        awaitCaughtUp(receiver);
        receiver.close();
        append(20_000);
        assertTrue(primary.purge() > 0, "the member's files were purged");
        receiver = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, primary.address()));
        final Receiver refused = receiver;
        await(() -> null != refused.status().lastError() && refused.status().lastError().contains("LSN_PURGED"),
            WAIT_MS, () -> "no REJECT: " + refused.status());
        assertTrue(refused.status().lastError().contains("oldestLsnHeld=" + primaryJournal.startLsn()),
            refused.status().lastError());
        assertTrue(primary.rejections() > 0);
    }

    @Test
    void membersNotOnTheAllowListAndASecondBackupAreRefused()
    {
        startPrimary(CompressionMode.lz4(), (ctx) -> { });
        final Receiver stranger = startReceiver(receiverContext("stranger", MemberRole.DR_ASYNC, primary.address()));
        await(() -> null != stranger.status().lastError() && stranger.status().lastError().contains("UNKNOWN_MEMBER"),
            WAIT_MS, () -> "stranger not refused: " + stranger.status());
        assertNull(stranger.journal(), "a refused member gets no journal");

        final Receiver backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, primary.address()));
        append(10);
        awaitCaughtUp(backup);
        final Receiver second = startReceiver(receiverContext("backup-2", MemberRole.BACKUP, primary.address()));
        await(() -> null != second.status().lastError() && second.status().lastError().contains("SECOND_BACKUP"),
            WAIT_MS, () -> "second backup not refused: " + second.status());
        assertNull(second.journal());
    }

    @Test
    void aMemberTakesTheLinkTimingsFromTheWelcome() throws InterruptedException
    {
        startPrimary(CompressionMode.lz4(), (ctx) -> ctx.heartbeatIntervalMs(100).qosTimeoutMs(600));
        // The member's own heartbeat (1 s) is longer than the primary's QoS timeout (600 ms): an idle link kept on
        // the member's timing would be dropped by the primary over and over. The WELCOME gives it the primary's.
        final Receiver member = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, primary.address())
            .heartbeatIntervalMs(1000).qosTimeoutMs(20_000));
        append(50);
        awaitCaughtUp(member);
        final long connects = member.status().connects();
        Thread.sleep(3_000);
        assertEquals(connects, member.status().connects(), "an idle link was dropped: " + member.status());
        assertEquals(Receiver.State.STREAMING, member.state());
    }

    @Test
    void aSilentActiveBackupHoldsCommitsUntilItIsReleased()
    {
        final AtomicBoolean released = new AtomicBoolean();
        final AtomicInteger asked = new AtomicInteger();
        startPrimary(CompressionMode.lz4(), (ctx) -> ctx.heartbeatIntervalMs(100).qosTimeoutMs(500)
            .backupRelease((name, epoch) ->
            {
                asked.incrementAndGet();
                return released.get();
            }));
        final Receiver backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, primary.address())
            .heartbeatIntervalMs(100).qosTimeoutMs(500));
        append(50);
        awaitCaughtUp(backup);
        await(() -> "ACTIVE".equals(statusOf("backup-1")), WAIT_MS, () -> "not ACTIVE: " + primary.memberStatus());
        assertTrue(primary.awaitCommitted(appender.tcommit(1), TimeUnit.SECONDS.toNanos(5)));

        backup.stallAcks(true);
        final long lsn = appender.tcommit(2);
        assertFalse(primary.awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(2)),
            "past the QoS timeout a commit still waits for the silent backup until it is released");
        assertEquals("TROUBLE", statusOf("backup-1"));
        assertTrue(primary.isWaitingForBackupRelease());
        assertTrue(asked.get() > 0, "the release was asked for");

        released.set(true);
        assertTrue(primary.awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(5)), "released: the commit goes on");
        assertFalse(primary.isWaitingForBackupRelease());
        assertTrue(primary.awaitCommitted(appender.tcommit(3), TimeUnit.SECONDS.toNanos(1)), "no longer gated");
    }

    @Test
    void aBackupBackBeforeItsReleaseLetsTheWaitingCommitThrough()
    {
        startPrimary(CompressionMode.lz4(), (ctx) -> ctx.heartbeatIntervalMs(100).qosTimeoutMs(500)
            .backupRelease((name, epoch) -> false));
        final Receiver backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, primary.address())
            .heartbeatIntervalMs(100).qosTimeoutMs(500));
        append(50);
        awaitCaughtUp(backup);
        await(() -> "ACTIVE".equals(statusOf("backup-1")), WAIT_MS, () -> "not ACTIVE: " + primary.memberStatus());

        backup.stallAcks(true);
        final long lsn = appender.tcommit(2);
        assertFalse(primary.awaitCommitted(lsn, TimeUnit.MILLISECONDS.toNanos(1500)));
        assertTrue(primary.isWaitingForBackupRelease());
        backup.stallAcks(false);
        assertTrue(primary.awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(10)),
            "the backup acked it: committed without any release");
        await(() -> "ACTIVE".equals(statusOf("backup-1")), WAIT_MS, () -> "not ACTIVE: " + primary.memberStatus());
        assertFalse(primary.isWaitingForBackupRelease());
    }

    @Test
    void aBackupThatStopsAckingIsDemotedAndRePromotedAfterCatchUp()
    {
        startPrimary(CompressionMode.lz4(), (ctx) -> ctx.heartbeatIntervalMs(100).qosTimeoutMs(1500));
        final Receiver backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, primary.address())
            .heartbeatIntervalMs(100).qosTimeoutMs(1500));
        append(100);
        awaitCaughtUp(backup);
        await(() -> "ACTIVE".equals(statusOf("backup-1")), WAIT_MS, () -> "not ACTIVE: " + primary.memberStatus());

        final long committed = appender.tcommit(1);
        assertTrue(primary.awaitCommitted(committed, TimeUnit.SECONDS.toNanos(5)), "an ACTIVE backup acks");

        backup.stallAcks(true);
        final long lsn = appender.tcommit(2);
        final long start = System.nanoTime();
        assertFalse(primary.awaitCommitted(lsn, TimeUnit.MILLISECONDS.toNanos(300)),
            "a commit waits while the backup is ACTIVE and has not acked it");
        assertEquals("ACTIVE", statusOf("backup-1"));
        assertTrue(primary.awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(10)), "the commit returns after demotion");
        final long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("TROUBLE", statusOf("backup-1"));
        assertTrue(waitedMs >= 1000, "demotion waits for the QoS timeout: waitedMs=" + waitedMs);

        final long unGated = appender.tcommit(3);
        assertTrue(primary.awaitCommitted(unGated, TimeUnit.MILLISECONDS.toNanos(500)), "TROUBLE does not gate");

        backup.stallAcks(false);
        await(() -> "ACTIVE".equals(statusOf("backup-1")), WAIT_MS, () -> "not re-promoted: " +
            primary.memberStatus());
    }

    @Test
    void whileABatchIsInFlightSmallOnesWaitForItsAckButNotForever() throws IOException
    {
        startPrimary(CompressionMode.none(), (ctx) -> ctx.inFlightBatchBytes(32 * 1024));
        final Receiver backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, primary.address()));
        append(10);
        awaitCaughtUp(backup);
        await(() -> "ACTIVE".equals(statusOf("backup-1")), WAIT_MS, () -> "not ACTIVE: " + primary.memberStatus());

        // with acks stalled every batch stays in flight: what follows the first leaves only after the hold bound
        backup.stallAcks(true);
        final long batchesBefore = primary.memberStatus("backup-1").batches();
        final int records = 60;
        final long startNs = System.nanoTime();
        for (int i = 0; i < records; i++)
        {
            append(1);
            final long parkUntilNs = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(100);
            while (System.nanoTime() - parkUntilNs < 0)
            {
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
        }
        final long appendedInUs = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - startNs);
        awaitCaughtUp(backup);
        final long batches = primary.memberStatus("backup-1").batches() - batchesBefore;
        // records a hold bound (1 ms) or more apart leave one by one by design: only a run that spaced them closer
        // tells held batches from unheld ones
        org.junit.jupiter.api.Assumptions.assumeTrue(appendedInUs < records * 500L,
            "machine too slow to space the records closely: appendedInUs=" + appendedInUs);
        assertTrue(batches < records / 2, "small records spaced in time were not held for the ack: batches=" +
            batches + " records=" + records);
        backup.stallAcks(false);
        assertByteIdentical(dir.resolve("primary"), dir.resolve("backup-1"), primaryJournal.tailLsn());
    }

    @Test
    void whileABatchIsInFlightTheNextIsCutAtTheInFlightSize()
    {
        // the batch delay lets a backlog build up; stalled acks keep the first batch in flight
        startPrimary(CompressionMode.lz4(), (ctx) -> ctx.maxBatchDelayNs(TimeUnit.SECONDS.toNanos(60))
            .inFlightBatchBytes(16 * 1024));
        final Receiver backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, primary.address()));
        await(() -> "ACTIVE".equals(statusOf("backup-1")) && backup.state() == Receiver.State.STREAMING, WAIT_MS,
            () -> "not ACTIVE: " + primary.memberStatus());
        backup.stallAcks(true);
        final long start = primaryJournal.tailLsn();
        while (primaryJournal.tailLsn() - start < 256 * 1024)
        {
            append(50);
        }
        final long tail = primaryJournal.tailLsn();
        // the session cuts while at least maxBatchBytes (64 KiB) waits, then holds the rest for the batch delay
        await(() -> tail - primary.memberStatus("backup-1").sentLsn() < 64 * 1024, WAIT_MS,
            () -> "session did not ship the backlog: " + primary.memberStatus());
        await(() -> backup.receivedLsn() == primary.memberStatus("backup-1").sentLsn(), WAIT_MS,
            () -> "member did not receive what was sent: " + backup.status());
        final MemberStatus status = primary.memberStatus("backup-1");
        assertTrue(status.batches() >= 2, "batches=" + status.batches());
        final long firstBatchMax = 64 * 1024 + 1024;
        final long meanAfterFirst = (status.bytesRaw() - firstBatchMax) / (status.batches() - 1);
        assertTrue(meanAfterFirst <= 16 * 1024, "batches cut while one was in flight exceed inFlightBatchBytes: " +
            "batches=" + status.batches() + " bytesRaw=" + status.bytesRaw());
        backup.stallAcks(false);
    }

    @Test
    void aWaitingCommitIsShippedAtOnceDespiteTheBatchDelay()
    {
        startPrimary(CompressionMode.none(), (ctx) -> ctx.maxBatchDelayNs(TimeUnit.SECONDS.toNanos(60)));
        final Receiver backup = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, primary.address()));
        await(() -> "ACTIVE".equals(statusOf("backup-1")), WAIT_MS, () -> "not ACTIVE: " + primary.memberStatus());
        final long start = System.nanoTime();
        for (int i = 0; i < 50; i++)
        {
            append(3);
            final long lsn = appender.tcommit(i);
            assertTrue(primary.awaitCommitted(lsn, TimeUnit.SECONDS.toNanos(20)), "commit " + i + " not acked: " +
                primary.memberStatus());
            assertTrue(backup.receivedLsn() > lsn);
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMs < 20_000, "commits waited for the 60 s batch delay: tookMs=" + tookMs);
        assertEquals("ACTIVE", statusOf("backup-1"));
        append(10);
        final long heldBack = primaryJournal.tailLsn();
        final long sentBefore = primary.memberStatus("backup-1").sentLsn();
        assertTrue(sentBefore < heldBack, "records nobody waits for keep the batch delay: sentLsn=" + sentBefore +
            " tail=" + heldBack);
    }

    @Test
    void purgeKeepsWhatAConnectedOrRecentlySeenMemberStillNeeds() throws Exception
    {
        startPrimary(CompressionMode.lz4(), (ctx) -> ctx.memberRetentionMs(60_000));
        final LoopbackProxy proxy = new LoopbackProxy(primary.address());
        closeables.add(proxy);
        final Receiver receiver = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, proxy.address()));
        append(100);
        awaitCaughtUp(receiver);
        final long memberEnd = receiver.receivedLsn();
        proxy.stall(true);
        append(20_000);
        primary.purge();
        assertTrue(primaryJournal.startLsn() <= memberEnd,
            "a connected member's files stay: startLsn=" + primaryJournal.startLsn() + " memberEnd=" + memberEnd);
        receiver.close();
        proxy.stall(false);
        primary.purge();
        assertTrue(primaryJournal.startLsn() <= memberEnd, "a member seen within the retention period keeps its files");
        proxy.cutAll();
    }

    @Test
    void countersCanBeReadFromTheStatusFileByAnotherReader()
    {
        startPrimary(CompressionMode.lz4(), (ctx) -> ctx.statusDir(dir.resolve("primary-status")));
        final Receiver receiver = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, primary.address())
            .statusDir(dir.resolve("dr-1-status")));
        append(1_000);
        awaitCaughtUp(receiver);
        final long tail = primaryJournal.tailLsn();
        try (io.jmirror.journal.StatusFile view = io.jmirror.journal.StatusFile.openReadOnly(
            dir.resolve("primary-status")))
        {
            await(() -> tail == view.value(StatusCounterType.MEMBER_SENT_LSN, "dr-1", -1), WAIT_MS,
                () -> "counters: " + view.counters());
            assertTrue(view.value(StatusCounterType.MEMBER_BYTES_RAW, "dr-1", -1) > 0);
            await(() -> TransferStatus.ACTIVE.ordinal() ==
                view.value(StatusCounterType.MEMBER_TRANSFER_STATUS, "dr-1", -1), WAIT_MS,
                () -> "counters: " + view.counters());
            assertEquals(TransferStatus.DOWN.ordinal(),
                view.value(StatusCounterType.MEMBER_TRANSFER_STATUS, "backup-2", -1), "a member never connected");
        }
        try (io.jmirror.journal.StatusFile view = io.jmirror.journal.StatusFile.openReadOnly(
            dir.resolve("dr-1-status")))
        {
            assertEquals(tail, view.value(StatusCounterType.RECEIVER_RECEIVED_LSN, "dr-1", -1));
        }
    }

    @Test
    void aRecordLargerThanABatchIsShippedAlone() throws IOException
    {
        startPrimary(CompressionMode.zstd(1), (ctx) -> { });
        final Receiver receiver = startReceiver(receiverContext("backup-1", MemberRole.BACKUP, primary.address())
            .maxRecordLength(256 * 1024));
        append(100);
        final byte[] big = new byte[200 * 1024];
        random.nextBytes(big);
        java.nio.ByteBuffer.wrap(big).putLong(nextSequence);
        appender.set(nextSequence, GLOBAL, new SubscriptKey().add("big"), big);
        nextSequence++;
        append(100);
        awaitCaughtUp(receiver);
        assertEquals(0, receiver.status().badBatches());
        assertByteIdentical(dir.resolve("primary"), dir.resolve("backup-1"), primaryJournal.tailLsn());
        assertSequence(receiver.journal(), nextSequence);
    }

    @Test
    void anIdleLinkStaysUpOnHeartbeats()
    {
        startPrimary(CompressionMode.lz4(), (ctx) -> ctx.heartbeatIntervalMs(50).qosTimeoutMs(400));
        final Receiver receiver = startReceiver(receiverContext("dr-1", MemberRole.DR_ASYNC, primary.address())
            .heartbeatIntervalMs(50).qosTimeoutMs(400));
        append(10);
        awaitCaughtUp(receiver);
        final long idleUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        await(() -> System.nanoTime() - idleUntil > 0, 5_000, () -> "clock");
        assertEquals(1, receiver.status().connects(), "no reconnect while idle: " + receiver.status());
        assertEquals("STREAMING", receiver.status().state());
        append(10);
        awaitCaughtUp(receiver);
    }

    @Test
    void insecurePrimaryMustBeAskedFor()
    {
        primaryJournal = Journal.open(new JournalContext().journalDir(dir.resolve("p")).fileLength(FILE_LENGTH));
        closeables.add(primaryJournal);
        final ShipperException ex = assertThrows(ShipperException.class, () -> Primary.start(new PrimaryContext()
            .journal(primaryJournal).member(AllowedMember.of("backup-1", MemberRole.BACKUP))));
        assertEquals(ShipperException.Code.INVALID_CONFIG, ex.code());
        assertTrue(ex.getMessage().contains("TLS"), ex.getMessage());
    }
}
