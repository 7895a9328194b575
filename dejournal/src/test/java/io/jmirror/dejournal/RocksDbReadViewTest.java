package io.jmirror.dejournal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.SubscriptKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * With isolated readers, a read view of the RocksDB target shows exactly the committed state after every record:
 * transactions interleaved with writes outside transactions, one rolled back (its undo journaled, as a takeover
 * does), nested subscripts and KILLs. The expected state is computed from the record list alone: writes outside
 * transactions at once, a transaction's writes at its TCOMMIT, none of a rolled-back one's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RocksDbReadViewTest
{
    private static final String DB = "USER";
    private static final GlobalName A = GlobalName.of(DB, "A");
    private static final GlobalName B = GlobalName.of(DB, "B");

    @TempDir
    Path dir;
    private Journal journal;
    private RocksDbTarget target;

    @AfterEach
    void close()
    {
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
     * One step of the script: a node record (transaction 0 for none), or a marker.
     */
    private record Step(String op, long transactionId, GlobalName global, SubscriptKey key, String value)
    {
    }

    private static Step set(final long transactionId, final GlobalName global, final String value, final Object... s)
    {
        return new Step("SET", transactionId, global, SubscriptKey.of(s), value);
    }

    private static Step kill(final long transactionId, final GlobalName global, final Object... s)
    {
        return new Step("KILL", transactionId, global, SubscriptKey.of(s), null);
    }

    private static Step zkill(final long transactionId, final GlobalName global, final Object... s)
    {
        return new Step("ZKILL", transactionId, global, SubscriptKey.of(s), null);
    }

    private static Step marker(final String op, final long transactionId)
    {
        return new Step(op, transactionId, null, null, null);
    }

    /** The script; transaction 3's undo is journaled before its TROLLBACK, newest first. */
    private static final List<Step> SCRIPT = List.of(
        set(0, A, "a1", 1),
        set(0, A, "a2x", 2, "x"),
        set(0, A, "a2", 2),
        marker("TSTART", 1),
        set(1, A, "t1", 1),
        set(0, B, "b5", 5),
        set(1, A, "t1y", 3, "y", 7),
        marker("TSTART", 2),
        kill(2, A, 2),
        set(0, B, "b6", 6),
        set(2, B, "t2", 7),
        set(1, A, "t1z", 3, "z"),
        marker("TCOMMIT", 1),
        zkill(2, B, 5),
        marker("TSTART", 3),
        set(3, A, "t3", 9),
        set(3, A, "t3a1", 1),
        kill(0, B, 6),
        set(3, A, "t3n", 1, "n"),
        marker("TCOMMIT", 2),
        zkill(3, A, 1, "n"),
        set(3, A, "t1", 1),
        zkill(3, A, 9),
        marker("TROLLBACK", 3),
        set(0, A, "n9", 9),
        marker("TSTART", 4),
        kill(4, B),
        set(4, B, "t4", 1, "deep", 2),
        set(0, A, "a8", 8),
        kill(4, A, 3),
        marker("TCOMMIT", 4));

    @Test
    void aViewShowsExactlyTheCommittedStateAfterEveryRecord()
    {
        final List<String> mismatches = replay(true);
        assertTrue(mismatches.isEmpty(), () -> "views that were not the committed state: " + mismatches);
    }

    /**
     * The negative control: the same script with isolated readers off, so a view is a bare snapshot; the check must
     * find the steps where it shows part of an open transaction.
     */
    @Test
    void withoutIsolationAViewShowsPartOfATransaction()
    {
        final List<String> mismatches = replay(false);
        assertTrue(mismatches.size() >= 10, () -> "the check found too few partial views: " + mismatches);
    }

    @Test
    void aWriteOutsideTransactionsToANodeAnOpenTransactionChangedShowsWhenItEnds()
    {
        final List<Step> script = List.of(
            set(0, A, "old", 1),
            marker("TSTART", 7),
            set(7, A, "t7", 1),
            set(7, A, "t7b", 2),
            set(0, A, "outside", 1),
            marker("TCOMMIT", 7));
        openAndJournal(true, script);
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            final List<String> seen = new ArrayList<>();
            final List<String> seen2 = new ArrayList<>();
            while (reader.poll((record) ->
            {
                applyOne(record);
                try (RocksDbReadView view = target.readView())
                {
                    seen.add(string(view.get(DB, "A", SubscriptKey.of(1))));
                    seen2.add(string(view.get(DB, "A", SubscriptKey.of(2))));
                }
            }, 1) > 0)
            {
            }
            assertEquals(List.of("old", "old", "old", "old", "old", "outside"), seen);
            assertEquals(List.of("null", "null", "null", "null", "null", "t7b"), seen2);
        }
        assertEquals(0, target.overlay().size());
    }

    @Test
    void isolatedReadersNeedARocksDbTarget()
    {
        final GlobalStore store = new GlobalStore();
        journal = Journal.open(RocksDbTargetTest.journalContext(dir));
        final DejournalContext ctx = new DejournalContext().journal(journal).target(new StoreTarget(store))
            .isolatedReaders(true);
        final DejournalException ex = assertThrows(DejournalException.class, ctx::conclude);
        assertTrue(ex.getMessage().contains("isolatedReaders"), ex.getMessage());
    }

    @Test
    void aTargetThatWrapsARocksDbTargetIsolatesTheReadersOfTheOneItWraps()
    {
        journal = Journal.open(RocksDbTargetTest.journalContext(dir));
        target = RocksDbTarget.open(dir.resolve("store"));
        final RocksDbTarget wrapped = target;
        final Target wrapper = new Target()
        {
            @Override
            public void apply(final JournalRecord record, final int worker)
            {
                wrapped.apply(record, worker);
            }

            @Override
            public void checkpoint(final long appliedLsn)
            {
                wrapped.checkpoint(appliedLsn);
            }

            @Override
            public long recoveredLsn()
            {
                return wrapped.recoveredLsn();
            }

            @Override
            public <T extends Target> T unwrap(final Class<T> type)
            {
                return wrapped.unwrap(type);
            }
        };
        try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(wrapper)
            .workers(1).ringSize(64).dispatchBatch(64).isolatedReaders(true)))
        {
            assertTrue(wrapped.isIsolatingReaders());
        }
    }

    private void openAndJournal(final boolean isolated, final List<Step> script)
    {
        journal = Journal.open(RocksDbTargetTest.journalContext(dir));
        target = RocksDbTarget.open(dir.resolve("store"));
        if (isolated)
        {
            target.isolateReaders();
        }
        journal(journal.newAppender(), script);
    }

    /**
     * Applies the script one record at a time, as one worker and the dispatcher would (markers reach the target
     * after the records before them), and compares a view with the expected state after each.
     *
     * @return a line per step whose view was not the expected state.
     */
    private List<String> replay(final boolean isolated)
    {
        openAndJournal(isolated, SCRIPT);
        final Map<GlobalName, TreeMap<SubscriptKey, String>> committed = new HashMap<>();
        committed.put(A, new TreeMap<>());
        committed.put(B, new TreeMap<>());
        final Map<Long, List<Step>> open = new HashMap<>();
        final TreeSet<SubscriptKey> everyKey = new TreeSet<>();
        final List<String> mismatches = new ArrayList<>();
        final int[] step = {0};
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) ->
            {
                final Step s = SCRIPT.get(step[0]++);
                expect(committed, open, s);
                if (null != s.key())
                {
                    everyKey.add(s.key());
                }
                applyOne(record);
                try (RocksDbReadView view = target.readView())
                {
                    final String difference = compare(view, committed, everyKey);
                    if (null != difference)
                    {
                        mismatches.add("step=" + step[0] + " " + s + ": " + difference);
                    }
                }
            }, 1) > 0)
            {
            }
        }
        assertEquals(SCRIPT.size(), step[0]);
        if (isolated)
        {
            assertEquals(0, target.overlay().size(), "every transaction ended, so nothing is hidden");
        }
        return mismatches;
    }

    private void applyOne(final JournalRecord record)
    {
        if (record.type().isTransactionMarker())
        {
            target.onTransactionMarker(record);
        }
        else
        {
            target.apply(record, 0);
        }
    }

    /**
     * The reference: writes outside transactions apply at once, a transaction's at its TCOMMIT, none of a rolled
     * back one's (its undo included).
     */
    private static void expect(
        final Map<GlobalName, TreeMap<SubscriptKey, String>> committed, final Map<Long, List<Step>> open,
        final Step s)
    {
        switch (s.op())
        {
            case "TSTART" -> open.put(s.transactionId(), new ArrayList<>());
            case "TCOMMIT" -> open.remove(s.transactionId()).forEach((w) -> write(committed.get(w.global()), w));
            case "TROLLBACK" -> open.remove(s.transactionId());
            default ->
            {
                if (s.transactionId() == 0)
                {
                    write(committed.get(s.global()), s);
                }
                else
                {
                    open.get(s.transactionId()).add(s);
                }
            }
        }
    }

    private static void write(final TreeMap<SubscriptKey, String> nodes, final Step s)
    {
        switch (s.op())
        {
            case "SET" -> nodes.put(s.key(), s.value());
            case "ZKILL" -> nodes.remove(s.key());
            default -> nodes.keySet().removeIf((k) -> k.isSelfOrDescendantOf(s.key()));
        }
    }

    /**
     * @return what differs between the view and the expected state, or null: every node by get, the whole global by
     * query, the first level by $ORDER both ways.
     */
    private static String compare(
        final RocksDbReadView view, final Map<GlobalName, TreeMap<SubscriptKey, String>> committed,
        final TreeSet<SubscriptKey> everyKey)
    {
        for (final GlobalName global : List.of(A, B))
        {
            final TreeMap<SubscriptKey, String> expected = committed.get(global);
            final Map<String, String> queried = new LinkedHashMap<>();
            view.query(DB, global.global(), new SubscriptKey(), (key, keyOffset, keyLength, value, vo, vl) ->
            {
                final byte[] v = new byte[vl];
                value.getBytes(vo, v);
                queried.put(new SubscriptKey().set(key, keyOffset, keyLength).toString(),
                    new String(v, StandardCharsets.UTF_8));
                return true;
            });
            final Map<String, String> wanted = new LinkedHashMap<>();
            expected.forEach((k, v) -> wanted.put(k.toString(), v));
            if (!wanted.equals(queried))
            {
                return global + " query=" + queried + " expected=" + wanted;
            }
            for (final SubscriptKey key : everyKey)
            {
                final String got = string(view.get(DB, global.global(), key));
                final String want = String.valueOf(expected.get(key));
                if (!want.equals(got))
                {
                    return global + " " + key + " get=" + got + " expected=" + want;
                }
            }
            final List<String> firstLevel = new ArrayList<>();
            expected.keySet().forEach((k) ->
            {
                final String top = SubscriptKey.of().set(k.buffer(), 0, k.length()).truncate(1).toString();
                if (firstLevel.isEmpty() || !firstLevel.get(firstLevel.size() - 1).equals(top))
                {
                    firstLevel.add(top);
                }
            });
            final List<String> forward = new ArrayList<>();
            for (SubscriptKey k = view.orderChild(DB, global.global(), new SubscriptKey(), 1); null != k;
                k = view.order(DB, global.global(), k, 1))
            {
                forward.add(k.toString());
            }
            final List<String> backward = new ArrayList<>();
            for (SubscriptKey k = view.orderChild(DB, global.global(), new SubscriptKey(), -1); null != k;
                k = view.order(DB, global.global(), k, -1))
            {
                backward.add(0, k.toString());
            }
            if (!firstLevel.equals(forward) || !firstLevel.equals(backward))
            {
                return global + " $ORDER forward=" + forward + " backward=" + backward + " expected=" + firstLevel;
            }
        }
        return null;
    }

    private static String string(final byte[] value)
    {
        return null == value ? "null" : new String(value, StandardCharsets.UTF_8);
    }

    /**
     * Journals the script as a primary would: each record of a transaction with the before-image of what it
     * replaced, from the primary's own state (every record applied in journal order).
     */
    static void journal(final JournalAppender appender, final List<Step> script)
    {
        final Map<GlobalName, TreeMap<SubscriptKey, String>> primary = new HashMap<>();
        final BeforeImage before = new BeforeImage();
        for (final Step s : script)
        {
            final long tx = s.transactionId();
            switch (s.op())
            {
                case "TSTART" -> appender.tstart(tx);
                case "TCOMMIT" -> appender.tcommit(tx);
                case "TROLLBACK" -> appender.trollback(tx);
                default ->
                {
                    final TreeMap<SubscriptKey, String> nodes = primary.computeIfAbsent(s.global(),
                        (g) -> new TreeMap<>());
                    final String old = nodes.get(s.key());
                    if (null == old)
                    {
                        before.undefined();
                    }
                    else
                    {
                        before.value(old.getBytes(StandardCharsets.UTF_8));
                    }
                    switch (s.op())
                    {
                        case "SET" -> appender.set(tx, s.global(), s.key(),
                            s.value().getBytes(StandardCharsets.UTF_8), before);
                        case "ZKILL" -> appender.zkill(tx, s.global(), s.key(), before);
                        default ->
                        {
                            before.nodes();
                            nodes.forEach((k, v) ->
                            {
                                if (k.isSelfOrDescendantOf(s.key()))
                                {
                                    before.node(k, v.getBytes(StandardCharsets.UTF_8));
                                }
                            });
                            appender.kill(tx, s.global(), s.key(), before);
                        }
                    }
                    write(nodes, s);
                }
            }
        }
    }

    @Test
    void aViewOfAnUnknownNodeIsNull()
    {
        openAndJournal(true, List.of());
        try (RocksDbReadView view = target.readView())
        {
            assertNull(view.get(DB, "A", SubscriptKey.of(1)));
            assertNull(view.orderChild(DB, "A", new SubscriptKey(), 1));
            assertEquals(0, view.hiddenNodes());
        }
    }
}
