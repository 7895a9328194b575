package io.jmirror.dejournal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SubscriptCodec;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the in-memory global store: IRIS SET/KILL/ZKILL and $ORDER semantics on hand-picked trees, the same against a
 * plainly written reference model on random operation sequences (contents, get, order and digest), digests that
 * ignore operation order but not content, multi-MiB values and keys bigger than a page, readers racing a writer,
 * the data check's first difference, and records applied from a real journal.
 */
final class GlobalStoreTest
{
    private static final String DB = "USER";

    // ---------------------------------------------------------------------------------------------- SET, KILL, ZKILL

    @Test
    void shouldSetGetAndOverwriteIncludingRootAndEmptyValues()
    {
        final GlobalStore store = new GlobalStore();
        set(store, "G", "root");
        set(store, "G", "one", 1);
        set(store, "G", "", 2);
        assertEquals("root", get(store, "G"));
        assertEquals("one", get(store, "G", 1));
        assertArrayEquals(new byte[0], store.get(DB, "G", SubscriptKey.of(2)), "an empty value is a value");
        assertNull(store.get(DB, "G", SubscriptKey.of(3)));
        assertNull(store.get(DB, "Other", SubscriptKey.of(1)));

        set(store, "G", "a much longer value than before", 1);
        set(store, "G", "x", 1);
        set(store, "^G", "caret names the same global", 2);
        assertEquals("x", get(store, "G", 1));
        assertEquals("caret names the same global", get(store, "G", 2));
        assertEquals(3, store.size(DB, "G"));
        assertEquals(List.of(GlobalName.of(DB, "G")), store.globals());
    }

    @Test
    void shouldKillNodeAndDescendantsOnly()
    {
        final GlobalStore store = new GlobalStore();
        final Object[][] nodes =
        {
            {}, {1}, {1, "a"}, {1, "a", 2}, {1, "b"}, {1.5}, {10}, {2}, {"a"}, {"a", 1}, {"ab"}, {"a\u0000"}, {-1},
        };
        for (final Object[] node : nodes)
        {
            set(store, "G", Arrays.toString(node), node);
        }

        store.kill(DB, "G", SubscriptKey.of(1));
        assertNodes(store, "G", "[]", "[-1]", "[1.5]", "[2]", "[10]", "[a]", "[a, 1]", "[a\u0000]", "[ab]");

        store.kill(DB, "G", SubscriptKey.of("a"));
        assertNodes(store, "G", "[]", "[-1]", "[1.5]", "[2]", "[10]", "[a\u0000]", "[ab]");

        store.kill(DB, "G", SubscriptKey.of(7));
        assertEquals(7, store.size(DB, "G"), "killing an absent node changes nothing");

        store.kill(DB, "G", new SubscriptKey());
        assertNodes(store, "G");
        assertEquals(List.of(), store.globals(), "a killed global no longer exists");
        assertEquals(GlobalDigest.EMPTY, store.digest(DB, "G"));
    }

    @Test
    void shouldKillNodeWithoutValueButWithDescendants()
    {
        final GlobalStore store = new GlobalStore();
        set(store, "G", "a", 1, 2);
        set(store, "G", "b", 1, 3, "deep");
        set(store, "G", "c", 2);
        store.kill(DB, "G", SubscriptKey.of(1));
        assertNodes(store, "G", "[2]");
        store.kill(DB, "G", SubscriptKey.of(2));
        assertEquals(GlobalDigest.EMPTY, store.digest(DB, "G"));
        assertEquals(0, store.size());
    }

    @Test
    void shouldZkillNodeButKeepDescendants()
    {
        final GlobalStore store = new GlobalStore();
        set(store, "G", "root");
        set(store, "G", "1", 1);
        set(store, "G", "1,2", 1, 2);
        set(store, "G", "1,2,3", 1, 2, 3);

        store.zkill(DB, "G", SubscriptKey.of(1));
        assertNodes(store, "G", "[]", "[1, 2]", "[1, 2, 3]");
        assertEquals(1L, store.order(DB, "G", SubscriptKey.of(""), 1).decode().get(0),
            "^G(1) still has descendants, so $ORDER still returns it");

        store.zkill(DB, "G", new SubscriptKey());
        assertNodes(store, "G", "[1, 2]", "[1, 2, 3]");
        store.zkill(DB, "G", SubscriptKey.of(1, 2, 3, 4));
        assertNodes(store, "G", "[1, 2]", "[1, 2, 3]");
    }

    // ---------------------------------------------------------------------------------------------- $ORDER

    @Test
    void shouldOrderSiblingsForwardsAndBackwardsAtSeveralDepths()
    {
        final GlobalStore store = new GlobalStore();
        final Object[][] nodes =
        {
            {}, {-5}, {0}, {1}, {1, "x"}, {2.5}, {3, 1}, {10}, {"a"}, {"a", 1}, {"ab"}, {"b", "z", 3, 4}, {"b", "z", 5},
        };
        for (final Object[] node : nodes)
        {
            set(store, "G", "v", node);
        }

        final List<Object> forwards = new ArrayList<>();
        for (SubscriptKey key = store.order(DB, "G", SubscriptKey.of(""), 1); key != null;
            key = store.order(DB, "G", key, 1))
        {
            forwards.add(key.decode().get(0));
            assertTrue(forwards.size() < 20, "$ORDER loops: " + forwards);
        }
        assertEquals(List.of(-5L, 0L, 1L, new BigDecimal("2.5"), 3L, 10L, "a", "ab", "b"), forwards,
            "numbers before strings, ^G(3) found through its descendant, descendants skipped");

        final List<Object> backwards = new ArrayList<>();
        for (SubscriptKey key = store.order(DB, "G", SubscriptKey.of(""), -1); key != null;
            key = store.order(DB, "G", key, -1))
        {
            backwards.add(key.decode().get(0));
            assertTrue(backwards.size() < 20, "$ORDER loops: " + backwards);
        }
        final List<Object> reversed = new ArrayList<>(forwards);
        Collections.reverse(reversed);
        assertEquals(reversed, backwards);

        assertOrder(store, "(10)", 1, 5);
        assertOrder(store, "(3)", -1, 5);
        assertOrder(store, "(\"a\")", 1, 10);
        assertOrder(store, "(\"ab\")", 1, "a");
        assertOrder(store, "(1,\"x\")", 1, 1, "");
        assertOrder(store, "(1,\"x\")", -1, 1, "");
        assertOrder(store, null, 1, 1, "x");
        assertOrder(store, null, -1, 1, "x");
        assertOrder(store, "(\"b\",\"z\")", 1, "b", "");
        assertOrder(store, "(\"b\",\"z\",3)", 1, "b", "z", "");
        assertOrder(store, "(\"b\",\"z\",5)", -1, "b", "z", "");
        assertOrder(store, "(\"b\",\"z\",5)", 1, "b", "z", 3);
        assertOrder(store, null, 1, "b", "z", 5);
        assertOrder(store, null, 1, "a", 1);
        assertOrder(store, "(\"a\",1)", -1, "a", 2);
        assertOrder(store, null, 1, 7, "");

        assertNull(store.order(DB, "Empty", SubscriptKey.of(""), 1));
        assertThrows(IllegalArgumentException.class, () -> store.order(DB, "G", new SubscriptKey(), 1));
        assertThrows(IllegalArgumentException.class, () -> store.order(DB, "G", SubscriptKey.of(1), 0));
        assertThrows(IllegalArgumentException.class, () -> store.order(DB, "Empty", new SubscriptKey(), 1));
    }

    // ---------------------------------------------------------------------------------------------- query

    @Test
    void shouldQuerySubtreesInCollationOrder()
    {
        final GlobalStore store = new GlobalStore();
        final Random random = new Random(42);
        final List<Object[]> nodes = new ArrayList<>();
        for (int i = 0; i < 3000; i++)
        {
            nodes.add(new Object[] {random.nextInt(50), random.nextBoolean() ? "s" + random.nextInt(40) : -i});
        }
        nodes.add(new Object[] {7});
        for (final Object[] node : nodes)
        {
            set(store, "Q", SubscriptKey.of(node).toString(), node);
        }

        final List<byte[]> all = keys(store, "Q", new SubscriptKey());
        assertEquals(store.size(DB, "Q"), all.size());
        assertStrictlyIncreasing(all);

        final List<byte[]> under7 = keys(store, "Q", SubscriptKey.of(7));
        assertEquals("(7)", format(under7.get(0)), "the prefix node itself comes first");
        for (final byte[] key : under7)
        {
            assertEquals(7L, SubscriptCodec.decode(new UnsafeBuffer(key), 0, key.length).get(0));
        }
        final long expected = all.stream()
            .filter((k) -> SubscriptCodec.decode(new UnsafeBuffer(k), 0, k.length).get(0).equals(7L)).count();
        assertEquals(expected, under7.size());

        final AtomicLong visited = new AtomicLong();
        store.query(DB, "Q", new SubscriptKey(), (k, ko, kl, v, vo, vl) -> visited.incrementAndGet() < 5);
        assertEquals(5, visited.get(), "returning false stops the walk");
    }

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

    // ---------------------------------------------------------------------------------------------- digests

    @Test
    void shouldComputeDigestIndependentOfOperationOrder()
    {
        final long seed = seed();
        System.out.println("GlobalStoreTest.shouldComputeDigestIndependentOfOperationOrder seed=" + seed);
        final Random random = new Random(seed);
        final Map<SubscriptKey, byte[]> finalState = new HashMap<>();
        for (int i = 0; i < 2000; i++)
        {
            finalState.put(randomKey(random, 300), randomValue(random));
        }
        final List<SubscriptKey> keys = new ArrayList<>(finalState.keySet());
        final GlobalStore store = new GlobalStore();

        Collections.shuffle(keys, random);
        for (final SubscriptKey key : keys)
        {
            store.set(DB, "One", key, finalState.get(key));
        }

        // Another order, with detours: junk subtrees killed again, values overwritten and then restored.
        for (int i = 0; i < 500; i++)
        {
            store.set(DB, "Two", SubscriptKey.of("junk", i, random.nextInt(5)), randomValue(random));
        }
        Collections.shuffle(keys, random);
        for (final SubscriptKey key : keys)
        {
            store.set(DB, "Two", key, randomValue(random));
        }
        store.kill(DB, "Two", SubscriptKey.of("junk"));
        Collections.shuffle(keys, random);
        for (final SubscriptKey key : keys)
        {
            store.set(DB, "Two", key, finalState.get(key));
        }

        assertEquals(store.digest(DB, "One"), store.digest(DB, "Two"));
        assertEquals(finalState.size(), store.digest(DB, "One").count());
        assertEquals(List.of(), compareGlobals(store, "One", "Two"));

        final SubscriptKey victim = keys.get(random.nextInt(keys.size()));
        final byte[] changed = finalState.get(victim).clone();
        if (changed.length == 0)
        {
            store.set(DB, "Two", victim, new byte[] {0});
        }
        else
        {
            changed[random.nextInt(changed.length)] ^= 1 << random.nextInt(8);
            store.set(DB, "Two", victim, changed);
        }
        final GlobalDigest one = store.digest(DB, "One");
        final GlobalDigest two = store.digest(DB, "Two");
        assertEquals(one.count(), two.count());
        assertNotEquals(one.sum(), two.sum());
        assertNotEquals(one.xor(), two.xor());
        assertNotEquals(one.asLong(), two.asLong());

        store.set(DB, "Two", victim, finalState.get(victim));
        assertEquals(one, store.digest(DB, "Two"), "restoring the value restores the digest");
    }

    @Test
    void shouldHashWithReferenceXxh64()
    {
        assertEquals(0xEF46DB3751D8E999L, xxh64("", 0));
        assertEquals(0xD5AFBA1336A3BE4BL, xxh64("", 1));
        assertEquals(0xD24EC4F1A98C6E5BL, xxh64("a", 0));
        assertEquals(0x44BC2CF5AD770999L, xxh64("abc", 0));
        assertEquals(0x6D04390FC9D61A90L, xxh64("Call me Ishmael.", 0));
        assertEquals(0xFBCEA83C8A378BF1L, xxh64("Nobody inspects the spammish repetition", 0));

        final byte[] bytes = new byte[200];
        new Random(3).nextBytes(bytes);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (int offset = 0; offset < 9; offset++)
        {
            for (int length = 0; length + offset <= bytes.length; length += 1 + length / 8)
            {
                final long expected = GlobalDigest.xxh64(buffer, offset, length, 5);
                assertEquals(expected, GlobalDigest.xxh64(bytes, offset, length, 5),
                    "array and buffer forms agree: offset=" + offset + " length=" + length);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- sizes

    @Test
    void shouldStoreMultiMegabyteValuesAndKeysBiggerThanAPage()
    {
        final GlobalStore store = new GlobalStore();
        final Model model = new Model();
        final Random random = new Random(7);
        final int[] sizes = {16 * 1024 * 1024 - 1024, 3 * 1024 * 1024, GlobalTreeLeaf.MAX_INLINE_VALUE,
            GlobalTreeLeaf.MAX_INLINE_VALUE + 1, 5 * 1024 * 1024, 0};
        for (int i = 0; i < sizes.length; i++)
        {
            final byte[] value = new byte[sizes[i]];
            random.nextBytes(value);
            store.set(DB, "Big", SubscriptKey.of(i), value);
            model.set(DB, "Big", SubscriptKey.of(i).toByteArray(), value);
        }
        for (int i = 0; i < 200; i++)
        {
            final SubscriptKey key = SubscriptKey.of(random.nextInt(sizes.length), i);
            final byte[] value = randomValue(random);
            store.set(DB, "Big", key, value);
            model.set(DB, "Big", key.toByteArray(), value);
        }
        for (int i = 0; i < 6; i++)
        {
            final SubscriptKey hugeKey = SubscriptKey.of(2, "k".repeat(3000 * (i + 1)) + i);
            final byte[] value = randomValue(random);
            store.set(DB, "Big", hugeKey, value);
            model.set(DB, "Big", hugeKey.toByteArray(), value);
        }
        model.assertMatches(store, random, 30, "loaded");

        final byte[] replacement = new byte[4 * 1024 * 1024];
        random.nextBytes(replacement);
        store.set(DB, "Big", SubscriptKey.of(0), replacement);
        model.set(DB, "Big", SubscriptKey.of(0).toByteArray(), replacement);
        store.set(DB, "Big", SubscriptKey.of(4), "small now".getBytes(StandardCharsets.UTF_8));
        model.set(DB, "Big", SubscriptKey.of(4).toByteArray(), "small now".getBytes(StandardCharsets.UTF_8));
        store.set(DB, "Big", SubscriptKey.of(5), replacement);
        model.set(DB, "Big", SubscriptKey.of(5).toByteArray(), replacement);
        assertArrayEquals(replacement, store.get(DB, "Big", SubscriptKey.of(0)));
        model.assertMatches(store, random, 30, "overwritten");

        store.kill(DB, "Big", SubscriptKey.of(2));
        model.kill(DB, "Big", SubscriptKey.of(2).toByteArray());
        store.zkill(DB, "Big", SubscriptKey.of(0));
        model.zkill(DB, "Big", SubscriptKey.of(0).toByteArray());
        model.assertMatches(store, random, 30, "killed");
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

    // ---------------------------------------------------------------------------------------------- data check

    @Test
    void shouldReportFirstDifferingNodePerGlobal()
    {
        final GlobalStore a = new GlobalStore();
        final GlobalStore b = new GlobalStore();
        for (final GlobalStore store : List.of(a, b))
        {
            for (int i = 0; i < 500; i++)
            {
                set(store, "Same", "v" + i, i, "x");
                set(store, "G", "v" + i, i);
            }
        }
        assertEquals(List.of(), GlobalStore.compare(a, b));

        set(a, "G", "left", 7);
        set(b, "G", "right", 7);
        set(a, "G", "later", 300);
        set(b, "H", "only right", 1, "a");
        set(a, "Only", "only left", "k");
        set(a, "G", "v2", 3, "x\"y");
        b.set("CLINICAL", "G", SubscriptKey.of(1), new byte[] {'c'});

        final List<GlobalStore.Difference> differences = GlobalStore.compare(a, b);
        assertEquals(List.of(
            new GlobalStore.Difference("CLINICAL", "G", "^G(1)", null, "c"),
            new GlobalStore.Difference(DB, "G", "^G(3,\"x\"\"y\")", "v2", null),
            new GlobalStore.Difference(DB, "H", "^H(1,\"a\")", null, "only right"),
            new GlobalStore.Difference(DB, "Only", "^Only(\"k\")", "only left", null)), differences);

        a.kill(DB, "G", SubscriptKey.of(3, "x\"y"));
        assertEquals(new GlobalStore.Difference(DB, "G", "^G(7)", "left", "right"), GlobalStore.compare(a, b).get(1));
        assertEquals(a.digest(DB, "Same"), b.digest(DB, "Same"));
    }

    // ---------------------------------------------------------------------------------------------- journal records

    @Test
    void shouldApplyRecordsReadFromAJournal(@TempDir final Path dir)
    {
        final GlobalStore store = new GlobalStore();
        try (Journal journal = Journal.open(
            new JournalContext().journalDir(dir).fileLength(1024 * 1024).syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = journal.appender();
            final GlobalName patient = GlobalName.of(DB, "Patient");
            final GlobalName size = GlobalName.of("CLINICAL", "Gr\u00F6\u00DFe");
            appender.tstart(1);
            appender.set(1, patient, SubscriptKey.of(1, "name"), bytes("Ann"));
            appender.set(1, patient, SubscriptKey.of(1, "age"), bytes("41"));
            appender.set(1, patient, SubscriptKey.of(1), bytes("root of 1"));
            appender.set(1, patient, SubscriptKey.of(2, "name"), bytes("Bob"));
            appender.set(1, size, SubscriptKey.of(), bytes("unicode names"));
            appender.tcommit(1);
            appender.zkill(0, patient, SubscriptKey.of(1));
            appender.kill(0, patient, SubscriptKey.of(2));
            appender.tstart(2);
            appender.set(2, patient, SubscriptKey.of(3), bytes("rolled back, but values are absolute"));
            appender.trollback(2);

            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                int records = 0;
                int polled;
                do
                {
                    polled = reader.poll(store::apply, 100);
                    records += polled;
                }
                while (polled > 0);
                assertEquals(12, records);
            }
        }
        assertNodes(store, "Patient", "[1, age]", "[1, name]", "[3]");
        assertEquals("Ann", get(store, "Patient", 1, "name"));
        assertEquals("unicode names", new String(store.get("CLINICAL", "Gr\u00F6\u00DFe", new SubscriptKey()),
            StandardCharsets.UTF_8), "names from record bytes and from strings find the same global");
        assertEquals(List.of(GlobalName.of("CLINICAL", "Gr\u00F6\u00DFe"), GlobalName.of(DB, "Patient")),
            store.globals());
    }

    // ---------------------------------------------------------------------------------------------- the model

    /**
     * The reference: per global a {@code TreeMap} in unsigned byte order, KILL written as "remove every key that
     * starts with the node's key" over all entries and $ORDER as a search over every key, so it shares no code and
     * no shortcut with the store.
     */
    private static final class Model
    {
        private final Map<GlobalName, TreeMap<byte[], byte[]>> globals = new HashMap<>();

        void set(final String db, final String global, final byte[] key, final byte[] value)
        {
            globals.computeIfAbsent(GlobalName.of(db, global), (name) -> new TreeMap<>(Arrays::compareUnsigned))
                .put(key, value.clone());
        }

        void kill(final String db, final String global, final byte[] key)
        {
            final TreeMap<byte[], byte[]> nodes = globals.get(GlobalName.of(db, global));
            if (nodes != null)
            {
                // Every key that starts with the node's key sorts at or after it: scan that tail, all of it.
                nodes.tailMap(key, true).keySet().removeIf((k) -> startsWith(k, key));
            }
        }

        void zkill(final String db, final String global, final byte[] key)
        {
            final TreeMap<byte[], byte[]> nodes = globals.get(GlobalName.of(db, global));
            if (nodes != null)
            {
                nodes.remove(key);
            }
        }

        byte[] order(final TreeMap<byte[], byte[]> nodes, final byte[] key, final int direction)
        {
            final UnsafeBuffer view = new UnsafeBuffer(key);
            final int depth = SubscriptCodec.count(view, 0, key.length);
            final int parentLength = SubscriptCodec.prefixLength(view, 0, key.length, depth - 1);
            final byte[] parent = Arrays.copyOf(key, parentLength);
            final boolean boundary = SubscriptCodec.decode(view, parentLength, key.length - parentLength)
                .equals(List.of(""));
            final TreeSet<byte[]> siblings = new TreeSet<>(Arrays::compareUnsigned);
            for (final byte[] k : nodes.keySet())
            {
                if (k.length > parentLength && startsWith(k, parent))
                {
                    final int siblingLength = SubscriptCodec.prefixLength(new UnsafeBuffer(k), 0, k.length, depth);
                    siblings.add(Arrays.copyOf(k, siblingLength));
                }
            }
            if (boundary)
            {
                return siblings.isEmpty() ? null : direction > 0 ? siblings.first() : siblings.last();
            }
            return direction > 0 ? siblings.higher(key) : siblings.lower(key);
        }

        /**
         * Compares every global's full contents, size and digest, the list of globals, and {@code probes} random
         * gets and $ORDERs in both directions per global (half of them on existing nodes).
         */
        void assertMatches(final GlobalStore store, final Random random, final int probes, final String context)
        {
            final List<GlobalName> expectedGlobals = new ArrayList<>();
            for (final Map.Entry<GlobalName, TreeMap<byte[], byte[]>> global : globals.entrySet())
            {
                final String db = global.getKey().database();
                final String name = global.getKey().global();
                final TreeMap<byte[], byte[]> nodes = global.getValue();
                if (!nodes.isEmpty())
                {
                    expectedGlobals.add(global.getKey());
                }
                final String where = context + " global=" + global.getKey();

                final List<byte[]> actualKeys = new ArrayList<>();
                final List<byte[]> actualValues = new ArrayList<>();
                store.query(db, name, new SubscriptKey(), (k, ko, kl, v, vo, vl) ->
                {
                    final byte[] key = new byte[kl];
                    k.getBytes(ko, key);
                    final byte[] value = new byte[vl];
                    v.getBytes(vo, value);
                    actualKeys.add(key);
                    actualValues.add(value);
                    return true;
                });
                assertEquals(nodes.size(), actualKeys.size(), where + " size");
                assertEquals(nodes.size(), store.size(db, name), where + " size()");
                int i = 0;
                long sum = 0;
                long xor = 0;
                for (final Map.Entry<byte[], byte[]> node : nodes.entrySet())
                {
                    assertArrayEquals(node.getKey(), actualKeys.get(i), where + " key #" + i);
                    assertArrayEquals(node.getValue(), actualValues.get(i),
                        where + " value of " + format(node.getKey()));
                    final long hash = GlobalDigest.pairHash(new UnsafeBuffer(node.getKey()), 0, node.getKey().length,
                        new UnsafeBuffer(node.getValue()), 0, node.getValue().length);
                    sum += hash;
                    xor ^= hash;
                    i++;
                }
                final GlobalDigest expectedDigest = nodes.isEmpty() ? GlobalDigest.EMPTY :
                    new GlobalDigest(nodes.size(), sum, xor);
                assertEquals(expectedDigest, store.digest(db, name), where + " digest");

                for (int probe = 0; probe < probes; probe++)
                {
                    final byte[] key = probe % 2 == 0 && !nodes.isEmpty() ? randomExisting(nodes, random) :
                        randomKey(random, 400).toByteArray();
                    assertArrayEquals(nodes.get(key), store.get(db, name, new UnsafeBuffer(key), 0, key.length),
                        where + " get " + format(key));
                    if (key.length > 0)
                    {
                        for (final int direction : new int[] {1, -1})
                        {
                            final byte[] expected = order(nodes, key, direction);
                            final byte[] actual =
                                store.order(db, name, new UnsafeBuffer(key), 0, key.length, direction);
                            assertArrayEquals(expected, actual, where + " $ORDER " + format(key) + "," + direction +
                                " expected=" + (expected == null ? null : format(expected)) +
                                " actual=" + (actual == null ? null : format(actual)));
                        }
                    }
                }
            }
            expectedGlobals.sort((x, y) -> x.database().equals(y.database()) ? x.global().compareTo(y.global()) :
                x.database().compareTo(y.database()));
            assertEquals(expectedGlobals, store.globals(), context + " globals");
        }

        private static byte[] randomExisting(final TreeMap<byte[], byte[]> nodes, final Random random)
        {
            final byte[] probe = randomKey(random, 400).toByteArray();
            final byte[] ceiling = nodes.ceilingKey(probe);
            return ceiling != null ? ceiling : nodes.firstKey();
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /**
     * One random read: a full scan, a subtree scan, a get or an $ORDER step; verifies every value's checksum and
     * key binding, and that scans come out strictly increasing.
     */
    private static void readOnce(final GlobalStore store, final Random random, final AtomicLong nodesRead)
    {
        final int dice = random.nextInt(100);
        if (dice < 30)
        {
            final SubscriptKey prefix = dice == 0 ? new SubscriptKey() : SubscriptKey.of(random.nextInt(3000));
            final byte[][] last = {null};
            store.query(DB, "Hot", prefix, (k, ko, kl, v, vo, vl) ->
            {
                final byte[] key = new byte[kl];
                k.getBytes(ko, key);
                final byte[] value = new byte[vl];
                v.getBytes(vo, value);
                SubscriptCodec.validate(k, ko, kl);
                if (last[0] != null && Arrays.compareUnsigned(last[0], key) >= 0)
                {
                    throw new AssertionError("scan out of order: " + format(last[0]) + " then " + format(key));
                }
                if (!startsWith(key, prefix.toByteArray()))
                {
                    throw new AssertionError("scan left its prefix: " + format(key));
                }
                verifyChecked(key, value);
                last[0] = key;
                nodesRead.incrementAndGet();
                return true;
            });
        }
        else if (dice < 70)
        {
            final SubscriptKey key = SubscriptKey.of(random.nextInt(3000), random.nextInt(6));
            final byte[] value = store.get(DB, "Hot", key);
            if (value != null)
            {
                verifyChecked(key.toByteArray(), value);
                nodesRead.incrementAndGet();
            }
        }
        else
        {
            final SubscriptKey key = SubscriptKey.of(random.nextInt(3000), random.nextInt(6));
            final int direction = random.nextBoolean() ? 1 : -1;
            final SubscriptKey sibling = store.order(DB, "Hot", key, direction);
            if (sibling != null && (sibling.count() != 2 || Integer.signum(sibling.compareTo(key)) != direction ||
                !sibling.decode().get(0).equals(key.decode().get(0))))
            {
                throw new AssertionError("$ORDER" + key + "," + direction + " gave " + sibling);
            }
        }
    }

    /**
     * A value that proves itself: an XXH64 of the rest, then a hash of the key it was written under, then payload
     * (sometimes long enough to live out of line).
     */
    private static byte[] checkedValue(final Random random, final SubscriptKey key)
    {
        final int payload = random.nextInt(50) == 0 ? 1500 + random.nextInt(2000) : random.nextInt(200);
        final byte[] value = new byte[16 + payload];
        final UnsafeBuffer buffer = new UnsafeBuffer(value);
        for (int i = 16; i < value.length; i++)
        {
            value[i] = (byte)random.nextInt();
        }
        buffer.putLong(8, GlobalDigest.xxh64(key.buffer(), 0, key.length(), 99));
        buffer.putLong(0, GlobalDigest.xxh64(buffer, 8, value.length - 8, 7));
        return value;
    }

    private static void verifyChecked(final byte[] key, final byte[] value)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(value);
        if (value.length < 16 || buffer.getLong(0) != GlobalDigest.xxh64(buffer, 8, value.length - 8, 7))
        {
            throw new AssertionError("torn or invented value under " + format(key) + " length=" + value.length);
        }
        if (buffer.getLong(8) != GlobalDigest.xxh64(new UnsafeBuffer(key), 0, key.length, 99))
        {
            throw new AssertionError("value written under another key found under " + format(key));
        }
    }

    private static SubscriptKey randomKey(final Random random, final int firstLevel)
    {
        final SubscriptKey key = new SubscriptKey();
        final int depth = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(4);
        for (int level = 0; level < depth; level++)
        {
            final int dice = random.nextInt(20);
            if (dice == 0)
            {
                key.add("");
            }
            else if (dice < 4)
            {
                key.add(new String[] {"a", "ab", "a\u0000", "b", "\u00E9"}[random.nextInt(5)]);
            }
            else if (dice == 4)
            {
                key.add(-random.nextInt(3) - 0.5);
            }
            else
            {
                key.add(random.nextInt(level == 0 ? firstLevel : 8));
            }
        }
        return key;
    }

    private static byte[] randomValue(final Random random)
    {
        final int dice = random.nextInt(100);
        final int inline = GlobalTreeLeaf.MAX_INLINE_VALUE;
        final int length = dice < 3 ? 0 : dice < 85 ? random.nextInt(120) : dice < 97 ?
            120 + random.nextInt(inline) : inline + random.nextInt(3000);
        final byte[] value = new byte[length];
        random.nextBytes(value);
        return value;
    }

    private static List<GlobalStore.Difference> compareGlobals(final GlobalStore store, final String a, final String b)
    {
        final GlobalStore left = new GlobalStore();
        final GlobalStore right = new GlobalStore();
        store.query(DB, a, new SubscriptKey(), (k, ko, kl, v, vo, vl) ->
        {
            left.set(DB, "X", k, ko, kl, v, vo, vl);
            return true;
        });
        store.query(DB, b, new SubscriptKey(), (k, ko, kl, v, vo, vl) ->
        {
            right.set(DB, "X", k, ko, kl, v, vo, vl);
            return true;
        });
        return GlobalStore.compare(left, right);
    }

    private static void set(final GlobalStore store, final String global, final String value, final Object... key)
    {
        store.set(DB, global, SubscriptKey.of(key), bytes(value));
    }

    private static String get(final GlobalStore store, final String global, final Object... key)
    {
        final byte[] value = store.get(DB, global, SubscriptKey.of(key));
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /**
     * Asserts the global's nodes in order, each named by its decoded subscripts as {@link List#toString} prints them.
     */
    private static void assertNodes(final GlobalStore store, final String global, final String... expected)
    {
        final List<String> actual = new ArrayList<>();
        for (final byte[] key : keys(store, global, new SubscriptKey()))
        {
            actual.add(SubscriptCodec.decode(new UnsafeBuffer(key), 0, key.length).toString());
        }
        assertEquals(List.of(expected), actual);
        assertEquals(expected.length, store.size(DB, global));
    }

    private static void assertOrder(
        final GlobalStore store, final String expected, final int direction, final Object... key)
    {
        final SubscriptKey sibling = store.order(DB, "G", SubscriptKey.of(key), direction);
        assertEquals(expected, sibling == null ? null : sibling.toString(),
            "$ORDER(^G" + SubscriptKey.of(key) + "," + direction + ")");
    }

    private static List<byte[]> keys(final GlobalStore store, final String global, final SubscriptKey prefix)
    {
        final List<byte[]> keys = new ArrayList<>();
        store.query(DB, global, prefix, (k, ko, kl, v, vo, vl) ->
        {
            final byte[] key = new byte[kl];
            k.getBytes(ko, key);
            keys.add(key);
            return true;
        });
        return keys;
    }

    private static void assertStrictlyIncreasing(final List<byte[]> keys)
    {
        for (int i = 1; i < keys.size(); i++)
        {
            assertTrue(Arrays.compareUnsigned(keys.get(i - 1), keys.get(i)) < 0, "out of order at " + i);
        }
    }

    /**
     * KILL for the racing writer's bookkeeping: stops at the first key outside the subtree, which relies on
     * descendants sorting right after their node (checked by the journal's SubscriptKeyTest and by the model tests).
     */
    private static void killSubtree(final TreeMap<byte[], byte[]> nodes, final byte[] prefix)
    {
        final Iterator<byte[]> keys = nodes.tailMap(prefix, true).keySet().iterator();
        while (keys.hasNext() && startsWith(keys.next(), prefix))
        {
            keys.remove();
        }
    }

    private static boolean startsWith(final byte[] key, final byte[] prefix)
    {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static String format(final byte[] key)
    {
        final StringBuilder out = new StringBuilder();
        SubscriptCodec.format(new UnsafeBuffer(key), 0, key.length, out);
        return out.toString();
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static long xxh64(final String text, final long seed)
    {
        final byte[] bytes = bytes(text);
        return GlobalDigest.xxh64(new UnsafeBuffer(bytes), 0, bytes.length, seed);
    }

    private static long seed()
    {
        final String property = System.getProperty("jmirror.seed");
        return property != null ? Long.parseLong(property) : System.nanoTime();
    }
}
