package io.jmirror.dejournal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.SubscriptCodec;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RocksDB target holds what the in-memory store holds, in the same collation order, with IRIS KILL and ZKILL,
 * and a member that stops without a last checkpoint (closed, or killed with -9) resumes from its last one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RocksDbTargetTest
{
    /** Names that are byte prefixes of one another, so a key layout that lets one global run into another fails. */
    static final String[] DATABASES = {"USER", "USERS", "CLIN"};
    static final String[] GLOBALS = {"G", "G1", "G10", "Patient"};

    @TempDir
    Path dir;
    private Journal journal;
    private final List<RocksDbTarget> targets = new ArrayList<>();

    @AfterEach
    void close()
    {
        targets.forEach(RocksDbTarget::close);
        if (null != journal)
        {
            journal.close();
        }
    }

    static JournalContext journalContext(final Path dir)
    {
        return new JournalContext().journalDir(dir.resolve("journal")).fileLength(1024 * 1024)
            .syncPolicy(SyncPolicy.NONE);
    }

    private Journal openJournal()
    {
        journal = Journal.open(journalContext(dir));
        return journal;
    }

    private RocksDbTarget openStore()
    {
        final RocksDbTarget target = RocksDbTarget.open(dir.resolve("store"));
        targets.add(target);
        return target;
    }

    private void closeStore(final RocksDbTarget target)
    {
        target.close();
        targets.remove(target);
    }

    /**
     * A random workload over overlapping subtrees with mixed subscripts (integers, negative decimals, strings, one
     * with a NUL), values that carry a growing version, KILLs of any depth (the whole global too), ZKILLs and some
     * transaction markers.
     */
    static void workload(final Journal journal, final long seed, final int records)
    {
        final Random random = new Random(seed);
        final JournalAppender appender = journal.newAppender();
        final List<GlobalName> names = new ArrayList<>();
        for (final String database : DATABASES)
        {
            for (final String global : GLOBALS)
            {
                names.add(GlobalName.of(database, global));
            }
        }
        final SubscriptKey key = new SubscriptKey();
        long version = seed << 32;
        for (int i = 0; i < records; i++)
        {
            final GlobalName global = names.get(random.nextInt(names.size()));
            randomKey(random, key);
            final int op = random.nextInt(100);
            if (op < 78)
            {
                final byte[] value = new byte[8 + random.nextInt(random.nextInt(20) == 0 ? 3000 : 60)];
                ByteBuffer.wrap(value).putLong(version++);
                appender.set(i, global, key, value);
            }
            else if (op < 88)
            {
                appender.kill(i, global, random.nextInt(40) == 0 ? key.clear() : key);
            }
            else if (op < 97)
            {
                appender.zkill(i, global, key);
            }
            else
            {
                appender.tstart(i);
                appender.tcommit(i);
            }
        }
    }

    static SubscriptKey randomKey(final Random random, final SubscriptKey key)
    {
        key.clear();
        final int depth = random.nextInt(4);
        for (int d = 0; d < depth; d++)
        {
            final int dice = random.nextInt(10);
            if (dice < 5)
            {
                key.add(random.nextInt(6));
            }
            else if (dice < 7)
            {
                key.add(-random.nextInt(3) - 0.5);
            }
            else
            {
                key.add(new String[] {"a", "ab", "a\u0000", "\u0001", "\u00E9", "10"}[random.nextInt(6)]);
            }
        }
        return key;
    }

    static DejournalContext context(final Journal journal, final Target target, final long checkpointIntervalMs)
    {
        return new DejournalContext().journal(journal).target(target).workers(2).ringSize(1024).dispatchBatch(64)
            .checkpointIntervalMs(checkpointIntervalMs);
    }

    static void applyAll(final Journal journal, final Target target, final long checkpointIntervalMs)
    {
        try (Dejournaler dejournaler = Dejournaler.start(context(journal, target, checkpointIntervalMs)))
        {
            awaitApplied(dejournaler, journal.tailLsn());
        }
    }

    static void awaitApplied(final Dejournaler dejournaler, final long lsn)
    {
        assertTrue(dejournaler.awaitApplied(lsn, TimeUnit.SECONDS.toNanos(60)),
            () -> "not applied to " + lsn + ": " + dejournaler.status());
    }

    /**
     * @return the store after a sequential replay of the whole journal.
     */
    static GlobalStore replay(final Journal journal)
    {
        final GlobalStore store = new GlobalStore();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll(store::apply, 1000) > 0)
            {
                // drain
            }
        }
        return store;
    }

    static long nodeRecords(final Journal journal)
    {
        final AtomicLong count = new AtomicLong();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) ->
            {
                if (record.type().isNodeRecord())
                {
                    count.incrementAndGet();
                }
            }, 1000) > 0)
            {
                // drain
            }
        }
        return count.get();
    }

    /**
     * Digests equal and not empty, and every global holds the same nodes in the same order.
     */
    static void assertSameContents(final GlobalStore expected, final RocksDbTarget actual)
    {
        final Map<GlobalName, GlobalDigest> digests = expected.digests();
        assertFalse(digests.isEmpty(), "the workload left nothing to compare");
        final TreeSet<String> names = new TreeSet<>();
        for (final GlobalName name : digests.keySet())
        {
            names.add(name.database() + "\n" + name.global());
        }
        for (final String name : names)
        {
            final String[] parts = name.split("\n");
            final List<String> want = new ArrayList<>();
            final List<String> got = new ArrayList<>();
            expected.query(parts[0], parts[1], new SubscriptKey(), collect(want));
            actual.query(parts[0], parts[1], new SubscriptKey(), collect(got));
            assertEquals(want, got, name);
        }
        for (final GlobalName name : digests.keySet())
        {
            assertEquals(digests.get(name), actual.digest(name.database(), name.global()), name.toString());
        }
        assertEquals(digests, actual.digests());
    }

    private static GlobalStore.NodeVisitor collect(final List<String> nodes)
    {
        return (key, keyOffset, keyLength, value, valueOffset, valueLength) ->
        {
            final StringBuilder node = new StringBuilder();
            SubscriptCodec.format(key, keyOffset, keyLength, node);
            nodes.add(node + "=" + Arrays.toString(bytes(value, valueOffset, valueLength)));
            return true;
        };
    }

    private static byte[] bytes(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }

    private static long seed()
    {
        final String property = System.getProperty("jmirror.seed");
        return null != property ? Long.parseLong(property) : new Random().nextInt(1 << 20);
    }

    // ------------------------------------------------------------------------------------------------ contents

    @Test
    void parallelApplyToRocksDbEqualsTheInMemoryStore()
    {
        final long seed = seed();
        System.out.println("RocksDbTargetTest.parallelApplyToRocksDbEqualsTheInMemoryStore seed=" + seed);
        openJournal();
        workload(journal, seed, 20_000);
        final GlobalStore expected = new GlobalStore();
        applyAll(journal, new StoreTarget(expected), 50);
        final RocksDbTarget actual = openStore();
        applyAll(journal, actual, 50);
        assertEquals(journal.tailLsn(), actual.recoveredLsn(), "the last checkpoint is at the journal's end");
        assertSameContents(expected, actual);
        assertEquals(replay(journal).digests(), actual.digests(), "seed=" + seed);
    }

    @Test
    void orderWalksMixedSubscriptsAsTheInMemoryStoreDoes()
    {
        openJournal();
        final JournalAppender appender = journal.newAppender();
        final GlobalName global = GlobalName.of("USER", "Mixed");
        final Object[] level = {-10, -2.5, -2, -0.5, 0, 0.25, 1, 2, 10, 10.5, 100, 1e20, "-", "01", "1a", "a",
            "a\u0000", "a\u0001", "ab", "b", "\u00E9", "\uD83D\uDE00"};
        final Random random = new Random(7);
        for (final Object first : level)
        {
            appender.set(0, global, SubscriptKey.of(first), new byte[] {1});
            for (int i = 0; i < 4; i++)
            {
                appender.set(0, global, SubscriptKey.of(first, level[random.nextInt(level.length)]), new byte[] {2});
            }
        }
        // A node with descendants and no value of its own, and a neighbouring global that must not show through.
        appender.set(0, global, SubscriptKey.of("only", "children"), new byte[] {3});
        appender.set(0, GlobalName.of("USER", "Mixed2"), SubscriptKey.of(0), new byte[] {4});
        final GlobalStore expected = replay(journal);
        final RocksDbTarget actual = openStore();
        applyAll(journal, actual, 50);

        final List<String> forward = new ArrayList<>();
        walk(actual, expected, new SubscriptKey(), 1, forward);
        assertEquals(level.length + 1, forward.stream().filter((node) -> node.indexOf(',') < 0).count(), forward
            .toString());
        final List<String> backward = new ArrayList<>();
        walk(actual, expected, new SubscriptKey(), -1, backward);
        assertEquals(forward.size(), backward.size());
        assertTrue(forward.indexOf("(\"only\")") > forward.indexOf("(1E20)"), forward.toString());
        assertSameContents(expected, actual);
        assertNull(actual.orderChild("USER", "Absent", new SubscriptKey(), 1));
        assertThrows(IllegalArgumentException.class, () -> actual.order("USER", "Mixed", new SubscriptKey(), 1));
        assertThrows(IllegalArgumentException.class, () -> actual.order("USER", "Mixed", SubscriptKey.of(1), 0));
    }

    /**
     * Walks every level under {@code parent} with orderChild and order on both stores, asserting each step agrees.
     */
    private static void walk(
        final RocksDbTarget actual, final GlobalStore expected, final SubscriptKey parent, final int direction,
        final List<String> visited)
    {
        SubscriptKey want = expected.orderChild("USER", "Mixed", parent, direction);
        SubscriptKey got = actual.orderChild("USER", "Mixed", parent, direction);
        while (null != want)
        {
            assertEquals(want, got, "under " + parent + " direction " + direction);
            visited.add(want.toString());
            walk(actual, expected, want, direction, visited);
            want = expected.order("USER", "Mixed", want, direction);
            got = actual.order("USER", "Mixed", got, direction);
        }
        assertNull(got, "after the last child of " + parent);
    }

    @Test
    void killRemovesTheNodeAndItsDescendantsAndZkillTheNodeOnly()
    {
        openJournal();
        final JournalAppender appender = journal.newAppender();
        final GlobalName g = GlobalName.of("USER", "G");
        final GlobalName g1 = GlobalName.of("USER", "G1");
        final GlobalName users = GlobalName.of("USERS", "G");
        final byte[] v = {9};
        for (final SubscriptKey key : List.of(SubscriptKey.of(1), SubscriptKey.of(1, 2), SubscriptKey.of(1, 2, 3),
            SubscriptKey.of(10), SubscriptKey.of("a"), SubscriptKey.of("a", 1), SubscriptKey.of("ab"),
            SubscriptKey.of("a\u0000"), SubscriptKey.of(-1.5), SubscriptKey.of(-1.5, "x"), SubscriptKey.of(-1),
            SubscriptKey.of(2), SubscriptKey.of(2, 1), new SubscriptKey()))
        {
            appender.set(0, g, key, v);
        }
        appender.set(0, g1, SubscriptKey.of(1), v);
        appender.set(0, users, SubscriptKey.of(1), v);
        appender.kill(0, g, SubscriptKey.of(1));
        appender.kill(0, g, SubscriptKey.of("a"));
        appender.kill(0, g, SubscriptKey.of(-1.5));
        appender.zkill(0, g, SubscriptKey.of(2));
        appender.zkill(0, g, new SubscriptKey());
        final RocksDbTarget actual = openStore();
        applyAll(journal, actual, 50);

        for (final SubscriptKey gone : List.of(SubscriptKey.of(1), SubscriptKey.of(1, 2), SubscriptKey.of(1, 2, 3),
            SubscriptKey.of("a"), SubscriptKey.of("a", 1), SubscriptKey.of(-1.5), SubscriptKey.of(-1.5, "x"),
            SubscriptKey.of(2), new SubscriptKey()))
        {
            assertNull(actual.get("USER", "G", gone), "gone: " + gone);
        }
        for (final SubscriptKey kept : List.of(SubscriptKey.of(10), SubscriptKey.of("ab"), SubscriptKey.of("a\u0000"),
            SubscriptKey.of(-1), SubscriptKey.of(2, 1)))
        {
            assertArrayEquals(v, actual.get("USER", "G", kept), "kept: " + kept);
        }
        assertEquals(SubscriptKey.of(-1), actual.orderChild("USER", "G", new SubscriptKey(), 1), "^G(-1) is first");
        assertEquals(SubscriptKey.of(2), actual.order("USER", "G", SubscriptKey.of(-1), 1),
            "a ZKILLed node with children is still a subscript");
        assertEquals(replay(journal).digests(), actual.digests());

        journal.newAppender().kill(0, g, new SubscriptKey());
        applyAll(journal, actual, 50);
        assertNull(actual.orderChild("USER", "G", new SubscriptKey(), 1), "KILL of the root empties the global");
        assertArrayEquals(v, actual.get("USER", "G1", SubscriptKey.of(1)), "^G1 is another global");
        assertArrayEquals(v, actual.get("USERS", "G", SubscriptKey.of(1)), "USERS is another database");
        assertEquals(replay(journal).digests(), actual.digests());
    }

    @Test
    void longKeysAndValuesGrowTheWorkersBuffers()
    {
        openJournal();
        final JournalAppender appender = journal.newAppender();
        final GlobalName g = GlobalName.of("USER", "Long");
        final String long1 = "k".repeat(3000);
        final byte[] big = new byte[200_000];
        new Random(3).nextBytes(big);
        appender.set(0, g, SubscriptKey.of(long1), big);
        appender.set(0, g, SubscriptKey.of(long1, 1), new byte[] {1});
        appender.set(0, g, SubscriptKey.of(long1 + "x"), new byte[0]);
        appender.set(0, g, SubscriptKey.of(1), new byte[] {2});
        appender.zkill(0, g, SubscriptKey.of(long1));
        final RocksDbTarget actual = openStore();
        applyAll(journal, actual, 50);
        assertNull(actual.get("USER", "Long", SubscriptKey.of(long1)));
        assertArrayEquals(new byte[] {1}, actual.get("USER", "Long", SubscriptKey.of(long1, 1)));
        assertArrayEquals(new byte[0], actual.get("USER", "Long", SubscriptKey.of(long1 + "x")));
        assertArrayEquals(new byte[] {2}, actual.get("USER", "Long", SubscriptKey.of(1)), "the first record");
        journal.newAppender().kill(0, g, SubscriptKey.of(long1));
        applyAll(journal, actual, 50);
        assertNull(actual.get("USER", "Long", SubscriptKey.of(long1, 1)));
        assertSameContents(replay(journal), actual);
    }

    @Test
    void keysKeepNamesApartAndInOrder()
    {
        final String[] names = {"A", "A\u0000", "A\u0000B", "A\u0001", "AB", "B"};
        byte[] previous = null;
        for (final String name : names)
        {
            final byte[] key = RocksDbKeyDescriptor.names(name, "G");
            assertEquals(name, RocksDbKeyDescriptor.name(key, 0, key.length));
            assertEquals("G", RocksDbKeyDescriptor.name(key, RocksDbKeyDescriptor.globalOffset(key), key.length));
            assertEquals(key.length, RocksDbKeyDescriptor.subscriptsOffset(key, key.length));
            if (null != previous)
            {
                assertTrue(Arrays.compareUnsigned(previous, key) < 0, name);
                assertFalse(RocksDbKeyDescriptor.startsWith(key, previous, previous.length), name);
            }
            previous = key;
        }
        assertFalse(Arrays.equals(RocksDbKeyDescriptor.names("AB", "C"), RocksDbKeyDescriptor.names("A", "BC")));
        assertArrayEquals(new byte[] {1, 3}, RocksDbKeyDescriptor.successor(new byte[] {1, 2, (byte)0xFF}, 3));
        assertTrue(Arrays.compareUnsigned(RocksDbKeyDescriptor.APPLIED_LSN_KEY,
            RocksDbKeyDescriptor.FIRST_NODE_KEY) < 0);
    }

    // ------------------------------------------------------------------------------------------------ restarts

    /**
     * Forwards records (and a worker's batches) and drops checkpoints: a dejournaler whose last checkpoints never
     * reached the store.
     */
    static final class NoCheckpointTarget extends ForwardingTarget
    {
        final AtomicLong applied = new AtomicLong();

        NoCheckpointTarget(final Target target)
        {
            super(target);
        }

        @Override
        public void apply(final JournalRecord record, final int worker)
        {
            applied.incrementAndGet();
            target.apply(record, worker);
        }

        @Override
        public void checkpoint(final long appliedLsn)
        {
        }
    }

    /**
     * Counts the records applied, checkpointing as usual.
     */
    static final class CountingTarget extends ForwardingTarget
    {
        final AtomicLong applied = new AtomicLong();

        CountingTarget(final Target target)
        {
            super(target);
        }

        @Override
        public void apply(final JournalRecord record, final int worker)
        {
            applied.incrementAndGet();
            target.apply(record, worker);
        }
    }

    @Test
    void aStoreClosedWithoutACheckpointResumesFromTheLastOne()
    {
        final long seed = seed();
        System.out.println("RocksDbTargetTest.aStoreClosedWithoutACheckpointResumesFromTheLastOne seed=" + seed);
        openJournal();
        workload(journal, seed, 8_000);
        RocksDbTarget store = openStore();
        applyAll(journal, store, 50);
        final long checkpointed = store.recoveredLsn();
        assertEquals(journal.tailLsn(), checkpointed);

        workload(journal, seed + 1, 8_000);
        final NoCheckpointTarget crashing = new NoCheckpointTarget(store);
        applyAll(journal, crashing, 50);
        assertTrue(crashing.applied.get() > 0);
        closeStore(store);

        store = openStore();
        assertEquals(checkpointed, store.recoveredLsn(), "resumes from the last checkpoint");
        final CountingTarget counting = new CountingTarget(store);
        applyAll(journal, counting, 50);
        final long total = nodeRecords(journal);
        assertTrue(counting.applied.get() > 0 && counting.applied.get() < total,
            "replayed " + counting.applied.get() + " of " + total + " records");
        assertEquals(journal.tailLsn(), store.recoveredLsn());
        assertSameContents(replay(journal), store);
    }

    @Test
    void aKilledProcessResumesFromItsLastCheckpointAndEndsEqual() throws Exception
    {
        final long seed = seed();
        System.out.println("RocksDbTargetTest.aKilledProcessResumesFromItsLastCheckpointAndEndsEqual seed=" + seed);
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx256m",
            "-cp", System.getProperty("java.class.path"),
            RocksDbCrashApplier.class.getName(), dir.toString(), String.valueOf(seed)));
        final Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long checkpointed = -1;
        long appliedBeforeKill = -1;
        try (BufferedReader out = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while (appliedBeforeKill < 0 && null != (line = out.readLine()))
            {
                final String[] parts = line.split(" ");
                if ("checkpoint".equals(parts[0]))
                {
                    checkpointed = Long.parseLong(parts[1]);
                }
                else if ("applied".equals(parts[0]))
                {
                    appliedBeforeKill = Long.parseLong(parts[1]);
                }
            }
        }
        finally
        {
            child.destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS), "the applier did not die");
        }
        assertTrue(checkpointed > 0 && appliedBeforeKill > checkpointed,
            "checkpointed=" + checkpointed + " appliedBeforeKill=" + appliedBeforeKill);

        openJournal();
        final RocksDbTarget store = openStore();
        assertEquals(checkpointed, store.recoveredLsn(), "resumes from the last checkpoint");
        assertEquals(appliedBeforeKill, journal.tailLsn());
        final CountingTarget counting = new CountingTarget(store);
        applyAll(journal, counting, 50);
        final long total = nodeRecords(journal);
        assertTrue(counting.applied.get() > 0 && counting.applied.get() < total,
            "replayed " + counting.applied.get() + " of " + total + " records");
        assertSameContents(replay(journal), store);
    }

    @Test
    void closeIsSafeTwiceAndRefusesLaterUse()
    {
        final RocksDbTarget store = openStore();
        store.checkpoint(42);
        closeStore(store);
        store.close();
        assertThrows(DejournalException.class, () -> store.checkpoint(43));
        assertThrows(DejournalException.class, () -> store.get("USER", "G", new SubscriptKey()));
        final RocksDbTarget reopened = openStore();
        assertEquals(42, reopened.recoveredLsn());
        assertNull(reopened.get("USER", "G", new SubscriptKey()));
        assertTrue(reopened.digests().isEmpty());
    }
}
