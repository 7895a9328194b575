package io.jmirror.bench;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.jmirror.dejournal.DejournalStatus;
import io.jmirror.dejournal.Dejournaler;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.mirror.Member;
import io.jmirror.mirror.MemberContext;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.CompressionMode;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.MemberStatus;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.ReceiverContext;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Replication end to end, one op = one record: appended on a primary, shipped with LZ4 over loopback into a member's
 * journal and applied by the member's dejournaler to its in-memory {@link GlobalStore}. Each invocation appends
 * {@value #BATCH} SETs from the benchmark thread and returns when the member's applied LSN reaches the primary's
 * journal tail, so a score is records/s applied at the member, every stage on the way included: the appender, the
 * member session (read, LZ4, socket), the receiver (socket, LZ4, its own journal), the dispatcher and the workers,
 * all sharing the machine's cores. The ceiling it is judged against is {@link DejournalBenchmark#apply} with the
 * same workers and {@link DejournalBenchmark.Distribution#UNIFORM}: applying a journal already on disk.
 * <p>
 * Why it is built this way:
 * <ul>
 *   <li>The records are {@link DejournalBenchmark#apply}'s UNIFORM journal, record for record: SETs of
 *   {@code ^Gnnn(k,"name")} over {@value DejournalBenchmark#GLOBALS} globals drawn uniformly, 100-byte values, the
 *   same seed, replayed round and round. So the store holds the same nodes and the ratio compares like with like.
 *   Their values differ in three bytes only, so LZ4 compresses them better than real data (the ratio is printed
 *   at the end of a trial).</li>
 *   <li>Setup replays the whole sequence once before any op, so the store already holds its nodes and the measured
 *   iterations overwrite them: the steady state {@link DejournalBenchmark#apply} measures, and a store that stops
 *   growing.</li>
 *   <li>An op waits for the applied LSN, not the received one, and its batch is large (a few tens of ms of work) so
 *   that the pipeline's fill and drain at each end of it are a small part of the op. The wait backs off to parks of
 *   up to 500 µs, so the waiting thread leaves the cores to the pipeline: with 20 µs parks its wake-ups cost about
 *   a tenth of a microsecond of CPU per record (see {@link ThreadCpuProfiler}), taken from the threads being
 *   measured. Seeing the end up to 500 µs late understates an invocation of about 100 ms by at most 0.5%.</li>
 *   <li>Both journals use sync policy NONE (the page cache): with fsync the figure would be the disk's. Files are
 *   {@link ShippingBenchmark#FILE_LENGTH} long and both journals are purged after every invocation, when every
 *   record has been applied, so a run keeps a few files on each side. Everything lives under temp directories
 *   deleted at the end of the trial.</li>
 *   <li>The member is a BACKUP on 127.0.0.1 in insecure mode. The ops never wait for commits, so its role only
 *   changes what the primary reports.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    // As DejournalBenchmark, the ceiling, runs: the member's store is read at random, see the README's tuning notes.
    "-XX:+UseTransparentHugePages",
    // Purging after every invocation would log a line per file deleted.
    "-Dorg.slf4j.simpleLogger.log.io.jmirror.journal=warn"})
@Threads(1)
public class EndToEndBenchmark
{
    /** Records appended, shipped and applied by one {@link #replicate} invocation: its ops. */
    public static final int BATCH = 100_000;

    /** How long setup waits for the link, and an invocation for the member to apply its records. */
    private static final long AWAIT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    private static final int AWAIT_SPINS = 20;
    private static final int AWAIT_YIELDS = 50;
    private static final long AWAIT_MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(1);
    private static final long AWAIT_MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(500);

    /**
     * A primary and a member applying to a {@link GlobalStore}, connected, ACTIVE and caught up, for one trial.
     */
    @State(Scope.Benchmark)
    public static class Mirror
    {
        /** The member's dejournal workers; 2 on a 2-core machine, as {@link DejournalBenchmark#apply}'s ratio. */
        @Param({"2"})
        public int workers;

        private final IdleStrategy awaitIdle = new BackoffIdleStrategy(
            AWAIT_SPINS, AWAIT_YIELDS, AWAIT_MIN_PARK_NS, AWAIT_MAX_PARK_NS);
        Path primaryDir;
        Path memberDir;
        Journal journal;
        Primary primary;
        Member member;
        StoreTarget target;
        JournalAppender appender;
        UniformSets records;

        /**
         * Starts the mirror, waits until the member is ACTIVE, then replays the record sequence once so that the
         * store holds its nodes; not measured.
         */
        @Setup(Level.Trial)
        public void start()
        {
            records = new UniformSets();
            primaryDir = TempDirs.create("jmirror-bench-e2e-primary");
            memberDir = TempDirs.create("jmirror-bench-e2e-member");
            try
            {
                journal = Journal.open(ShippingBenchmark.LoopbackMirror.journalContext(primaryDir));
                primary = Primary.start(new PrimaryContext()
                    .journal(journal)
                    .insecure(true)
                    .member(new AllowedMember(
                        ShippingBenchmark.MEMBER_NAME, MemberRole.BACKUP, null, CompressionMode.lz4())));
                target = new StoreTarget(new GlobalStore());
                member = Member.start(new MemberContext()
                    .receiverContext(new ReceiverContext()
                        .memberName(ShippingBenchmark.MEMBER_NAME)
                        .role(MemberRole.BACKUP)
                        .mirrorName(ShippingBenchmark.MIRROR_NAME)
                        .primaryAddress(primary.address())
                        .insecure(true)
                        .journalContext(ShippingBenchmark.LoopbackMirror.journalContext(memberDir)))
                    .target(target)
                    .workers(workers));
                appender = journal.newAppender();
                awaitActive();
                for (int i = 0; i < DejournalBenchmark.RECORDS; i++)
                {
                    records.appendNext(appender);
                }
                awaitApplied(journal.tailLsn());
                purge();
            }
            catch (final RuntimeException ex)
            {
                close();
                throw ex;
            }
        }

        /**
         * Purges both journals: every record appended so far has been applied, so only the newest files are kept.
         */
        @TearDown(Level.Invocation)
        public void purge()
        {
            primary.purge();
            final Journal memberJournal = member.receiver().journal();
            if (null != memberJournal)
            {
                memberJournal.purge();
            }
        }

        /**
         * Prints what the mirror did and stops everything, then deletes both journals.
         */
        @TearDown(Level.Trial)
        public void close()
        {
            if (null != primary && null != member)
            {
                System.out.println();
                System.out.println(describe());
            }
            try
            {
                CloseHelper.closeAll(member, primary, journal);
            }
            finally
            {
                member = null;
                primary = null;
                journal = null;
                TempDirs.delete(primaryDir);
                TempDirs.delete(memberDir);
            }
        }

        private void awaitActive()
        {
            final long deadlineNs = System.nanoTime() + AWAIT_TIMEOUT_NS;
            while (!isActive() || null == member.dejournaler())
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("member not ACTIVE and dejournaling within " +
                        TimeUnit.NANOSECONDS.toMillis(AWAIT_TIMEOUT_NS) + " ms: " + describe());
                }
                Thread.yield();
            }
        }

        private boolean isActive()
        {
            final MemberStatus status = primary.memberStatus(ShippingBenchmark.MEMBER_NAME);
            return null != status && "ACTIVE".equals(status.transferStatus());
        }

        /**
         * Wait, backing off to short parks, until the member has applied every record below {@code lsn}.
         *
         * @param lsn the primary's journal tail.
         * @return the member's applied LSN.
         * @throws IllegalStateException when it takes longer than {@link #AWAIT_TIMEOUT_NS}: the mirror is broken,
         *                               and a figure would be meaningless.
         */
        long awaitApplied(final long lsn)
        {
            final Dejournaler dejournaler = member.dejournaler();
            long applied = dejournaler.appliedLsn();
            if (applied >= lsn)
            {
                return applied;
            }
            final long deadlineNs = System.nanoTime() + AWAIT_TIMEOUT_NS;
            awaitIdle.reset();
            while ((applied = dejournaler.appliedLsn()) < lsn)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("member did not apply lsn=" + lsn + " within " +
                        TimeUnit.NANOSECONDS.toMillis(AWAIT_TIMEOUT_NS) + " ms: " + describe());
                }
                awaitIdle.idle();
            }
            return applied;
        }

        /**
         * @return the link and the dejournaler in one line, for a failure message or the end of a trial.
         */
        String describe()
        {
            final StringBuilder sb = new StringBuilder("mirror: ");
            final MemberStatus status = primary.memberStatus(ShippingBenchmark.MEMBER_NAME);
            if (null == status)
            {
                sb.append("member=").append(ShippingBenchmark.MEMBER_NAME).append(" not connected");
            }
            else
            {
                sb.append("member=").append(status.name())
                    .append(" status=").append(status.transferStatus())
                    .append(" codec=").append(status.codec())
                    .append(" batches=").append(status.batches())
                    .append(" meanBatchBytes=")
                    .append(status.batches() == 0 ? 0 : status.bytesRaw() / status.batches())
                    .append(" compressionRatio=").append(String.format("%.2f", status.compressionRatio()));
            }
            final Member.Status memberStatus = member.status();
            sb.append(" receiver=").append(memberStatus.transfer().state())
                .append(" receivedLsn=").append(memberStatus.transfer().receivedLsn());
            final DejournalStatus dejournal = memberStatus.dejournal();
            if (null != dejournal)
            {
                sb.append(" dejournal=").append(dejournal.state())
                    .append(" appliedLsn=").append(dejournal.appliedLsn())
                    .append(" workerRecords=");
                for (final DejournalStatus.WorkerStatus worker : dejournal.workers())
                {
                    sb.append(worker.index() == 0 ? "" : ",").append(worker.records());
                }
                sb.append(" failure=").append(dejournal.failure());
            }
            sb.append(" storeNodes=").append(target.store().size());
            return sb.toString();
        }
    }

    /**
     * Append {@value #BATCH} records on the primary, then wait until the member has applied all of them.
     *
     * @param mirror the primary, the member and the records.
     * @return the member's applied LSN, so the work has a visible effect.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long replicate(final Mirror mirror)
    {
        final UniformSets records = mirror.records;
        final JournalAppender appender = mirror.appender;
        for (int i = 0; i < BATCH; i++)
        {
            records.appendNext(appender);
        }
        return mirror.awaitApplied(mirror.journal.tailLsn());
    }

    /**
     * {@link DejournalBenchmark#fill}'s UNIFORM records, drawn once from the same seed in the same order, then
     * appended round and round without allocating: the keys are encoded once, the value is one buffer whose first
     * three bytes carry the record's index, as there. Not thread-safe: one appender replays it.
     */
    static final class UniformSets
    {
        private final GlobalName[] globals = new GlobalName[DejournalBenchmark.GLOBALS];
        private final SubscriptKey[] keys = new SubscriptKey[DejournalBenchmark.KEYS_PER_GLOBAL];
        private final short[] globalOf = new short[DejournalBenchmark.RECORDS];
        private final short[] keyOf = new short[DejournalBenchmark.RECORDS];
        private final byte[] valueBytes = new byte[DejournalBenchmark.VALUE_SIZE];
        private final UnsafeBuffer value = new UnsafeBuffer(valueBytes);
        private int next;

        UniformSets()
        {
            for (int i = 0; i < globals.length; i++)
            {
                globals[i] = GlobalName.of(DejournalBenchmark.DATABASE, String.format("G%03d", i));
            }
            for (int k = 0; k < keys.length; k++)
            {
                keys[k] = new SubscriptKey().add(k).add("name");
            }
            // The same draws, in the same order, as DejournalBenchmark.fill with UNIFORM.
            final SplittableRandom random = new SplittableRandom(DejournalBenchmark.SEED);
            random.nextBytes(valueBytes);
            for (int i = 0; i < globalOf.length; i++)
            {
                globalOf[i] = (short)random.nextInt(DejournalBenchmark.GLOBALS);
                keyOf[i] = (short)random.nextInt(DejournalBenchmark.KEYS_PER_GLOBAL);
            }
        }

        /**
         * Append the next record of the sequence, starting again at its first after its last.
         *
         * @param appender the one appender replaying the sequence.
         * @return the record's LSN.
         */
        long appendNext(final JournalAppender appender)
        {
            final int i = next;
            valueBytes[0] = (byte)i;
            valueBytes[1] = (byte)(i >>> 8);
            valueBytes[2] = (byte)(i >>> 16);
            final long lsn = appender.set(0, globals[globalOf[i]], keys[keyOf[i]], value, 0, valueBytes.length);
            next = i + 1 == globalOf.length ? 0 : i + 1;
            return lsn;
        }
    }
}
