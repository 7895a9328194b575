package io.jmirror.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.JournalWaiter;
import io.jmirror.journal.RecordType;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.Codec;
import io.jmirror.shipper.CompressionMode;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.MemberStatus;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.Receiver;
import io.jmirror.shipper.ReceiverContext;
import io.jmirror.shipper.ReceiverStatus;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Shipping throughput end to end over loopback: one op appends 1 MiB of journal on a primary and returns when a
 * BACKUP member has received the MiB the op before appended into its own journal, so ops/s × 1 MiB is the journal
 * bytes per second a mirror keeps in step. Everything a real link does is in the figure: the appender writing and
 * summing frames, the member session reading and checking them, summing and compressing each batch and writing it to
 * the socket, and the receiver reading, decompressing, checking and copying it into its mapped files, on a 2-core
 * machine where these threads share the cores.
 * <p>
 * Why it is built this way:
 * <ul>
 *   <li>The records are {@link JournalSample}'s, replayed field by field through the journal API, so a batch
 *   compresses like the bytes {@link CeilingBenchmark#lz4Compress} and {@link CeilingBenchmark#zstdCompress}
 *   compress and the runner's ratios to those ceilings compare like with like. Only the timestamps (the journal's
 *   clock) and the transaction ids (advanced every pass over the sample) differ.</li>
 *   <li>The op waits for the member's received LSN, not its durable or applied one: with sync policy NONE on
 *   both sides durable is the same point, and applying is the dejournal's figure, not the shipper's.</li>
 *   <li>One op stays in flight: an op waits for the previous op's bytes, not its own, as a mirror under steady load
 *   never waits for its link to drain. When each op waited for its own MiB (until 2026-11-22), the last batch of
 *   every MiB was compressed, sent and written with nothing overlapping it, and the appender sat idle meanwhile.
 *   In alternating runs that took LZ4's ratio to its ceiling from a mean of 0.70 down to 0.59, a gain smaller
 *   than this machine's noise between full runs; uncompressed shipping did not change
 *   (bench/results/shipping-pipelined.md). The wait still bounds the appender to one MiB
 *   ahead of the member, so the figure is the link's rate, not the appender's.</li>
 *   <li>The link is set up once per trial and awaited ACTIVE before any op, so connecting and catching up are not
 *   measured. Files are 64 MiB and both journals are purged as they go (every {@link #PURGE_EVERY_OPS} ops, on the
 *   op's thread, as an application purges its primary's journal), so purged files come back as new ones on both
 *   sides ({@link JournalContext#recycleFiles}) and a run keeps a few files on disk. Purging only between
 *   iterations (until 2026-12-04) left the pool of two free files to cover some 30 new files an iteration: the rest
 *   were new files, whose fresh pages the kernel provides, on both journals.</li>
 *   <li>Both journals use sync policy NONE (the page cache): with fsync the figure would be the disk's, not the
 *   shipper's.</li>
 *   <li>The op thread blocks until the member's journal reaches the previous op's end (a {@link JournalWaiter}
 *   armed at that LSN, which the receiver's replicated block fires), as an application thread would. Earlier on
 *   2026-11-22 it polled the receiver with spins, yields and parks of at most 20 µs, which woke ~150 times an op and
 *   took CPU the session and the receiver needed.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Threads(1)
public class ShippingBenchmark
{
    /** Journal bytes appended and shipped by one {@link #ship} op; the runner's bytes/s ratios multiply by it. */
    public static final int SHIP_BYTES = 1024 * 1024;

    /** The member every benchmark mirror ships to. */
    static final String MEMBER_NAME = "backup-1";

    /** The mirror every benchmark journal belongs to. */
    static final String MIRROR_NAME = "BENCH";

    /** Small enough that purging after an iteration leaves little on disk, large enough that switching is rare. */
    static final long FILE_LENGTH = 64L * 1024 * 1024;

    /** How long setup waits for the link to become ACTIVE, and an op for the member to receive its bytes. */
    static final long AWAIT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    /*
     * How the benchmark thread waits for the member: it arms a waiter on the member's journal for the op's end LSN and
     * parks; the receiver's thread unparks it when its replicated tail reaches that LSN, once per op. An application
     * thread waiting for its records to reach a mirror would block the same way. The earlier back-off (spins, yields,
     * then parks of at most 20 µs) woke ~150 times for each op it waited on and cost ~0.3 ms of CPU an op, on the two
     * cores the session and the receiver share. The park is bounded because a journal wake-up can be missed in a rare
     * race (see JournalWaiter); then the op is late by at most this much.
     */
    private static final long AWAIT_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * A primary and its BACKUP on loopback, connected and ACTIVE, for one trial; the op's state.
     */
    @State(Scope.Benchmark)
    public static class Link
    {
        /** How batches are compressed: none, LZ4, or Zstd at {@link CeilingBenchmark#ZSTD_LEVEL}. */
        @Param({"NONE", "LZ4", "ZSTD"})
        public Codec codec;

        LoopbackMirror mirror;
        SampleRecords records;
        JournalAppender appender;
        /** Where the previous op's appends ended, which the next op waits for; -1 before the first op. */
        long previousEnd = -1;
        /** Ops so far, to purge every {@link #PURGE_EVERY_OPS}. */
        long ops;

        /**
         * Builds the records, starts the mirror and waits until the backup is ACTIVE.
         */
        @Setup(Level.Trial)
        public void start()
        {
            records = SampleRecords.load(SHIP_BYTES);
            mirror = LoopbackMirror.start(compression(codec), "jmirror-bench-shipping");
            appender = mirror.journal().newAppender();
        }

        /**
         * Waits until the member has received the last op's bytes too, then purges both journals: every byte appended
         * so far has been received, so only the newest files are kept.
         */
        @TearDown(Level.Iteration)
        public void purge()
        {
            if (previousEnd >= 0)
            {
                mirror.awaitReceived(previousEnd);
            }
            mirror.purge();
        }

        /**
         * Prints what the link did (batches, their mean size, the compression ratio) and closes everything.
         */
        @TearDown(Level.Trial)
        public void close()
        {
            if (null != mirror)
            {
                System.out.println();
                System.out.println(mirror.describe());
                mirror.close();
                mirror = null;
            }
        }

        private static CompressionMode compression(final Codec codec)
        {
            switch (codec)
            {
                case NONE:
                    return CompressionMode.none();
                case LZ4:
                    return CompressionMode.lz4();
                case ZSTD:
                    return CompressionMode.zstd(CeilingBenchmark.ZSTD_LEVEL);
                default:
                    throw new IllegalArgumentException("unknown codec: codec=" + codec);
            }
        }
    }

    /**
     * Append at least 1 MiB of journal, then wait until the member has received the previous op's MiB.
     *
     * @param link the mirror and the records.
     * @return the LSN the member reached (the first op: where its appends ended), so the work has a visible effect.
     */
    @Benchmark
    public long ship(final Link link)
    {
        final long target = link.mirror.journal().tailLsn() + SHIP_BYTES;
        long end;
        do
        {
            end = link.records.appendNext(link.appender);
        }
        while (end < target);

        final long previous = link.previousEnd;
        link.previousEnd = end;
        if ((++link.ops & (PURGE_EVERY_OPS - 1)) == 0)
        {
            link.mirror.purge();
        }
        return previous < 0 ? end : link.mirror.awaitReceived(previous);
    }

    /**
     * Ops between purges of both journals: a quarter of a {@link #FILE_LENGTH} file, so a file goes soon after it is
     * passed.
     */
    static final long PURGE_EVERY_OPS = 16;

    /**
     * A primary with one BACKUP member on 127.0.0.1, each with its own journal in a temp directory, sync policy NONE.
     * Shared by the shipping benchmarks; it closes everything it started, even when starting fails half way.
     */
    static final class LoopbackMirror implements AutoCloseable
    {
        private final Path primaryDir;
        private final Path memberDir;
        private volatile Thread awaitingThread;
        private JournalWaiter memberWaiter;
        private Journal journal;
        private Primary primary;
        private Receiver receiver;

        private LoopbackMirror(final String prefix)
        {
            primaryDir = TempDirs.create(prefix + "-primary");
            memberDir = TempDirs.create(prefix + "-member");
        }

        /**
         * @param compression how the primary compresses batches to the member.
         * @param prefix      names the temp directories after the benchmark that owns them.
         * @return a mirror whose backup is ACTIVE.
         * @throws IllegalStateException when the link is not ACTIVE within {@link #AWAIT_TIMEOUT_NS}.
         */
        static LoopbackMirror start(final CompressionMode compression, final String prefix)
        {
            final LoopbackMirror mirror = new LoopbackMirror(prefix);
            try
            {
                mirror.journal = Journal.open(journalContext(mirror.primaryDir));
                mirror.primary = Primary.start(new PrimaryContext()
                    .journal(mirror.journal)
                    .insecure(true)
                    .maxBatchBytes(SHIP_BYTES)
                    .member(new AllowedMember(MEMBER_NAME, MemberRole.BACKUP, null, compression)));
                mirror.receiver = Receiver.start(new ReceiverContext()
                    .memberName(MEMBER_NAME)
                    .role(MemberRole.BACKUP)
                    .mirrorName(MIRROR_NAME)
                    .primaryAddress(mirror.primary.address())
                    .insecure(true)
                    .maxBatchBytes(SHIP_BYTES)
                    .journalContext(journalContext(mirror.memberDir)));
                mirror.awaitActive();
                return mirror;
            }
            catch (final RuntimeException ex)
            {
                mirror.close();
                throw ex;
            }
        }

        /**
         * @param dir where the journal lives.
         * @return a benchmark journal's settings: {@link #FILE_LENGTH} files, sync policy NONE, purgeable.
         */
        static JournalContext journalContext(final Path dir)
        {
            return new JournalContext()
                .journalDir(dir)
                .mirrorName(MIRROR_NAME)
                .fileLength(FILE_LENGTH)
                .retainMinFiles(2)
                .retainMs(0)
                .syncPolicy(SyncPolicy.NONE);
        }

        private void awaitActive()
        {
            final long deadlineNs = System.nanoTime() + AWAIT_TIMEOUT_NS;
            // the primary can see an empty journal's member ACTIVE before the member has its WELCOME (and its journal)
            while (!isActive() || receiver.state() != Receiver.State.STREAMING || null == receiver.journal())
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("backup not ACTIVE within " +
                        TimeUnit.NANOSECONDS.toMillis(AWAIT_TIMEOUT_NS) + " ms: " + describe());
                }
                Thread.yield();
            }
        }

        /**
         * @return true while the primary sees the backup ACTIVE: its acks gate commits.
         */
        boolean isActive()
        {
            final MemberStatus status = primary.memberStatus(MEMBER_NAME);
            return null != status && "ACTIVE".equals(status.transferStatus());
        }

        /**
         * Wait, parked until the receiver wakes this thread, until the member has received every byte below
         * {@code lsn} into its journal: the tail of the member's journal is the receiver's received LSN.
         *
         * @param lsn an end of journal on the primary.
         * @return the member's received LSN.
         * @throws IllegalStateException when it takes longer than {@link #AWAIT_TIMEOUT_NS}: the link is broken, and
         *                               a figure would be meaningless.
         */
        long awaitReceived(final long lsn)
        {
            final Journal memberJournal = receiver.journal();
            long received = memberJournal.tailLsn();
            if (received >= lsn)
            {
                return received;
            }
            awaitingThread = Thread.currentThread();
            if (null == memberWaiter)
            {
                memberWaiter = memberJournal.newWaiter(this::wakeAwaiting);
            }
            final long deadlineNs = System.nanoTime() + AWAIT_TIMEOUT_NS;
            while (true)
            {
                memberWaiter.armAt(lsn);
                if ((received = memberJournal.tailLsn()) >= lsn)
                {
                    memberWaiter.disarm();
                    return received;
                }
                if (System.nanoTime() - deadlineNs > 0)
                {
                    memberWaiter.disarm();
                    throw new IllegalStateException("member did not receive lsn=" + lsn + " within " +
                        TimeUnit.NANOSECONDS.toMillis(AWAIT_TIMEOUT_NS) + " ms: " + describe());
                }
                LockSupport.parkNanos(AWAIT_PARK_NS);
            }
        }

        private void wakeAwaiting()
        {
            final Thread thread = awaitingThread;
            if (null != thread)
            {
                LockSupport.unpark(thread);
            }
        }

        /**
         * Remove the journal files neither side needs any more: they go to each journal's pool of free files, or are
         * deleted when it is full. The member's journal is purged here too, as the member process would purge its
         * own; the receiver writes into it meanwhile, which a purge allows.
         */
        void purge()
        {
            primary.purge();
            final Journal memberJournal = receiver.journal();
            if (null != memberJournal)
            {
                memberJournal.purge();
            }
        }

        Journal journal()
        {
            return journal;
        }

        Primary primary()
        {
            return primary;
        }

        /**
         * @return both sides' status in one line, for a failure message or the end of a trial.
         */
        String describe()
        {
            final MemberStatus status = null == primary ? null : primary.memberStatus(MEMBER_NAME);
            final ReceiverStatus received = null == receiver ? null : receiver.status();
            final StringBuilder sb = new StringBuilder("mirror: ");
            if (null == status)
            {
                sb.append("member=").append(MEMBER_NAME).append(" not connected");
            }
            else
            {
                sb.append("member=").append(status.name())
                    .append(" status=").append(status.transferStatus())
                    .append(" codec=").append(status.codec())
                    .append(" batches=").append(status.batches())
                    .append(" meanBatchBytes=")
                    .append(status.batches() == 0 ? 0 : status.bytesRaw() / status.batches())
                    .append(" compressionRatio=").append(String.format("%.2f", status.compressionRatio()))
                    .append(" reason=").append(status.reason());
            }
            if (null != received)
            {
                sb.append(" receiver=").append(received.state())
                    .append(" receivedLsn=").append(received.receivedLsn())
                    .append(" connects=").append(received.connects())
                    .append(" badBatches=").append(received.badBatches())
                    .append(" lastError=").append(received.lastError());
            }
            if (null != journal)
            {
                sb.append(" primaryRecycledFiles=").append(journal.recycledFileCount());
            }
            if (null != receiver && null != receiver.journal())
            {
                sb.append(" memberRecycledFiles=").append(receiver.journal().recycledFileCount());
            }
            return sb.toString();
        }

        /**
         * Stop the member first, so it does not reconnect to a closing primary, then the primary, then its journal,
         * and delete both directories. Safe to call twice.
         */
        @Override
        public void close()
        {
            try
            {
                CloseHelper.closeAll(memberWaiter, receiver, primary, journal);
            }
            finally
            {
                memberWaiter = null;
                receiver = null;
                primary = null;
                journal = null;
                TempDirs.delete(primaryDir);
                TempDirs.delete(memberDir);
            }
        }
    }

    /**
     * {@link JournalSample}'s records taken apart once into what an append needs (type, transaction, global, key and
     * value slices of the sample buffer), so replaying them allocates nothing and writes the sample's bytes again.
     * Not thread-safe: one appender replays it.
     */
    static final class SampleRecords
    {
        private final UnsafeBuffer sample;
        private final RecordType[] types;
        private final long[] transactionIds;
        private final GlobalName[] globals;
        private final int[] keyOffsets;
        private final int[] keyLengths;
        private final int[] valueOffsets;
        private final int[] valueLengths;
        private final int[] alignedLengths;
        private final int count;
        private final long transactionStride;
        private long transactionBase;
        private int next;

        private SampleRecords(final UnsafeBuffer sample, final int count)
        {
            this.sample = sample;
            this.count = count;
            types = new RecordType[count];
            transactionIds = new long[count];
            globals = new GlobalName[count];
            keyOffsets = new int[count];
            keyLengths = new int[count];
            valueOffsets = new int[count];
            valueLengths = new int[count];
            alignedLengths = new int[count];
            long maxTransactionId = 0;
            final Map<String, GlobalName> names = new HashMap<>();
            final JournalRecord record = new JournalRecord();
            int offset = 0;
            for (int i = 0; i < count; i++)
            {
                record.wrap(sample, offset, offset);
                types[i] = record.type();
                transactionIds[i] = record.transactionId();
                maxTransactionId = Math.max(maxTransactionId, record.transactionId());
                if (record.type().isNodeRecord())
                {
                    final String database = record.database();
                    final String global = record.global();
                    globals[i] = names.computeIfAbsent(
                        database + '\0' + global, (k) -> GlobalName.of(database, global));
                }
                keyOffsets[i] = record.keyOffset();
                keyLengths[i] = record.keyLength();
                valueOffsets[i] = record.valueOffset();
                valueLengths[i] = record.valueLength();
                alignedLengths[i] = record.alignedLength();
                offset += alignedLengths[i];
            }
            transactionStride = maxTransactionId + 1;
        }

        /**
         * @param bytes how many bytes of sample journal to replay, round and round.
         * @return the sample's records.
         */
        static SampleRecords load(final int bytes)
        {
            final ByteBuffer frames = JournalSample.build(bytes);
            final UnsafeBuffer sample = new UnsafeBuffer(frames, 0, frames.remaining());
            final JournalRecord record = new JournalRecord();
            int count = 0;
            for (int offset = 0; offset < sample.capacity(); offset += record.alignedLength())
            {
                record.wrap(sample, offset, offset);
                if (record.frameLength() <= 0 || null == record.type() || record.type() == RecordType.PADDING)
                {
                    throw new IllegalStateException("sample holds an unexpected frame: offset=" + offset +
                        " frameLength=" + record.frameLength());
                }
                count++;
            }
            return new SampleRecords(sample, count);
        }

        /**
         * Append the next record of the sample, starting again at its first after its last.
         *
         * @param appender the one appender replaying the sample.
         * @return the journal LSN just after the record appended: the tail, when this appender is the only one.
         */
        long appendNext(final JournalAppender appender)
        {
            final int i = next;
            final RecordType type = types[i];
            final long transactionId = transactionBase + transactionIds[i];
            final long lsn;
            if (type.isNodeRecord())
            {
                lsn = appender.append(type, transactionId, globals[i],
                    sample, keyOffsets[i], keyLengths[i], sample, valueOffsets[i], valueLengths[i]);
            }
            else
            {
                lsn = appender.append(type, transactionId, null, null, 0, 0, null, 0, 0);
            }
            if (++next == count)
            {
                next = 0;
                transactionBase += transactionStride;
            }
            return lsn + alignedLengths[i];
        }
    }
}
