package io.jmirror.dejournal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two workers apply transactions that each set the same node of four globals (two per worker) to the
 * transaction's version, between writes outside transactions, while reader threads open views: with isolated
 * readers every view shows the four globals at one version; without, the readers catch a transaction in part.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IsolatedReadersTest
{
    private static final String DB = "USER";
    private static final int GLOBALS = 4;
    private static final int READERS = 2;
    private static final SubscriptKey NODE = SubscriptKey.of(1);

    @TempDir
    Path dir;
    private Journal journal;
    private RocksDbTarget target;
    private Dejournaler dejournaler;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    @AfterEach
    void close() throws InterruptedException
    {
        stop.set(true);
        for (final Thread thread : threads)
        {
            thread.join(5_000);
        }
        if (null != dejournaler)
        {
            dejournaler.close();
        }
        if (null != target)
        {
            target.close();
        }
        if (null != journal)
        {
            journal.close();
        }
    }

    /**
     * What the readers saw.
     */
    private static final class Seen
    {
        final AtomicLong views = new AtomicLong();
        final AtomicLong mixed = new AtomicLong();
        final AtomicLong partial = new AtomicLong();
        final AtomicReference<String> firstMix = new AtomicReference<>();
        final AtomicLong highest = new AtomicLong();
    }

    @Test
    void aReaderNeverSeesPartOfATransaction() throws InterruptedException
    {
        final int transactions = 4000;
        final List<GlobalName> globals = start(true);
        final Seen seen = startReaders(globals);
        final long tail = writeTransactions(globals, transactions, null);
        assertTrue(dejournaler.awaitApplied(tail, TimeUnit.SECONDS.toNanos(10)), "all applied within 10 s");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (target.overlay().size() > 0 && System.nanoTime() < deadline)
        {
            Thread.sleep(1);
        }
        stopThreads();
        assertEquals(0, seen.mixed.get(), () -> "views with the globals at different versions: " + seen.mixed +
            " first=" + seen.firstMix);
        assertTrue(seen.partial.get() > 0, () -> "the readers never caught a transaction being applied, so the " +
            "test proved nothing: views=" + seen.views);
        assertEquals(0, target.overlay().size(), "every transaction ended, so nothing is hidden");
        try (RocksDbReadView view = target.readView())
        {
            for (final GlobalName global : globals)
            {
                assertEquals(transactions, version(view, global), global.toString());
            }
        }
    }

    /**
     * The negative control: the same check with isolated readers off finds a view with the globals at different
     * versions.
     */
    @Test
    void withoutIsolationAReaderSeesPartOfATransaction() throws InterruptedException
    {
        final List<GlobalName> globals = start(false);
        final Seen seen = startReaders(globals);
        writeTransactions(globals, Integer.MAX_VALUE, seen);
        stopThreads();
        assertTrue(seen.mixed.get() > 0, () -> "no view showed part of a transaction in 10 s: views=" + seen.views);
    }

    /**
     * @return four globals, two applied by each worker.
     */
    private List<GlobalName> start(final boolean isolated)
    {
        final List<GlobalName> globals = new ArrayList<>();
        final int[] perWorker = new int[2];
        for (int i = 0; globals.size() < GLOBALS; i++)
        {
            final String name = "G" + i;
            final int worker = WorkerRouter.workerFor(DB, name, 2);
            if (perWorker[worker] < GLOBALS / 2)
            {
                perWorker[worker]++;
                globals.add(GlobalName.of(DB, name));
            }
        }
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal")).fileLength(64 * 1024 * 1024)
            .syncPolicy(SyncPolicy.NONE));
        target = RocksDbTarget.open(dir.resolve("store"));
        dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(target).workers(2)
            .ringSize(1024).dispatchBatch(64).checkpointIntervalMs(100).isolatedReaders(isolated));
        assertEquals(isolated, target.isIsolatingReaders());
        return globals;
    }

    /**
     * Journals transactions 1, 2, ... that set each global's node to the version, each after a write outside
     * transactions, until {@code count} or, when {@code until} is given, until the readers saw a mix (10 s at most).
     *
     * @return the journal's tail after the last.
     */
    private long writeTransactions(final List<GlobalName> globals, final int count, final Seen until)
    {
        final JournalAppender appender = journal.newAppender();
        final BeforeImage before = new BeforeImage();
        final GlobalName outside = GlobalName.of(DB, "Outside");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (long version = 1; version <= count; version++)
        {
            if (null != until && (until.mixed.get() > 0 || System.nanoTime() > deadline))
            {
                break;
            }
            appender.set(0, outside, SubscriptKey.of(version % 64), bytes(version));
            appender.tstart(version);
            for (final GlobalName global : globals)
            {
                if (version == 1)
                {
                    before.undefined();
                }
                else
                {
                    before.value(bytes(version - 1));
                }
                appender.set(version, global, NODE, bytes(version), before);
            }
            appender.tcommit(version);
            if ((version & 63) == 0)
            {
                // Let the workers keep up, so the readers see transactions being applied, not only a backlog.
                dejournaler.awaitApplied(journal.tailLsn(), TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
        return journal.tailLsn();
    }

    private Seen startReaders(final List<GlobalName> globals)
    {
        final Seen seen = new Seen();
        for (int r = 0; r < READERS; r++)
        {
            final Thread reader = new Thread(() ->
            {
                while (!stop.get())
                {
                    try (RocksDbReadView view = target.readView())
                    {
                        final long first = version(view, globals.get(0));
                        boolean same = true;
                        final StringBuilder versions = new StringBuilder().append(first);
                        for (int i = 1; i < globals.size(); i++)
                        {
                            final long v = version(view, globals.get(i));
                            versions.append(',').append(v);
                            same &= v == first;
                        }
                        seen.views.incrementAndGet();
                        seen.highest.accumulateAndGet(first, Math::max);
                        if (!same)
                        {
                            seen.mixed.incrementAndGet();
                            seen.firstMix.compareAndSet(null, versions.toString());
                        }
                        if (view.hiddenNodes() > 0)
                        {
                            seen.partial.incrementAndGet();
                        }
                    }
                }
            }, "isolated-readers-test-reader-" + r);
            threads.add(reader);
            reader.start();
        }
        return seen;
    }

    private void stopThreads() throws InterruptedException
    {
        stop.set(true);
        for (final Thread thread : threads)
        {
            thread.join(5_000);
            assertTrue(!thread.isAlive(), thread.getName() + " stopped");
        }
        threads.clear();
    }

    private static long version(final RocksDbReadView view, final GlobalName global)
    {
        final byte[] value = view.get(DB, global.global(), NODE);
        return null == value ? 0 : ByteBuffer.wrap(value).getLong();
    }

    private static byte[] bytes(final long version)
    {
        return ByteBuffer.allocate(Long.BYTES).putLong(version).array();
    }
}
