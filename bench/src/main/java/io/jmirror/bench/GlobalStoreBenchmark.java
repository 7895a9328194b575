package io.jmirror.bench;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.journal.SubscriptKey;
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
import org.openjdk.jmh.annotations.Threads;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one dejournal SET costs in the in-memory global store, next to the JDK structures it could have been built on:
 * one op = one put of a random node {@code ^Gn(int,"short string")} with a 100-byte value, over 1000 globals of
 * 3000 possible nodes each, looking the global up by name as the store does.
 * <ul>
 *   <li>{@code BTREE}: {@link GlobalStore} (packed-page B+tree per global, with its write lock and digest).</li>
 *   <li>{@code TREEMAP}, {@code SKIPLIST}: a {@code TreeMap} / {@code ConcurrentSkipListMap} of {@code byte[]} keys
 *   in unsigned order per global, copying key and value into new arrays as a store must (the record's buffer is
 *   reused). {@code TREEMAP} could not serve concurrent readers; {@code SKIPLIST} could.</li>
 *   <li>{@code HASHMAP}: the unordered ceiling, a {@code HashMap} keyed by a byte-array wrapper; no $ORDER, no
 *   KILL of a subtree without a full scan.</li>
 * </ul>
 * Neither JDK variant keeps a digest; the B+tree hashes each pair (two XXH64 passes) as part of its put.
 * {@link #put} measures the steady state (every node exists, so a put replaces a value), {@link #load} fills empty
 * structures with 3 M puts of random keys, and {@link #putTwoWorkers} runs two writer threads on disjoint halves
 * of the globals, as two dejournal workers would. With 1000 globals the data (~400 MB) is far beyond the caches and
 * a put is mostly waiting for memory; {@code -p globals=10} runs {@link #put} and {@link #putTwoWorkers} on a
 * cache-sized store for comparison.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class GlobalStoreBenchmark
{
    static final String DATABASE = "USER";
    static final int GLOBALS = 1000;
    static final int INTS = 300;
    static final String[] STRINGS = {"name", "dob", "addr", "city", "zip", "phone", "mail", "ward", "bed", "note"};
    static final int KEYS = INTS * STRINGS.length;
    static final int VALUE_LENGTH = 100;
    static final int LOAD_PUTS = 3_000_000;

    /**
     * The structures compared.
     */
    public enum Structure
    {
        BTREE, TREEMAP, SKIPLIST, HASHMAP
    }

    /**
     * One structure holding the globals; {@code put} copies what it keeps.
     */
    interface Store
    {
        void put(String global, UnsafeBuffer key, int keyLength, UnsafeBuffer value, int valueLength);
    }

    /**
     * Global names and encoded keys, built once so that ops measure the store, not the key encoder.
     */
    static final class Keys
    {
        static final String[] GLOBAL_NAMES = new String[GLOBALS];
        static final UnsafeBuffer[] KEY_BUFFERS = new UnsafeBuffer[KEYS];
        static final int[] KEY_LENGTHS = new int[KEYS];

        static
        {
            for (int g = 0; g < GLOBALS; g++)
            {
                GLOBAL_NAMES[g] = "G" + g;
            }
            for (int i = 0; i < INTS; i++)
            {
                for (int s = 0; s < STRINGS.length; s++)
                {
                    final byte[] encoded = SubscriptKey.of(i * 7919L, STRINGS[s]).toByteArray();
                    KEY_BUFFERS[i * STRINGS.length + s] = new UnsafeBuffer(encoded);
                    KEY_LENGTHS[i * STRINGS.length + s] = encoded.length;
                }
            }
        }

        private Keys()
        {
        }
    }

    /**
     * A writer's random source and value buffer: xorshift, so drawing a key costs a few cycles.
     */
    static final class Writer
    {
        final UnsafeBuffer value = new UnsafeBuffer(new byte[VALUE_LENGTH]);
        long state;

        Writer(final long seed)
        {
            state = seed | 1;
            for (int i = 0; i < VALUE_LENGTH; i++)
            {
                value.putByte(i, (byte)(31 * i + 7));
            }
        }

        long next()
        {
            long x = state;
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            state = x;
            return x;
        }

        /**
         * One put of a random node of one of {@code globals} globals starting at {@code firstGlobal}.
         */
        void put(final Store store, final int firstGlobal, final int globals)
        {
            final long r = next();
            final int global = firstGlobal + (int)((r >>> 40) % globals);
            final int key = (int)((r & 0xFF_FFFF_FFFFL) % KEYS);
            value.putLong(0, r);
            store.put(Keys.GLOBAL_NAMES[global], Keys.KEY_BUFFERS[key], Keys.KEY_LENGTHS[key], value, VALUE_LENGTH);
        }
    }

    /**
     * A structure with every node of every global present.
     */
    @State(Scope.Benchmark)
    public static class Filled
    {
        @Param({"BTREE", "TREEMAP", "SKIPLIST", "HASHMAP"})
        public Structure structure;

        /** Globals written; fewer than 1000 (e.g. {@code -p globals=10}) shows what the data's size costs. */
        @Param({"1000"})
        public int globals;

        Store store;
        private final AtomicInteger threads = new AtomicInteger();

        /**
         * Puts every node once; not measured.
         */
        @Setup(Level.Trial)
        public void fill()
        {
            store = create(structure);
            final UnsafeBuffer value = new Writer(1).value;
            for (int g = 0; g < globals; g++)
            {
                for (int k = 0; k < KEYS; k++)
                {
                    store.put(Keys.GLOBAL_NAMES[g], Keys.KEY_BUFFERS[k], Keys.KEY_LENGTHS[k], value, VALUE_LENGTH);
                }
            }
        }

        int nextThread()
        {
            return threads.getAndIncrement();
        }
    }

    /**
     * One writer thread: its random source and, with two threads, the half of the globals it owns.
     */
    @State(Scope.Thread)
    public static class Worker
    {
        Writer writer;
        int firstGlobal;
        int globals;
        int allGlobals;

        /**
         * Picks this thread's globals; not measured.
         */
        @Setup(Level.Trial)
        public void init(final Filled filled)
        {
            final int index = filled.nextThread();
            writer = new Writer(0x9E3779B97F4A7C15L * (index + 1));
            firstGlobal = (index % 2) * (filled.globals / 2);
            globals = filled.globals / 2;
            allGlobals = filled.globals;
        }
    }

    /**
     * An empty structure per iteration, for {@link #load}.
     */
    @State(Scope.Thread)
    public static class Empty
    {
        @Param({"BTREE", "TREEMAP", "SKIPLIST", "HASHMAP"})
        public Structure structure;

        Store store;
        final Writer writer = new Writer(42);

        /**
         * Drops the last iteration's structure; not measured.
         */
        @Setup(Level.Iteration)
        public void reset()
        {
            store = null;
            System.gc();
            store = create(structure);
        }
    }

    /**
     * Steady state: replace the value of a random existing node.
     */
    @Benchmark
    public void put(final Filled filled, final Worker worker)
    {
        worker.writer.put(filled.store, 0, worker.allGlobals);
    }

    /**
     * Two writers, each on its own 500 globals of one shared structure: the dejournal's two-worker shape.
     */
    @Benchmark
    @Threads(2)
    public void putTwoWorkers(final Filled filled, final Worker worker)
    {
        worker.writer.put(filled.store, worker.firstGlobal, worker.globals);
    }

    /**
     * 3 M puts of random keys into empty structures (about 1900 distinct nodes per global at the end).
     */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(LOAD_PUTS)
    public void load(final Empty empty)
    {
        for (int i = 0; i < LOAD_PUTS; i++)
        {
            empty.writer.put(empty.store, 0, GLOBALS);
        }
    }

    static Store create(final Structure structure)
    {
        switch (structure)
        {
            case BTREE:
                final GlobalStore globalStore = new GlobalStore();
                return (global, key, keyLength, value, valueLength) ->
                    globalStore.set(DATABASE, global, key, 0, keyLength, value, 0, valueLength);
            case TREEMAP:
                final Map<String, TreeMap<byte[], byte[]>> trees = new HashMap<>();
                for (final String name : Keys.GLOBAL_NAMES)
                {
                    trees.put(name, new TreeMap<>(Arrays::compareUnsigned));
                }
                return (global, key, keyLength, value, valueLength) ->
                    trees.get(global).put(copy(key, keyLength), copy(value, valueLength));
            case SKIPLIST:
                final Map<String, ConcurrentSkipListMap<byte[], byte[]>> lists = new ConcurrentHashMap<>();
                for (final String name : Keys.GLOBAL_NAMES)
                {
                    lists.put(name, new ConcurrentSkipListMap<>(Arrays::compareUnsigned));
                }
                return (global, key, keyLength, value, valueLength) ->
                    lists.get(global).put(copy(key, keyLength), copy(value, valueLength));
            case HASHMAP:
                final Map<String, HashMap<BytesKey, byte[]>> maps = new HashMap<>();
                for (final String name : Keys.GLOBAL_NAMES)
                {
                    maps.put(name, new HashMap<>());
                }
                return (global, key, keyLength, value, valueLength) ->
                    maps.get(global).put(new BytesKey(copy(key, keyLength)), copy(value, valueLength));
            default:
                throw new IllegalArgumentException("unknown structure: " + structure);
        }
    }

    private static byte[] copy(final UnsafeBuffer buffer, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    /**
     * A byte-array key for the hash baseline, hashed once.
     */
    static final class BytesKey
    {
        private final byte[] bytes;
        private final int hash;

        BytesKey(final byte[] bytes)
        {
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes);
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof BytesKey && Arrays.equals(bytes, ((BytesKey)other).bytes);
        }

        @Override
        public int hashCode()
        {
            return hash;
        }
    }
}
