package io.jmirror.bench;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.jmirror.dejournal.DejournalContext;
import io.jmirror.dejournal.Dejournaler;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.mirror.MemberContext;
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
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Applying an insert-heavy journal into a new store, one op = one record: the work of a member that loads a store
 * (a new member catching up, a restore), where {@link DejournalBenchmark#apply} measures a member overwriting nodes
 * it already has.
 * <p>
 * The journal: {@value #RECORDS} SETs over {@value #GLOBALS} globals of one database, keys {@code (int, int)} drawn
 * from about a million nodes per global ({@value #SUBSCRIPT_RANGE} x {@value #SUBSCRIPT_RANGE}), values of 32 to 100
 * bytes, so almost every record makes a new node. Each invocation replays it into an empty store made before it (not
 * measured) and closed after it (not measured), so every invocation inserts. {@link StoreKind#MEMORY} is the built-in
 * {@link GlobalStore}; {@link StoreKind#ROCKSDB} the durable {@link RocksDbTarget} (RocksDB's WAL off, one sorted
 * write per worker batch, a checkpoint with a flush each second), whose score divided by MEMORY's, from the same
 * run, is the figure to quote; {@link StoreKind#ROCKSDB_BULK} the same store opened for a bulk load (unsorted
 * memtables). {@link #targetOnly} is the RocksDB target alone on one thread, its ceiling per
 * core.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "-Dorg.slf4j.simpleLogger.log.io.jmirror.dejournal=warn"})
public class StoreApplyBenchmark
{
    /** Records in the journal: the ops of one invocation. */
    public static final int RECORDS = 1_000_000;

    /** Globals the records are spread over, uniformly. */
    public static final int GLOBALS = 1000;

    /** Each of the two integer subscripts is drawn from [0, this). */
    public static final int SUBSCRIPT_RANGE = 1000;

    /** Fixed so that every run replays the same journal. */
    static final long SEED = 0x696e73657274L;

    /** SETs per transaction in {@link #transactions}. */
    public static final int TRANSACTION_SETS = 4;

    /** Records per batch in {@link #targetOnly}: a worker's batch when it has a backlog (its whole ring). */
    static final int TARGET_ONLY_BATCH = DejournalContext.RING_SIZE_DEFAULT;

    private static final long APPLY_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(300);

    /**
     * The store the records go to.
     */
    public enum StoreKind
    {
        /** The in-memory {@link GlobalStore}. */
        MEMORY,
        /** The durable {@link RocksDbTarget}. */
        ROCKSDB,
        /** The durable {@link RocksDbTarget} opened for a bulk load ({@link RocksDbTarget#openForBulkLoad}). */
        ROCKSDB_BULK
    }

    /**
     * The journal (per trial) and an empty store (per invocation).
     */
    @State(Scope.Benchmark)
    public static class InsertState
    {
        @Param({"1", "2"})
        public int workers;

        @Param({"MEMORY", "ROCKSDB", "ROCKSDB_BULK"})
        public StoreKind store;

        Path dir;
        Journal journal;
        long endLsn;
        Path storeDir;
        Target target;
        AutoCloseable closer;

        /**
         * Fills the journal once per trial.
         */
        @Setup(Level.Trial)
        public void setup()
        {
            dir = TempDirs.create("jmirror-bench-insert");
            journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE));
            fill(journal);
            endLsn = journal.completeLsn();
        }

        /**
         * An empty store for the next invocation.
         */
        @Setup(Level.Invocation)
        public void newStore()
        {
            if (StoreKind.MEMORY == store)
            {
                final GlobalStore memory = new GlobalStore();
                target = new DejournalBenchmark.StoreTarget(memory);
                closer = null;
            }
            else
            {
                storeDir = TempDirs.create("jmirror-bench-insert-rocksdb");
                final RocksDbTarget rocksDb = StoreKind.ROCKSDB == store ? RocksDbTarget.open(storeDir) :
                    RocksDbTarget.openForBulkLoad(storeDir);
                target = rocksDb;
                closer = rocksDb;
            }
        }

        /**
         * Closes and deletes the invocation's store.
         *
         * @throws Exception if the store cannot close.
         */
        @TearDown(Level.Invocation)
        public void dropStore() throws Exception
        {
            if (null != closer)
            {
                closer.close();
                TempDirs.delete(storeDir);
            }
            target = null;
        }

        /**
         * Closes and deletes the journal.
         */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            journal.close();
            TempDirs.delete(dir);
        }
    }

    /**
     * Journal to an empty store: reading, dispatching and inserting every SET.
     *
     * @param state the journal, the store and the worker count.
     * @return the applied LSN.
     */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long insert(final InsertState state)
    {
        return replay(new DejournalContext().journal(state.journal).target(state.target).workers(state.workers)
            .verifyChecksums(MemberContext.VERIFY_CHECKSUMS_DEFAULT), state.endLsn);
    }

    private static long replay(final DejournalContext ctx, final long endLsn)
    {
        try (Dejournaler dejournaler = Dejournaler.start(ctx))
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
     * The insert journal's frames in memory (per trial) and an empty store (per invocation), for
     * {@link #targetOnly}.
     */
    @State(Scope.Benchmark)
    public static class TargetOnlyState
    {
        @Param({"ROCKSDB", "ROCKSDB_BULK"})
        public StoreKind store;

        byte[] frames;
        int[] offsets;
        long[] lsns;
        Path storeDir;
        RocksDbTarget target;

        /**
         * Fills a journal and copies its frames into memory, so the measurement reads no file.
         */
        @Setup(Level.Trial)
        public void setup()
        {
            final Path dir = TempDirs.create("jmirror-bench-target-only");
            try (Journal journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE)))
            {
                fill(journal);
                final long bytes = journal.completeLsn() - journal.startLsn();
                frames = new byte[Math.toIntExact(bytes)];
                offsets = new int[RECORDS];
                lsns = new long[RECORDS];
                final int[] at = {0, 0};
                try (JournalReader reader = journal.reader(journal.startLsn()))
                {
                    while (reader.poll((record) ->
                    {
                        if (record.type().isNodeRecord())
                        {
                            final int length = record.alignedLength();
                            record.buffer().getBytes(record.offset(), frames, at[0], length);
                            offsets[at[1]] = at[0];
                            lsns[at[1]] = record.lsn();
                            at[0] += length;
                            at[1]++;
                        }
                    }, 4096) > 0)
                    {
                    }
                }
            }
            TempDirs.delete(dir);
        }

        /**
         * An empty store for the next invocation.
         */
        @Setup(Level.Invocation)
        public void newStore()
        {
            storeDir = TempDirs.create("jmirror-bench-target-only-rocksdb");
            target = StoreKind.ROCKSDB == store ? RocksDbTarget.open(storeDir) :
                RocksDbTarget.openForBulkLoad(storeDir);
        }

        /**
         * Closes and deletes the invocation's store.
         */
        @TearDown(Level.Invocation)
        public void dropStore()
        {
            target.close();
            TempDirs.delete(storeDir);
            target = null;
        }
    }

    /**
     * The RocksDB target alone, on one thread: the insert journal's records, already in memory, applied in batches
     * of {@value #TARGET_ONLY_BATCH} as a worker hands them over, with no journal reading, dispatching or second
     * worker. What RocksDB takes per record with jmirror's key layout: the ceiling {@link #insert} into RocksDB
     * approaches as the rest of the apply path gets cheaper (on 2 cores, two workers share the cores with the
     * dispatcher and RocksDB's flush and compaction threads, so they cannot reach twice this).
     *
     * @param state the records and the store.
     * @return the last record's LSN.
     */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long targetOnly(final TargetOnlyState state)
    {
        final JournalRecord record = new JournalRecord();
        final UnsafeBuffer frames = new UnsafeBuffer(state.frames);
        final RocksDbTarget target = state.target;
        for (int i = 0; i < RECORDS; i += TARGET_ONLY_BATCH)
        {
            target.beginBatch(0);
            final int end = Math.min(RECORDS, i + TARGET_ONLY_BATCH);
            for (int j = i; j < end; j++)
            {
                record.wrap(frames, state.offsets[j], state.lsns[j]);
                target.apply(record, 0);
            }
            target.endBatch(0);
        }
        return state.lsns[RECORDS - 1];
    }

    /**
     * The transactional journal (per trial) and an empty RocksDB store (per invocation), with readers isolated or
     * not: what {@link DejournalContext#isolatedReaders(boolean)} costs the apply rate.
     */
    @State(Scope.Benchmark)
    public static class TransactionState
    {
        @Param({"false", "true"})
        public boolean isolatedReaders;

        Path dir;
        Journal journal;
        long endLsn;
        Path storeDir;
        RocksDbTarget target;

        /**
         * Fills the journal once per trial.
         */
        @Setup(Level.Trial)
        public void setup()
        {
            dir = TempDirs.create("jmirror-bench-transactions");
            journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE));
            fill(journal, TRANSACTION_SETS);
            endLsn = journal.completeLsn();
        }

        /**
         * An empty store for the next invocation.
         */
        @Setup(Level.Invocation)
        public void newStore()
        {
            storeDir = TempDirs.create("jmirror-bench-transactions-rocksdb");
            target = RocksDbTarget.open(storeDir);
        }

        /**
         * Closes and deletes the invocation's store.
         */
        @TearDown(Level.Invocation)
        public void dropStore()
        {
            target.close();
            TempDirs.delete(storeDir);
            target = null;
        }

        /**
         * Closes and deletes the journal.
         */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            journal.close();
            TempDirs.delete(dir);
        }
    }

    /**
     * The insert journal in transactions of {@value #TRANSACTION_SETS} SETs (each with its before-image), into
     * RocksDB with 2 workers, readers isolated or not; one op = one SET. No reader runs: this is the cost to the
     * apply path (an overlay entry per SET, its removal at TCOMMIT).
     *
     * @param state the journal, the store and the option.
     * @return the applied LSN.
     */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long transactions(final TransactionState state)
    {
        return replay(new DejournalContext().journal(state.journal).target(state.target).workers(2)
            .verifyChecksums(MemberContext.VERIFY_CHECKSUMS_DEFAULT).isolatedReaders(state.isolatedReaders),
            state.endLsn);
    }

    /**
     * Appends the records: SETs of {@code ^Gnnn(i,j)} with 32 to 100-byte values.
     *
     * @param journal where to append.
     */
    static void fill(final Journal journal)
    {
        fill(journal, 0);
    }

    /**
     * Appends {@value #RECORDS} SETs of {@code ^Gnnn(i,j)} with 32 to 100-byte values; with {@code transactionSets}
     * above 0, in transactions of that many SETs, each SET with an UNDEFINED before-image (almost every node is new).
     *
     * @param journal         where to append.
     * @param transactionSets SETs per transaction; 0 for none.
     */
    static void fill(final Journal journal, final int transactionSets)
    {
        final GlobalName[] globals = new GlobalName[GLOBALS];
        for (int i = 0; i < GLOBALS; i++)
        {
            globals[i] = GlobalName.of(DejournalBenchmark.DATABASE, String.format("G%03d", i));
        }
        final SplittableRandom random = new SplittableRandom(SEED);
        final JournalAppender appender = journal.newAppender();
        final SubscriptKey key = new SubscriptKey();
        final byte[][] values = new byte[101][];
        for (int length = 32; length <= 100; length++)
        {
            values[length] = new byte[length];
            random.nextBytes(values[length]);
        }
        final BeforeImage undefined = new BeforeImage().undefined();
        long transactionId = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            if (transactionSets > 0 && i % transactionSets == 0)
            {
                if (transactionId > 0)
                {
                    appender.tcommit(transactionId);
                }
                appender.tstart(++transactionId);
            }
            key.clear().add(random.nextInt(SUBSCRIPT_RANGE)).add(random.nextInt(SUBSCRIPT_RANGE));
            if (transactionId > 0)
            {
                appender.set(transactionId, globals[random.nextInt(GLOBALS)], key, values[32 + random.nextInt(69)],
                    undefined);
            }
            else
            {
                appender.set(0, globals[random.nextInt(GLOBALS)], key, values[32 + random.nextInt(69)]);
            }
        }
        if (transactionId > 0)
        {
            appender.tcommit(transactionId);
        }
    }
}
