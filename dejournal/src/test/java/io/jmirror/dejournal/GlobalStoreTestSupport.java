package io.jmirror.dejournal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.SubscriptCodec;
import io.jmirror.journal.SubscriptKey;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Shared by the global store tests: the reference model, random keys and values, and small assertions.
 */
final class GlobalStoreTestSupport
{
    private GlobalStoreTestSupport()
    {
    }

    static final String DB = "USER";

    // ---------------------------------------------------------------------------------------------- the model

    /**
     * The reference: per global a {@code TreeMap} in unsigned byte order, KILL written as "remove every key that
     * starts with the node's key" over all entries and $ORDER as a search over every key, so it shares no code and
     * no shortcut with the store.
     */
    static final class Model
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
            final int depth = SubscriptCodec.count(new UnsafeBuffer(key), 0, key.length);
            final int parentLength = SubscriptCodec.prefixLength(new UnsafeBuffer(key), 0, key.length, depth - 1);
            final TreeSet<byte[]> siblings = children(nodes, Arrays.copyOf(key, parentLength), depth);
            return direction > 0 ? siblings.higher(key) : siblings.lower(key);
        }

        byte[] orderChild(final TreeMap<byte[], byte[]> nodes, final byte[] parent, final int direction)
        {
            final int depth = SubscriptCodec.count(new UnsafeBuffer(parent), 0, parent.length) + 1;
            final TreeSet<byte[]> children = children(nodes, parent, depth);
            return children.isEmpty() ? null : direction > 0 ? children.first() : children.last();
        }

        /** The keys, cut to {@code depth} subscripts, of every node below {@code parent}. */
        private static TreeSet<byte[]> children(
            final TreeMap<byte[], byte[]> nodes, final byte[] parent, final int depth)
        {
            final TreeSet<byte[]> children = new TreeSet<>(Arrays::compareUnsigned);
            for (final byte[] k : nodes.keySet())
            {
                if (k.length > parent.length && startsWith(k, parent))
                {
                    final int childLength = SubscriptCodec.prefixLength(new UnsafeBuffer(k), 0, k.length, depth);
                    children.add(Arrays.copyOf(k, childLength));
                }
            }
            return children;
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
                    for (final int direction : new int[] {1, -1})
                    {
                        if (key.length > 0)
                        {
                            final byte[] expected = order(nodes, key, direction);
                            final byte[] actual =
                                store.order(db, name, new UnsafeBuffer(key), 0, key.length, direction);
                            assertArrayEquals(expected, actual, where + " $ORDER " + format(key) + "," + direction +
                                " expected=" + (expected == null ? null : format(expected)) +
                                " actual=" + (actual == null ? null : format(actual)));
                        }
                        final byte[] expected = orderChild(nodes, key, direction);
                        final byte[] actual =
                            store.orderChild(db, name, new UnsafeBuffer(key), 0, key.length, direction);
                        assertArrayEquals(expected, actual, where + " first child " + format(key) + "," + direction +
                            " expected=" + (expected == null ? null : format(expected)) +
                            " actual=" + (actual == null ? null : format(actual)));
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
    static void readOnce(final GlobalStore store, final Random random, final AtomicLong nodesRead)
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
    static byte[] checkedValue(final Random random, final SubscriptKey key)
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

    static void verifyChecked(final byte[] key, final byte[] value)
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

    static SubscriptKey randomKey(final Random random, final int firstLevel)
    {
        final SubscriptKey key = new SubscriptKey();
        final int depth = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(4);
        for (int level = 0; level < depth; level++)
        {
            final int dice = random.nextInt(20);
            if (dice == 0)
            {
                key.add(" ");
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

    static byte[] randomValue(final Random random)
    {
        final int dice = random.nextInt(100);
        final int inline = GlobalTreeLeaf.MAX_INLINE_VALUE;
        final int length = dice < 3 ? 0 : dice < 85 ? random.nextInt(120) : dice < 97 ?
            120 + random.nextInt(inline) : inline + random.nextInt(3000);
        final byte[] value = new byte[length];
        random.nextBytes(value);
        return value;
    }

    static List<GlobalStore.Difference> compareGlobals(final GlobalStore store, final String a, final String b)
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

    static void set(final GlobalStore store, final String global, final String value, final Object... key)
    {
        store.set(DB, global, SubscriptKey.of(key), bytes(value));
    }

    static String get(final GlobalStore store, final String global, final Object... key)
    {
        final byte[] value = store.get(DB, global, SubscriptKey.of(key));
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /**
     * Asserts the global's nodes in order, each named by its decoded subscripts as {@link List#toString} prints them.
     */
    static void assertNodes(final GlobalStore store, final String global, final String... expected)
    {
        final List<String> actual = new ArrayList<>();
        for (final byte[] key : keys(store, global, new SubscriptKey()))
        {
            actual.add(SubscriptCodec.decode(new UnsafeBuffer(key), 0, key.length).toString());
        }
        assertEquals(List.of(expected), actual);
        assertEquals(expected.length, store.size(DB, global));
    }

    static void assertOrder(
        final GlobalStore store, final String expected, final int direction, final Object... key)
    {
        final SubscriptKey sibling = store.order(DB, "G", SubscriptKey.of(key), direction);
        assertEquals(expected, sibling == null ? null : sibling.toString(),
            "$ORDER(^G" + SubscriptKey.of(key) + "," + direction + ")");
    }

    static void assertOrderChild(
        final GlobalStore store, final String expected, final int direction, final Object... parent)
    {
        final SubscriptKey child = store.orderChild(DB, "G", SubscriptKey.of(parent), direction);
        assertEquals(expected, child == null ? null : child.toString(),
            "child of ^G" + SubscriptKey.of(parent) + " direction=" + direction);
    }

    static List<byte[]> keys(final GlobalStore store, final String global, final SubscriptKey prefix)
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

    static void assertStrictlyIncreasing(final List<byte[]> keys)
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
    static void killSubtree(final TreeMap<byte[], byte[]> nodes, final byte[] prefix)
    {
        final Iterator<byte[]> keys = nodes.tailMap(prefix, true).keySet().iterator();
        while (keys.hasNext() && startsWith(keys.next(), prefix))
        {
            keys.remove();
        }
    }

    static boolean startsWith(final byte[] key, final byte[] prefix)
    {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    static String format(final byte[] key)
    {
        final StringBuilder out = new StringBuilder();
        SubscriptCodec.format(new UnsafeBuffer(key), 0, key.length, out);
        return out.toString();
    }

    static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    static long xxh64(final String text, final long seed)
    {
        final byte[] bytes = bytes(text);
        return GlobalDigest.xxh64(new UnsafeBuffer(bytes), 0, bytes.length, seed);
    }

    static long seed()
    {
        final String property = System.getProperty("jmirror.seed");
        return property != null ? Long.parseLong(property) : System.nanoTime();
    }
}
