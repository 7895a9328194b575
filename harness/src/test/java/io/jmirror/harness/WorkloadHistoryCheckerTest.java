package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The history checker on histories and stores built by hand: a clean one passes, and each broken rule is caught.
 */
class WorkloadHistoryCheckerTest
{
    private static final long E1 = FailoverWorkload.EPOCH_TXN_BASE;
    private static final long E2 = 2 * FailoverWorkload.EPOCH_TXN_BASE;

    @TempDir
    Path dir;

    private final List<WorkloadHistory.Op> ops = new ArrayList<>();
    private final Map<Long, byte[]> acked = new HashMap<>();
    private final Map<Long, byte[]> mirror = new HashMap<>();
    private final Map<Long, byte[]> data = new HashMap<>();

    @Test
    void aCleanHistoryWithAFailoverPasses()
    {
        ok("node-a", 1, E1 + 1, 100);
        ok("node-a", 1, E1 + 2, 200);
        indeterminate("node-a", 1, E1 + 3, true);
        op("node-a", 1, E1 + 4, WorkloadHistory.Outcome.INVOKED, false);
        op("node-a", 1, E1 + 5, WorkloadHistory.Outcome.ROLLED_BACK, false);
        ok("node-b", 2, E2 + 1, 400);
        final WorkloadHistoryChecker.Result result = check();
        assertTrue(result.isClean(), result.details().toString());
        assertEquals(3, result.acknowledged());
        assertEquals(2, result.indeterminate());
    }

    @Test
    void aLostAcknowledgedCommitIsCaught()
    {
        ok("node-a", 1, E1 + 1, 100);
        ok("node-a", 1, E1 + 2, 200);
        remove(E1 + 2);
        final WorkloadHistoryChecker.Result result = check();
        assertEquals(1, result.lostAcked(), result.details().toString());
        assertTrue(result.details().get(0).contains("acknowledged commit lost: txn=" + (E1 + 2)), result.details()
            .toString());
    }

    @Test
    void anAcknowledgedCommitWithOtherBytesIsCaught()
    {
        ok("node-a", 1, E1 + 1, 100);
        acked.put(E1 + 1, "txn=1;check=0".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(1, check().lostAcked());
    }

    @Test
    void theEffectOfARolledBackOrFailedTransactionIsCaught()
    {
        op("node-a", 1, E1 + 1, WorkloadHistory.Outcome.ROLLED_BACK, true);
        op("node-a", 1, E1 + 2, WorkloadHistory.Outcome.FAILED, true);
        assertEquals(2, check().phantoms());
    }

    @Test
    void aTransactionNeverInvokedIsCaught()
    {
        ok("node-a", 1, E1 + 1, 100);
        put(E1 + 7);
        assertEquals(1, check().phantoms());
    }

    @Test
    void halfAnIndeterminateTransactionIsCaught()
    {
        indeterminate("node-a", 1, E1 + 1, true);
        mirror.remove(E1 + 1);
        final WorkloadHistoryChecker.Result result = check();
        assertEquals(1, result.halves(), result.details().toString());
    }

    @Test
    void aDataNodeHoldingAnOlderValueIsAnOrderViolation()
    {
        ok("node-a", 1, E1 + 1, 100);
        ok("node-a", 1, E1 + 1 + WorkloadHistory.DATA_KEYS, 200);
        data.put(key(E1 + 1), WorkloadHistory.value(E1 + 1)); // the older write applied last
        assertEquals(1, check().orderViolations());
    }

    @Test
    void acknowledgementsOutOfLsnOrderAreAnOrderViolation()
    {
        ok("node-a", 1, E1 + 1, 300);
        ok("node-a", 1, E1 + 2, 200);
        assertEquals(1, check().orderViolations());
    }

    @Test
    void twoPrimariesAcknowledgingInOneEpochAreCaught()
    {
        ok("node-a", 1, E1 + 1, 100);
        ok("node-b", 1, E1 + 2, 200);
        final WorkloadHistoryChecker.Result result = check();
        assertEquals(1, result.epochViolations(), result.details().toString());
    }

    @Test
    void historiesReadBackWithTheLastOutcomeAndATornLastLineIgnored() throws Exception
    {
        final Path file = dir.resolve("node-a.history");
        try (WorkloadHistory history = WorkloadHistory.append(file))
        {
            history.invoke("node-a", 1, E1 + 1);
            history.ok("node-a", 1, E1 + 1, 100, 250);
            history.invoke("node-a", 1, E1 + 2);
        }
        Files.writeString(file, "OK node-a 1 " + (E1 + 2), java.nio.file.StandardOpenOption.APPEND);
        final List<WorkloadHistory.Op> read = WorkloadHistory.read(List.of(file, dir.resolve("missing")));
        assertEquals(2, read.size());
        assertEquals(WorkloadHistory.Outcome.OK, read.get(0).outcome());
        assertEquals(100, read.get(0).lsn());
        assertEquals(WorkloadHistory.Outcome.INVOKED, read.get(1).outcome());
    }

    @Test
    void aMalformedHistoryLineIsNamed() throws Exception
    {
        final Path file = dir.resolve("bad.history");
        Files.writeString(file, "INVOKE node-a 1 " + (E1 + 1) + "\nOK node-a x\n");
        final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> WorkloadHistory.read(List.of(file)));
        assertTrue(ex.getMessage().contains("file=" + file) && ex.getMessage().contains("line=2"), ex.getMessage());
    }

    private WorkloadHistoryChecker.Result check()
    {
        return WorkloadHistoryChecker.check(ops, new WorkloadHistoryChecker.State(acked, mirror, data));
    }

    private void ok(final String node, final long epoch, final long txn, final long lsn)
    {
        ops.add(new WorkloadHistory.Op(node, epoch, txn, WorkloadHistory.Outcome.OK, lsn, 1, 1));
        put(txn);
    }

    private void indeterminate(final String node, final long epoch, final long txn, final boolean present)
    {
        op(node, epoch, txn, WorkloadHistory.Outcome.INDETERMINATE, present);
    }

    private void op(final String node, final long epoch, final long txn, final WorkloadHistory.Outcome outcome,
        final boolean present)
    {
        ops.add(new WorkloadHistory.Op(node, epoch, txn, outcome, -1, -1, -1));
        if (present)
        {
            put(txn);
        }
    }

    /**
     * What the transaction leaves in the store: its two nodes, and the data node unless a newer one wrote it.
     */
    private void put(final long txn)
    {
        acked.put(txn, WorkloadHistory.value(txn));
        mirror.put(txn, WorkloadHistory.value(txn));
        final long k = key(txn);
        final byte[] current = data.get(k);
        if (null == current || newestOf(k) == txn)
        {
            data.put(k, WorkloadHistory.value(txn));
        }
    }

    private long newestOf(final long k)
    {
        long newest = -1;
        for (final Long txn : acked.keySet())
        {
            if (key(txn) == k)
            {
                newest = Math.max(newest, txn);
            }
        }
        return newest;
    }

    private void remove(final long txn)
    {
        acked.remove(txn);
        mirror.remove(txn);
        final long k = key(txn);
        data.remove(k);
        final long newest = newestOf(k);
        if (newest >= 0)
        {
            data.put(k, WorkloadHistory.value(newest));
        }
    }

    private static long key(final long txn)
    {
        return Math.floorMod(txn, (long)WorkloadHistory.DATA_KEYS);
    }
}
