package io.jmirror.harness;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.shipper.Primary;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's application in demo and soak. It keeps its own {@link GlobalStore} and journals every change under
 * the lock of the change's global, the lock it changes its own store under, so the journal's order of each node is
 * the store's order. Each SET's value carries a version from one counter taken under that lock.
 * <p>
 * Changes: SET (most), KILL of a first-level subtree, ZKILL of one node, and transactions of 2 to 5 SETs on one
 * global that commit (and wait for {@link Primary#awaitCommitted}) or roll back by journaling the undo first.
 * A transaction stays on one global so writers never wait for two locks.
 */
final class Workload implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Workload.class);
    private static final long PACE_SLICE_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Journal journal;
    private final Primary primary;
    private final GlobalStore store;
    private final WorkloadOptions options;
    private final AtomicCounter recordsCounter;
    private final AtomicCounter commitTimeoutsCounter;
    private final GlobalName[] names;
    private final ReentrantLock[] locks;
    private final ZipfSampler globalSampler;
    private final AtomicLong versions = new AtomicLong();
    private final List<Writer> writers = new ArrayList<>();
    private final long commitTimeoutNs;
    private final Recorder commitLatency = new Recorder(3);
    private final Histogram commitTotal = new Histogram(3);
    private volatile boolean paused = true;
    private volatile boolean isClosed;
    private volatile Throwable failure;

    Workload(
        final Journal journal,
        final Primary primary,
        final GlobalStore store,
        final WorkloadOptions options,
        final AtomicCounter recordsCounter,
        final AtomicCounter commitTimeoutsCounter,
        final long commitTimeoutMs)
    {
        options.validate();
        this.journal = journal;
        this.primary = primary;
        this.store = store;
        this.options = options;
        this.recordsCounter = recordsCounter;
        this.commitTimeoutsCounter = commitTimeoutsCounter;
        this.commitTimeoutNs = TimeUnit.MILLISECONDS.toNanos(commitTimeoutMs);
        this.names = new GlobalName[options.globals];
        this.locks = new ReentrantLock[options.globals];
        for (int g = 0; g < options.globals; g++)
        {
            names[g] = GlobalName.of("DB" + (g % options.databases), "G" + g);
            locks[g] = new ReentrantLock();
        }
        this.globalSampler = new ZipfSampler(options.globals, options.zipf);
        for (int i = 0; i < options.writers; i++)
        {
            final Writer writer = new Writer(i);
            writers.add(writer);
            final Thread thread = new Thread(writer, "jmirror-workload-" + i);
            thread.setDaemon(true);
            writer.thread = thread;
        }
        for (final Writer writer : writers)
        {
            writer.thread.start();
        }
    }

    /**
     * Let the writers run (they start paused).
     */
    void resume()
    {
        for (final Writer writer : writers)
        {
            writer.resetPace();
        }
        paused = false;
        for (final Writer writer : writers)
        {
            LockSupport.unpark(writer.thread);
        }
    }

    /**
     * Quiesce: every writer finishes its change and stops.
     *
     * @return the journal's end once every record is complete.
     */
    long pause()
    {
        paused = true;
        for (final Writer writer : writers)
        {
            while (!writer.isIdle && writer.thread.isAlive())
            {
                LockSupport.parkNanos(100_000);
            }
        }
        while (journal.completeLsn() < journal.tailLsn())
        {
            Thread.onSpinWait();
        }
        return journal.completeLsn();
    }

    /**
     * @return commit waits ({@code awaitCommitted} after each TCOMMIT) since start, in microseconds.
     */
    synchronized Histogram commitLatencyMicros()
    {
        commitTotal.add(commitLatency.getIntervalHistogram());
        return commitTotal;
    }

    long records()
    {
        return recordsCounter.get();
    }

    Throwable failure()
    {
        return failure;
    }

    @Override
    public void close()
    {
        isClosed = true;
        paused = true;
        for (final Writer writer : writers)
        {
            LockSupport.unpark(writer.thread);
            try
            {
                writer.thread.join(5_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * One application thread: paced to its share of the target rate, one global lock at a time.
     */
    private final class Writer implements Runnable
    {
        private final int index;
        private final Random random;
        private final SubscriptKey key = new SubscriptKey();
        private final byte[] value = new byte[Math.max(options.valueSize, options.valueSizeMax)];
        private final UnsafeBuffer valueBuffer = new UnsafeBuffer(value);
        private final List<byte[]> undoValues = new ArrayList<>();
        private final List<SubscriptKey> undoKeys = new ArrayList<>();
        private final long periodNs;
        private JournalAppender appender;
        private Thread thread;
        private long transactions;
        private long paceStartNs;
        private long paced;
        private volatile boolean isIdle = true;

        Writer(final int index)
        {
            this.index = index;
            this.random = new Random(options.seed * 1_000_003L + index);
            this.periodNs = options.rate == 0 ? 0 : Math.max(1, TimeUnit.SECONDS.toNanos(1) * options.writers /
                options.rate);
            random.nextBytes(value);
        }

        void resetPace()
        {
            paceStartNs = System.nanoTime();
            paced = 0;
        }

        @Override
        public void run()
        {
            try
            {
                appender = journal.newAppender();
                while (!isClosed)
                {
                    if (paused)
                    {
                        isIdle = true;
                        LockSupport.parkNanos(1_000_000);
                        continue;
                    }
                    isIdle = false;
                    if (paused)
                    {
                        continue;
                    }
                    pace();
                    final int records = change();
                    paced += records;
                    recordsCounter.getAndAddRelease(records);
                }
            }
            catch (final Throwable ex)
            {
                if (!isClosed)
                {
                    failure = ex;
                    LOG.error("workload writer {} failed", index, ex);
                }
            }
            finally
            {
                isIdle = true;
            }
        }

        private void pace()
        {
            if (periodNs == 0)
            {
                return;
            }
            final long dueNs = paceStartNs + paced * periodNs;
            final long aheadNs = dueNs - System.nanoTime();
            if (aheadNs > PACE_SLICE_NS)
            {
                LockSupport.parkNanos(aheadNs);
            }
        }

        /**
         * @return records journaled.
         */
        private int change()
        {
            final int g = globalSampler.next(random);
            final GlobalName name = names[g];
            final ReentrantLock lock = locks[g];
            final int roll = random.nextInt(100);
            lock.lock();
            try
            {
                if (roll < options.txnPercent)
                {
                    return transaction(name);
                }
                if (roll < options.txnPercent + 4)
                {
                    randomKey(1);
                    store.kill(name.database(), name.global(), key);
                    appender.kill(0, name, key);
                    return 1;
                }
                if (roll < options.txnPercent + 8)
                {
                    randomKey(options.depth);
                    store.zkill(name.database(), name.global(), key);
                    appender.zkill(0, name, key);
                    return 1;
                }
                randomKey(options.depth);
                set(0, name, key);
                return 1;
            }
            finally
            {
                lock.unlock();
            }
        }

        private int transaction(final GlobalName name)
        {
            final long txn = ((long)(index + 1) << 48) | ++transactions;
            final int sets = 2 + random.nextInt(4);
            final boolean rollback = random.nextInt(100) < options.rollbackPercent;
            int records = 1;
            appender.tstart(txn);
            undoKeys.clear();
            undoValues.clear();
            for (int i = 0; i < sets; i++)
            {
                randomKey(options.depth);
                if (rollback)
                {
                    undoKeys.add(SubscriptKey.of().set(key.buffer(), 0, key.length()));
                    undoValues.add(store.get(name.database(), name.global(), key));
                }
                set(txn, name, key);
                records++;
            }
            if (rollback)
            {
                // Undo newest first, as a rollback does; the old value goes back under a new version.
                for (int i = undoKeys.size() - 1; i >= 0; i--)
                {
                    final SubscriptKey undoKey = undoKeys.get(i);
                    final byte[] old = undoValues.get(i);
                    if (null == old)
                    {
                        store.zkill(name.database(), name.global(), undoKey);
                        appender.zkill(txn, name, undoKey);
                    }
                    else
                    {
                        VersionedValue.write(old, versions.incrementAndGet());
                        store.set(name.database(), name.global(), undoKey, old);
                        appender.set(txn, name, undoKey, old);
                    }
                    records++;
                }
                appender.trollback(txn);
                return records + 1;
            }
            final long lsn = appender.tcommit(txn);
            if (null != primary)
            {
                final long startNs = System.nanoTime();
                if (!primary.awaitCommitted(lsn, commitTimeoutNs))
                {
                    commitTimeoutsCounter.incrementRelease();
                }
                commitLatency.recordValue(Math.max(1, (System.nanoTime() - startNs) / 1000));
            }
            return records + 1;
        }

        private void set(final long txn, final GlobalName name, final SubscriptKey key)
        {
            final int length = options.valueSizeMax <= options.valueSize ? options.valueSize :
                options.valueSize + random.nextInt(options.valueSizeMax - options.valueSize + 1);
            VersionedValue.write(value, versions.incrementAndGet());
            store.set(name.database(), name.global(), key.buffer(), 0, key.length(), valueBuffer, 0, length);
            appender.set(txn, name, key, valueBuffer, 0, length);
        }

        private void randomKey(final int maxDepth)
        {
            key.clear().add(random.nextInt(options.keys));
            final int depth = 1 + random.nextInt(maxDepth);
            for (int level = 1; level < depth; level++)
            {
                if ((level & 1) == 1)
                {
                    key.add("s" + random.nextInt(4));
                }
                else
                {
                    key.add(random.nextInt(4));
                }
            }
        }
    }
}
