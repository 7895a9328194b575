package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.SubscriptCodec;
import io.jmirror.journal.SubscriptKey;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The data check between two stores of any kind (IRIS's DataCheck): per-global digests first, which costs a scan of
 * each store and no node-by-node comparison; then, for each global whose digests differ, a walk of both in collation
 * order that narrows the difference to ranges of subscripts. A range is a run of nodes that differ (present on one
 * side only, or with different values) between two nodes that agree, so a lost subtree or a block of stale values
 * shows as one line, not thousands.
 * <p>
 * Compare the stores at the same applied LSN: a store that is ahead differs by the records it applied since.
 * The walk of a differing global holds each side's keys and value hashes in memory, so it costs memory in proportion
 * to the nodes of the differing globals only.
 */
public final class StoreCheck
{
    private static final Comparator<GlobalName> NAME_ORDER =
        Comparator.comparing(GlobalName::database).thenComparing(GlobalName::global);

    private StoreCheck()
    {
    }

    /**
     * A run of differing nodes of one global.
     *
     * @param global          the global.
     * @param first           the first differing node's subscripts, in IRIS form ({@code (1,"a")}; "" for the root).
     * @param last            the last differing node's subscripts before the next node that agrees.
     * @param onlyLeft        nodes in the range that only the left store has.
     * @param onlyRight       nodes in the range that only the right store has.
     * @param differentValues nodes in the range that both have, with different values.
     */
    public record Range(GlobalName global, String first, String last, long onlyLeft, long onlyRight,
        long differentValues)
    {
        /**
         * @return the nodes that differ in the range.
         */
        public long nodes()
        {
            return onlyLeft + onlyRight + differentValues;
        }
    }

    /**
     * The outcome of a check.
     *
     * @param globals          globals compared (those with nodes on either side).
     * @param differingGlobals globals whose contents differ, by database then global name.
     * @param ranges           the differing ranges, global by global, at most the limit given.
     * @param moreRanges       whether ranges were left out at the limit.
     */
    public record Result(int globals, List<GlobalName> differingGlobals, List<Range> ranges, boolean moreRanges)
    {
        /**
         * @return whether the stores hold the same nodes.
         */
        public boolean isEqual()
        {
            return differingGlobals.isEmpty();
        }
    }

    /**
     * @param left      one store.
     * @param right     the other.
     * @param maxRanges the most ranges to list (the differing globals are always all listed).
     * @return the globals that differ and where.
     */
    public static Result compare(final StoreReader left, final StoreReader right, final int maxRanges)
    {
        final Map<GlobalName, GlobalDigest> leftDigests = left.digests();
        final Map<GlobalName, GlobalDigest> rightDigests = right.digests();
        final TreeSet<GlobalName> names = new TreeSet<>(NAME_ORDER);
        names.addAll(leftDigests.keySet());
        names.addAll(rightDigests.keySet());
        final List<GlobalName> differing = new ArrayList<>();
        final List<Range> ranges = new ArrayList<>();
        boolean more = false;
        for (final GlobalName name : names)
        {
            if (leftDigests.getOrDefault(name, GlobalDigest.EMPTY).equals(
                rightDigests.getOrDefault(name, GlobalDigest.EMPTY)))
            {
                continue;
            }
            differing.add(name);
            if (ranges.size() < maxRanges)
            {
                more |= ranges(name, Nodes.of(left, name), Nodes.of(right, name), ranges, maxRanges);
            }
            else
            {
                more = true;
            }
        }
        return new Result(names.size(), differing, ranges, more);
    }

    /**
     * Merge-walk both sides of one global in collation order and add its runs of differing nodes.
     *
     * @return whether runs were left out at the limit.
     */
    private static boolean ranges(
        final GlobalName name, final Nodes left, final Nodes right, final List<Range> ranges, final int maxRanges)
    {
        int l = 0;
        int r = 0;
        RangeBuilder open = null;
        while (l < left.size() || r < right.size())
        {
            final int cmp = l == left.size() ? 1 : r == right.size() ? -1 : left.compare(l, right, r);
            final byte[] key = cmp <= 0 ? left.key(l) : right.key(r);
            final boolean agrees = cmp == 0 && left.valueHash(l) == right.valueHash(r);
            if (agrees)
            {
                if (null != open)
                {
                    if (ranges.size() == maxRanges)
                    {
                        return true;
                    }
                    ranges.add(open.build(name));
                    open = null;
                }
            }
            else
            {
                if (null == open)
                {
                    open = new RangeBuilder(key);
                }
                open.add(key, cmp);
            }
            if (cmp <= 0)
            {
                l++;
            }
            if (cmp >= 0)
            {
                r++;
            }
        }
        if (null != open)
        {
            if (ranges.size() == maxRanges)
            {
                return true;
            }
            ranges.add(open.build(name));
        }
        return false;
    }

    /**
     * One side's nodes of a global: encoded subscripts and a hash of each value, in collation order.
     */
    private static final class Nodes
    {
        private final List<byte[]> keys = new ArrayList<>();
        private long[] valueHashes = new long[64];

        static Nodes of(final StoreReader store, final GlobalName name)
        {
            final Nodes nodes = new Nodes();
            store.query(name.database(), name.global(), new SubscriptKey(),
                (key, keyOffset, keyLength, value, valueOffset, valueLength) ->
                {
                    final byte[] copy = new byte[keyLength];
                    key.getBytes(keyOffset, copy);
                    final byte[] valueCopy = new byte[valueLength];
                    value.getBytes(valueOffset, valueCopy);
                    nodes.add(copy, GlobalDigest.pairHash(new byte[0], 0, valueCopy, valueLength));
                    return true;
                });
            return nodes;
        }

        private void add(final byte[] key, final long valueHash)
        {
            if (keys.size() == valueHashes.length)
            {
                valueHashes = java.util.Arrays.copyOf(valueHashes, valueHashes.length * 2);
            }
            valueHashes[keys.size()] = valueHash;
            keys.add(key);
        }

        int size()
        {
            return keys.size();
        }

        byte[] key(final int index)
        {
            return keys.get(index);
        }

        long valueHash(final int index)
        {
            return valueHashes[index];
        }

        int compare(final int index, final Nodes other, final int otherIndex)
        {
            final byte[] a = keys.get(index);
            final byte[] b = other.keys.get(otherIndex);
            return SubscriptCodec.compare(new UnsafeBuffer(a), 0, a.length, new UnsafeBuffer(b), 0, b.length);
        }
    }

    /**
     * A run of differing nodes being walked.
     */
    private static final class RangeBuilder
    {
        private final byte[] first;
        private byte[] last;
        private long onlyLeft;
        private long onlyRight;
        private long differentValues;

        RangeBuilder(final byte[] first)
        {
            this.first = first;
        }

        void add(final byte[] key, final int cmp)
        {
            last = key;
            if (cmp < 0)
            {
                onlyLeft++;
            }
            else if (cmp > 0)
            {
                onlyRight++;
            }
            else
            {
                differentValues++;
            }
        }

        Range build(final GlobalName name)
        {
            return new Range(name, format(first), format(last), onlyLeft, onlyRight, differentValues);
        }

        private static String format(final byte[] key)
        {
            final StringBuilder out = new StringBuilder();
            final DirectBuffer buffer = new UnsafeBuffer(key);
            SubscriptCodec.format(buffer, 0, key.length, out);
            return out.toString();
        }
    }
}
