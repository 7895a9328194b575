package io.jmirror.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks a failover workload's history against the primary's store, as Jepsen's checkers do:
 * <ul>
 *   <li>every acknowledged commit is there with the bytes it wrote ({@code lostAcked});</li>
 *   <li>no effect of a transaction that was rolled back or failed before its commit, and none of a transaction never
 *   invoked ({@code phantoms});</li>
 *   <li>an indeterminate transaction is there whole or not at all ({@code halves});</li>
 *   <li>per-global order: each {@code ^Data} node holds the value of the newest transaction present that wrote it,
 *   and acknowledged commits of one epoch have LSNs in the order they ran ({@code orderViolations});</li>
 *   <li>one primary per epoch: every acknowledgement of an epoch comes from one node ({@code epochViolations}).</li>
 * </ul>
 */
final class WorkloadHistoryChecker
{
    private static final int MAX_DETAILS = 10;

    /**
     * The primary's store, as far as the workload's globals go.
     *
     * @param acked  {@code ^Acked(txn)}.
     * @param mirror {@code ^Mirror(txn)}.
     * @param data   {@code ^Data(k)}.
     */
    record State(Map<Long, byte[]> acked, Map<Long, byte[]> mirror, Map<Long, byte[]> data)
    {
    }

    /**
     * @param transactions    transactions in the history.
     * @param acknowledged    acknowledged commits.
     * @param indeterminate   transactions with no definite outcome (cut off by a failover or a kill).
     * @param lostAcked       acknowledged commits missing or with other bytes.
     * @param phantoms        effects of transactions rolled back, failed before commit, or never invoked.
     * @param halves          indeterminate transactions present in part.
     * @param orderViolations data nodes not holding the newest transaction's value, and acknowledged LSNs out of order.
     * @param epochViolations epochs in which more than one node acknowledged commits.
     * @param details         the first problems, in words.
     */
    record Result(long transactions, long acknowledged, long indeterminate, long lostAcked, long phantoms,
        long halves, long orderViolations, long epochViolations, List<String> details)
    {
        boolean isClean()
        {
            return lostAcked == 0 && phantoms == 0 && halves == 0 && orderViolations == 0 && epochViolations == 0;
        }
    }

    private WorkloadHistoryChecker()
    {
    }

    static Result check(final List<WorkloadHistory.Op> ops, final State state)
    {
        final List<String> details = new ArrayList<>();
        final Map<Long, WorkloadHistory.Op> byTxn = new HashMap<>();
        final Map<Long, String> primaryOfEpoch = new HashMap<>();
        final Map<Long, TreeMap<Long, Long>> lsnsOfEpoch = new HashMap<>();
        long acknowledged = 0;
        long indeterminate = 0;
        long lost = 0;
        long phantoms = 0;
        long halves = 0;
        long order = 0;
        long epochs = 0;
        for (final WorkloadHistory.Op op : ops)
        {
            byTxn.put(op.txn(), op);
            final long txn = op.txn();
            final byte[] expected = WorkloadHistory.value(txn);
            final byte[] acked = state.acked().get(txn);
            final byte[] mirror = state.mirror().get(txn);
            final boolean whole = Arrays.equals(expected, acked) && Arrays.equals(expected, mirror);
            final boolean none = null == acked && null == mirror;
            switch (op.outcome())
            {
                case OK ->
                {
                    acknowledged++;
                    if (!whole)
                    {
                        lost++;
                        note(details, "acknowledged commit lost: txn=" + txn + " epoch=" + op.epoch() + " node=" +
                            op.node() + " lsn=" + op.lsn() + " acked=" + text(acked) + " mirror=" + text(mirror));
                    }
                    final String other = primaryOfEpoch.putIfAbsent(op.epoch(), op.node());
                    if (null != other && !other.equals(op.node()))
                    {
                        epochs++;
                        primaryOfEpoch.put(op.epoch(), op.node() + "+" + other);
                        note(details, "two primaries acknowledged commits in epoch " + op.epoch() + ": " + other +
                            " and " + op.node());
                    }
                    lsnsOfEpoch.computeIfAbsent(op.epoch(), (e) -> new TreeMap<>()).put(txn, op.lsn());
                }
                case ROLLED_BACK, FAILED ->
                {
                    if (!none)
                    {
                        phantoms++;
                        note(details, "effect of a transaction that did not commit: txn=" + txn + " outcome=" +
                            op.outcome() + " acked=" + text(acked) + " mirror=" + text(mirror));
                    }
                }
                default ->
                {
                    indeterminate++;
                    if (!whole && !none)
                    {
                        halves++;
                        note(details, "indeterminate transaction present in part: txn=" + txn + " acked=" +
                            text(acked) + " mirror=" + text(mirror));
                    }
                }
            }
        }
        for (final Long txn : state.acked().keySet())
        {
            if (!byTxn.containsKey(txn))
            {
                phantoms++;
                note(details, "a transaction never invoked is present: txn=" + txn);
            }
        }
        order += acknowledgedOutOfOrder(lsnsOfEpoch, details);
        order += dataOutOfOrder(state, details);
        return new Result(ops.size(), acknowledged, indeterminate, lost, phantoms, halves, order, epochs,
            List.copyOf(details));
    }

    private static long acknowledgedOutOfOrder(final Map<Long, TreeMap<Long, Long>> lsnsOfEpoch,
        final List<String> details)
    {
        long violations = 0;
        for (final Map.Entry<Long, TreeMap<Long, Long>> epoch : lsnsOfEpoch.entrySet())
        {
            long previousTxn = -1;
            long previousLsn = -1;
            for (final Map.Entry<Long, Long> commit : epoch.getValue().entrySet())
            {
                if (commit.getValue() <= previousLsn)
                {
                    violations++;
                    note(details, "acknowledged commits out of order in epoch " + epoch.getKey() + ": txn=" +
                        previousTxn + " at lsn=" + previousLsn + " before txn=" + commit.getKey() + " at lsn=" +
                        commit.getValue());
                }
                previousTxn = commit.getKey();
                previousLsn = commit.getValue();
            }
        }
        return violations;
    }

    /**
     * Transactions of one primary run one after another and ids grow with the epoch, so the newest transaction present
     * that wrote a node is the one whose value it must hold.
     */
    private static long dataOutOfOrder(final State state, final List<String> details)
    {
        final Map<Long, Long> newest = new HashMap<>();
        for (final Long txn : state.acked().keySet())
        {
            newest.merge(Math.floorMod(txn, (long)WorkloadHistory.DATA_KEYS), txn, Math::max);
        }
        long violations = 0;
        for (long k = 0; k < WorkloadHistory.DATA_KEYS; k++)
        {
            final Long txn = newest.get(k);
            final byte[] expected = null == txn ? null : WorkloadHistory.value(txn);
            final byte[] actual = state.data().get(k);
            if (!Arrays.equals(expected, actual))
            {
                violations++;
                note(details, "^Data(" + k + ") holds " + text(actual) + " but the newest transaction present " +
                    "that wrote it is " + (null == txn ? "none" : "txn=" + txn));
            }
        }
        return violations;
    }

    private static void note(final List<String> details, final String detail)
    {
        if (details.size() < MAX_DETAILS)
        {
            details.add(detail);
        }
    }

    private static String text(final byte[] value)
    {
        return null == value ? "absent" : "'" + new String(value, java.nio.charset.StandardCharsets.UTF_8) + "'";
    }
}
