package io.jmirror.dejournal;

import static io.jmirror.dejournal.GlobalStoreTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.jmirror.journal.SubscriptKey;
import org.junit.jupiter.api.Test;

/**
 * Checks the in-memory global store against a plainly written reference model on random operation sequences
 * (contents, get, order and digest), through splits and merges of big trees, and with readers racing a writer.
 */
final class GlobalStoreRandomTest
{

    // ---------------------------------------------------------------------------------------------- model checks

    @Test
    void shouldMatchReferenceModelOnRandomOperations()
    {
        final long seed = seed();
        System.out.println("GlobalStoreTest.shouldMatchReferenceModelOnRandomOperations seed=" + seed);
        final Random random = new Random(seed);
        final GlobalStore store = new GlobalStore();
        final Model model = new Model();
        final String[] globals = {"A", "B", "C", "D", "E", "F"};
        final String[] databases = {"USER", "CLINICAL"};
        for (int op = 1; op <= 100_000; op++)
        {
            final String db = databases[random.nextInt(databases.length)];
            final String global = globals[random.nextInt(globals.length)];
            final SubscriptKey key = randomKey(random, 400);
            final int dice = random.nextInt(100);
            if (dice < 62)
            {
                final byte[] value = randomValue(random);
                store.set(db, global, key, value);
                model.set(db, global, key.toByteArray(), value);
            }
            else if (dice < 70)
            {
                // Mostly shallow subtrees; the whole global only now and then, or it would rarely grow.
                final SubscriptKey shallow = key.count() > 1 ? key.truncate(1 + random.nextInt(key.count() - 1)) :
                    key.count() == 1 || random.nextInt(30) == 0 ? key : key.add(random.nextInt(400));
                store.kill(db, global, shallow);
                model.kill(db, global, shallow.toByteArray());
            }
            else
            {
                store.zkill(db, global, key);
                model.zkill(db, global, key.toByteArray());
            }
            if (op % 500 == 0)
            {
                model.assertMatches(store, random, 4, "seed=" + seed + " op=" + op);
            }
        }
        model.assertMatches(store, random, 30, "seed=" + seed + " end");
    }

    @Test
    void shouldStayConsistentThroughSplitsAndMergesOfBigTrees()
    {
        final long seed = seed();
        System.out.println("GlobalStoreTest.shouldStayConsistentThroughSplitsAndMergesOfBigTrees seed=" + seed);
        final Random random = new Random(seed);
        final GlobalStore store = new GlobalStore();
        final Model model = new Model();
        for (int i = 0; i < 120_000; i++)
        {
            final SubscriptKey key = SubscriptKey.of(random.nextInt(4000), random.nextInt(30));
            final byte[] value = new byte[random.nextInt(40)];
            random.nextBytes(value);
            store.set(DB, "Big", key, value);
            model.set(DB, "Big", key.toByteArray(), value);
        }
        assertTrue(store.find(DB, "Big").height() >= 3, "an inner page split: height=" +
            store.find(DB, "Big").height());
        model.assertMatches(store, random, 10, "seed=" + seed + " loaded");

        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < 100; i++)
            {
                final SubscriptKey key = SubscriptKey.of(random.nextInt(4000));
                store.kill(DB, "Big", key);
                model.kill(DB, "Big", key.toByteArray());
                final SubscriptKey leaf = SubscriptKey.of(random.nextInt(4000), random.nextInt(30));
                store.zkill(DB, "Big", leaf);
                model.zkill(DB, "Big", leaf.toByteArray());
            }
            model.assertMatches(store, random, 4, "seed=" + seed + " round=" + round);
        }
        for (int i = 3999; i >= 0; i--)
        {
            store.kill(DB, "Big", SubscriptKey.of(i));
            model.kill(DB, "Big", SubscriptKey.of(i).toByteArray());
        }
        model.assertMatches(store, random, 4, "seed=" + seed + " emptied");
        assertEquals(1, store.find(DB, "Big").height(), "an emptied tree collapses to one leaf");
    }

    // ---------------------------------------------------------------------------------------------- concurrency

    @Test
    void shouldLetReadersScanWhileOneWriterAppliesAMillionOperations() throws InterruptedException
    {
        final long seed = seed();
        System.out.println("GlobalStoreTest.shouldLetReadersScanWhileOneWriterAppliesAMillionOperations seed=" + seed);
        final GlobalStore store = new GlobalStore();
        final AtomicBoolean done = new AtomicBoolean();
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        final AtomicLong scans = new AtomicLong();
        final AtomicLong nodesRead = new AtomicLong();
        final TreeMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);

        final Thread writer = new Thread(() ->
        {
            try
            {
                final Random random = new Random(seed);
                for (int op = 0; op < 1_000_000; op++)
                {
                    final SubscriptKey key = random.nextInt(4) == 0 ?
                        SubscriptKey.of(random.nextInt(3000)) :
                        SubscriptKey.of(random.nextInt(3000), random.nextInt(6));
                    final int dice = random.nextInt(100);
                    if (dice < 75)
                    {
                        final byte[] value = checkedValue(random, key);
                        store.set(DB, "Hot", key, value);
                        model.put(key.toByteArray(), value);
                    }
                    else if (dice < 90)
                    {
                        store.zkill(DB, "Hot", key);
                        model.remove(key.toByteArray());
                    }
                    else
                    {
                        final SubscriptKey top = key.truncate(1);
                        store.kill(DB, "Hot", top);
                        final byte[] prefix = top.toByteArray();
                        killSubtree(model, prefix);
                    }
                }
            }
            catch (final Throwable ex)
            {
                failures.add(ex);
            }
            finally
            {
                done.set(true);
            }
        }, "writer");

        final List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++)
        {
            final long readerSeed = seed + r + 1;
            readers.add(new Thread(() ->
            {
                try
                {
                    final Random random = new Random(readerSeed);
                    while (!done.get())
                    {
                        readOnce(store, random, nodesRead);
                        scans.incrementAndGet();
                        // Two readers and a writer on two cores: leave the writer room so the test stays short.
                        LockSupport.parkNanos(200_000);
                    }
                }
                catch (final Throwable ex)
                {
                    failures.add(ex);
                }
            }, "reader-" + r));
        }
        readers.forEach(Thread::start);
        writer.start();
        writer.join();
        for (final Thread reader : readers)
        {
            reader.join();
        }
        System.out.println("GlobalStoreTest concurrent: reads=" + scans.get() + " nodesRead=" + nodesRead.get() +
            " lockedReads=" + store.find(DB, "Hot").lockedReads());

        if (!failures.isEmpty())
        {
            final AssertionError error = new AssertionError("seed=" + seed + ": " + failures.size() + " failures");
            failures.forEach(error::addSuppressed);
            throw error;
        }
        assertTrue(scans.get() > 10, "the readers ran while the writer wrote: " + scans.get());
        final Model expected = new Model();
        model.forEach((k, v) -> expected.set(DB, "Hot", k, v));
        expected.assertMatches(store, new Random(seed), 30, "seed=" + seed + " after the race");
    }
}
