package io.jmirror.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.jmirror.dejournal.DejournalContext;
import io.jmirror.dejournal.Dejournaler;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.mirror.MemberContext;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
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

/**
 * Dejournal throughput, one op = one record: each invocation starts a {@link Dejournaler} at the start of a
 * prefilled journal of SETs ({@value #RECORDS} for {@link #apply}, {@value #DISPATCH_RECORDS} for
 * {@link #dispatchOnly}), waits until every record is applied, and closes it, so a score is records/s from journal
 * to target, dispatcher and workers included.
 * <p>
 * Why a whole replay per invocation rather than a long-running dejournaler fed by an appender: the figure must not
 * include appending, and a replay from a journal already on disk is exactly what a member does when it catches up
 * or restores a backup. Starting and closing a dejournaler (rings, threads, the last wait on the applied LSN) is
 * part of each invocation: about 4 ms (11 ms with 16 workers), under 1% of an {@link #apply} invocation.
 * <p>
 * Why {@link #dispatchOnly} replays a longer journal: at 20 M records/s a replay of {@value #RECORDS} records takes
 * 50 ms, so those 4 ms would understate the dispatch rate by 8%, and the rings each start allocates (16,384 slots of
 * 32 bytes plus a 4-byte reference each, about 590 KB per worker) would be all that {@code -prof gc} reports: 0.6 B/op
 * per worker, which reads like an allocation per record but is a fixed cost per invocation. With
 * {@value #DISPATCH_RECORDS} records the same bytes per invocation are a third as many bytes per op, and the start and
 * close a third as large a share. That
 * nothing is allocated per record is shown, not assumed: {@code gc.alloc.rate.norm} times the records per invocation
 * is the same at both lengths (see {@code bench/results/dispatch-path.md}), and {@code DispatchAllocationTest} checks
 * that the dejournal threads allocate no more bytes while they dispatch 400,000 more records.
 * <p>
 * Frame CRCs are not checked again on the way, as in a {@link io.jmirror.dejournal.Member}, whose receiver checked
 * each frame before writing it ({@link MemberContext#VERIFY_CHECKSUMS_DEFAULT}); checking them would add about
 * 30 ns per record to the dispatcher.
 * <p>
 * The workload is 1000 globals of one database, keys {@code (int, "name")} and 100-byte values (160-byte frames).
 * With {@link Distribution#ZIPF} a few globals take most records, as real applications do, which loads the worker
 * that owns them more than the others. {@link #apply}'s store lives for the whole trial, so after the first
 * invocation every record overwrites a node; the insert-heavy load, where almost every record makes a new node,
 * needs an empty store per invocation and is {@link StoreApplyBenchmark#insert} (in-memory and RocksDB stores).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    // The store is hundreds of MiB of tree pages read at random: with 4 KiB pages most SETs also miss the TLB. The
    // README recommends this flag for members; with the kernel's THP setting "never" the JVM warns and ignores it.
    "-XX:+UseTransparentHugePages",
    // The dejournaler logs each start and close at INFO; a run starts hundreds of them.
    "-Dorg.slf4j.simpleLogger.log.io.jmirror.dejournal=warn"})
public class DejournalBenchmark
{
    /** Records in {@link #apply}'s journal, all SETs: the ops of one invocation. */
    public static final int RECORDS = 1_000_000;

    /**
     * Records in {@link #dispatchOnly}'s journal, the ops of one invocation: long enough that a dejournaler's start
     * and close are a small share of a replay (480 MB of journal, two files).
     */
    public static final int DISPATCH_RECORDS = 3_000_000;

    /** Globals the records are spread over. */
    public static final int GLOBALS = 1000;

    /** Integer subscripts per global: a global's records overwrite up to this many nodes. */
    public static final int KEYS_PER_GLOBAL = 4096;

    /** Bytes of each value. */
    public static final int VALUE_SIZE = 100;

    /** The database of every record. */
    static final String DATABASE = "USER";

    /** Fixed so that every run replays the same journal. */
    static final long SEED = 0x6a6d6972726f72L;

    /** Long enough for the slowest layout, short enough that a hung run fails the benchmark instead of waiting. */
    private static final long APPLY_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(120);

    /**
     * How records are spread over the globals.
     */
    public enum Distribution
    {
        /** Every global equally likely. */
        UNIFORM,
        /** Zipf with s = 1: the k-th most used global gets a share proportional to 1/k (the first about 13%). */
        ZIPF
    }

    /**
     * A prefilled journal and how to replay it; the subclasses add the parameters of each benchmark.
     */
    public abstract static class ReplayState
    {
        Path dir;
        Journal journal;
        long endLsn;

        /**
         * Fills the journal once per trial; not measured.
         *
         * @param distribution how records are spread over the globals.
         * @param records      how many.
         */
        void open(final Distribution distribution, final int records)
        {
            dir = TempDirs.create("jmirror-bench-dejournal");
            journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE));
            fill(journal, distribution, records);
            endLsn = journal.completeLsn();
        }

        /**
         * Replays the whole journal into a target with a new dejournaler.
         *
         * @param target  where records go; its recovered LSN must be -1 so that the replay starts at the beginning.
         * @param workers apply threads.
         * @return the applied LSN at the end.
         */
        long replay(final Target target, final int workers)
        {
            try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(target)
                .workers(workers).verifyChecksums(MemberContext.VERIFY_CHECKSUMS_DEFAULT)))
            {
                if (!dejournaler.awaitApplied(endLsn, APPLY_TIMEOUT_NS))
                {
                    throw new IllegalStateException("replay did not finish: endLsn=" + endLsn + " status=" +
                        dejournaler.status());
                }
                return dejournaler.appliedLsn();
            }
        }

        /**
         * Closes and deletes the journal.
         */
        void close()
        {
            if (null != journal)
            {
                journal.close();
            }
            TempDirs.delete(dir);
        }
    }

    /**
     * {@link #apply}'s journal and store. The store lives for the whole trial: the first invocation creates its
     * nodes and the later ones overwrite them with the same values (records are absolute), so the measured
     * iterations see the steady state of a member applying updates to existing nodes.
     */
    @State(Scope.Benchmark)
    public static class ApplyState extends ReplayState
    {
        @Param({"1", "2", "4", "8", "16"})
        public int workers;

        @Param({"UNIFORM", "ZIPF"})
        public Distribution distribution;

        StoreTarget target;

        /**
         * Fills the journal and makes an empty store.
         */
        @Setup(Level.Trial)
        public void setup()
        {
            open(distribution, RECORDS);
            target = new StoreTarget(new GlobalStore());
        }

        /**
         * Checks the store holds what was journaled, then deletes the journal.
         */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            try
            {
                final long globals = target.store.globals().size();
                if (globals == 0 || globals > GLOBALS)
                {
                    throw new IllegalStateException("store does not hold the journal's globals: globals=" + globals);
                }
            }
            finally
            {
                close();
            }
        }
    }

    /**
     * {@link #dispatchOnly}'s journal of {@value #DISPATCH_RECORDS} records: uniform, since with a target that does
     * nothing the spread over workers only changes which ring a record goes to.
     */
    @State(Scope.Benchmark)
    public static class DispatchState extends ReplayState
    {
        @Param({"1", "2"})
        public int workers;

        NoopTarget target;

        /**
         * Fills the journal.
         */
        @Setup(Level.Trial)
        public void setup()
        {
            open(Distribution.UNIFORM, DISPATCH_RECORDS);
            target = new NoopTarget();
        }

        /**
         * Deletes the journal.
         */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            close();
        }
    }

    /**
     * Journal to {@link GlobalStore}: reading, dispatching, and applying every SET to the store's trees.
     *
     * @param state the journal, the store and the worker count.
     * @return the applied LSN, so the replay has a visible effect.
     */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long apply(final ApplyState state)
    {
        return state.replay(state.target, state.workers);
    }

    /**
     * Journal to a target that does nothing: the cost of reading, hashing each record to its worker, the ring
     * hand-off and the applied LSN, which is the most any target can get.
     *
     * @param state the journal and the worker count.
     * @return the applied LSN, so the replay has a visible effect.
     */
    @Benchmark
    @OperationsPerInvocation(DISPATCH_RECORDS)
    public long dispatchOnly(final DispatchState state)
    {
        return state.replay(state.target, state.workers);
    }

    /**
     * Appends the benchmark's records: SETs of {@code ^Gnnn(k,"name")} in {@link #DATABASE} with 100-byte values,
     * globals drawn from the distribution and {@code k} uniform in [0, {@value #KEYS_PER_GLOBAL}).
     *
     * @param journal      the journal to append to.
     * @param distribution how records are spread over the globals.
     * @param records      how many to append.
     */
    static void fill(final Journal journal, final Distribution distribution, final int records)
    {
        final GlobalName[] globals = new GlobalName[GLOBALS];
        for (int i = 0; i < GLOBALS; i++)
        {
            globals[i] = GlobalName.of(DATABASE, String.format("G%03d", i));
        }
        final double[] zipfCdf = zipfCdf(GLOBALS);
        final SplittableRandom random = new SplittableRandom(SEED);
        final JournalAppender appender = journal.newAppender();
        final SubscriptKey key = new SubscriptKey();
        final byte[] value = new byte[VALUE_SIZE];
        random.nextBytes(value);
        for (int i = 0; i < records; i++)
        {
            final int global = distribution == Distribution.UNIFORM ? random.nextInt(GLOBALS) :
                zipf(zipfCdf, random.nextDouble());
            key.clear().add(random.nextInt(KEYS_PER_GLOBAL)).add("name");
            value[0] = (byte)i;
            value[1] = (byte)(i >>> 8);
            value[2] = (byte)(i >>> 16);
            appender.set(0, globals[global], key, value);
        }
    }

    private static double[] zipfCdf(final int n)
    {
        final double[] cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++)
        {
            sum += 1.0 / (k + 1);
            cdf[k] = sum;
        }
        for (int k = 0; k < n; k++)
        {
            cdf[k] /= sum;
        }
        return cdf;
    }

    private static int zipf(final double[] cdf, final double u)
    {
        final int found = Arrays.binarySearch(cdf, u);
        return Math.min(found >= 0 ? found : -found - 1, cdf.length - 1);
    }

    /**
     * The adapter from the target SPI to the store, as an embedder using the built-in store would write it. Its
     * recovered LSN is always -1, so every replay starts at the journal's beginning.
     */
    static final class StoreTarget implements Target
    {
        final GlobalStore store;

        StoreTarget(final GlobalStore store)
        {
            this.store = store;
        }

        @Override
        public void apply(final JournalRecord record, final int worker)
        {
            store.apply(record);
        }

        @Override
        public void apply(final JournalRecord first, final JournalRecord second, final int worker)
        {
            store.apply(first, second);
        }

        @Override
        public void checkpoint(final long appliedLsn)
        {
        }

        @Override
        public long recoveredLsn()
        {
            return -1;
        }
    }

    /**
     * A target that only reads each record's LSN, into a slot of its own per worker (16 longs apart, so workers do
     * not share a cache line), which the JIT cannot drop.
     */
    static final class NoopTarget implements Target
    {
        private static final int SLOT_STRIDE = 16;

        private final long[] lastLsn = new long[(DejournalContext.MAX_WORKERS + 1) * SLOT_STRIDE];

        @Override
        public void apply(final JournalRecord record, final int worker)
        {
            lastLsn[(worker + 1) * SLOT_STRIDE] = record.lsn();
        }

        @Override
        public void checkpoint(final long appliedLsn)
        {
        }

        @Override
        public long recoveredLsn()
        {
            return -1;
        }
    }
}
