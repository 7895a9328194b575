package io.jmirror.dejournal;

import static io.jmirror.dejournal.GlobalStoreTestSupport.*;
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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

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
 * Checks the in-memory global store on hand-picked cases: IRIS SET/KILL/ZKILL and $ORDER semantics, subtree
 * queries, digests that ignore operation order but not content, multi-MiB values and keys bigger than a page, the
 * data check's first difference, and records applied from a real journal. Random and concurrent checks are in
 * {@link GlobalStoreRandomTest}.
 */
final class GlobalStoreTest
{

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
        assertEquals(1L, store.orderChild(DB, "G", new SubscriptKey(), 1).decode().get(0),
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
        for (SubscriptKey key = store.orderChild(DB, "G", new SubscriptKey(), 1); key != null;
            key = store.order(DB, "G", key, 1))
        {
            forwards.add(key.decode().get(0));
            assertTrue(forwards.size() < 20, "$ORDER loops: " + forwards);
        }
        assertEquals(List.of(-5L, 0L, 1L, new BigDecimal("2.5"), 3L, 10L, "a", "ab", "b"), forwards,
            "numbers before strings, ^G(3) found through its descendant, descendants skipped");

        final List<Object> backwards = new ArrayList<>();
        for (SubscriptKey key = store.orderChild(DB, "G", new SubscriptKey(), -1); key != null;
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
        assertOrderChild(store, "(1,\"x\")", 1, 1);
        assertOrderChild(store, "(1,\"x\")", -1, 1);
        assertOrder(store, null, 1, 1, "x");
        assertOrder(store, null, -1, 1, "x");
        assertOrderChild(store, "(\"b\",\"z\")", 1, "b");
        assertOrderChild(store, "(\"b\",\"z\",3)", 1, "b", "z");
        assertOrderChild(store, "(\"b\",\"z\",5)", -1, "b", "z");
        assertOrder(store, "(\"b\",\"z\",5)", 1, "b", "z", 3);
        assertOrder(store, null, 1, "b", "z", 5);
        assertOrder(store, null, 1, "a", 1);
        assertOrder(store, "(\"a\",1)", -1, "a", 2);
        assertOrderChild(store, null, 1, 7);

        assertNull(store.orderChild(DB, "Empty", new SubscriptKey(), 1));
        assertThrows(IllegalArgumentException.class, () -> store.order(DB, "G", new SubscriptKey(), 1));
        assertThrows(IllegalArgumentException.class, () -> store.order(DB, "G", SubscriptKey.of(1), 0));
        assertThrows(IllegalArgumentException.class, () -> store.order(DB, "Empty", new SubscriptKey(), 1));
        assertOrderChild(store, "(-5)", 1);
        assertOrderChild(store, "(\"b\")", -1);
        assertThrows(IllegalArgumentException.class, () -> store.orderChild(DB, "G", SubscriptKey.of(1), 0));
        assertThrows(IllegalArgumentException.class, () -> store.orderChild(DB, "Empty", SubscriptKey.of(1), 2));
    }

    @Test
    void anEmptyStringSubscriptIsRefusedSoAnOrderWalkAlwaysEnds()
    {
        final GlobalStore store = new GlobalStore();
        set(store, "G", "v", 1);
        set(store, "G", "v", "a");
        assertThrows(IllegalArgumentException.class, () -> set(store, "G", "v", ""), "IRIS <SUBSCRIPT>");

        // A key written past SubscriptKey, as raw bytes: a walk stops with an error at it instead of looping there.
        final UnsafeBuffer empty = new UnsafeBuffer(new byte[] {SubscriptCodec.STRING_TAG, 0x00});
        final UnsafeBuffer value = new UnsafeBuffer(bytes("v"));
        store.set(DB, "G", empty, 0, 2, value, 0, value.capacity());
        final byte[] first = store.orderChild(DB, "G", empty, 0, 0, 1);
        final byte[] second = store.order(DB, "G", new UnsafeBuffer(first), 0, first.length, 1);
        assertArrayEquals(empty.byteArray(), second, "numbers first, then the empty string");
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> store.order(DB, "G", empty, 0, 2, 1));
        assertTrue(refused.getMessage().contains("empty string is not a valid subscript (IRIS <SUBSCRIPT>): " +
            "position=1"), refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.order(DB, "G", SubscriptKey.of(1), 1),
            "the SubscriptKey form refuses the raw key it would return");
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
}
