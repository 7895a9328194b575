package io.jmirror.dejournal;

import java.util.Arrays;

/**
 * An inner page of a {@link GlobalTree}: up to {@link #MAX_CHILDREN} children and the separator keys between them.
 * Child {@code i} holds the keys {@code k} with {@code keys[i - 1] <= k < keys[i]} (unbounded at either end).
 * <p>
 * Separators are immutable byte arrays, shortened by {@link GlobalTreeLeaf#separator}; inner pages are a small
 * fraction of a tree (one per ~100 leaves), so plain arrays of arrays are simpler than packing them. As in the
 * leaf, the search runs over {@code heads}: 8 bytes of each separator after the prefix all separators share, so it
 * reads a separator's own array only when a key agrees with it on those bytes too (such a read is usually a cache
 * miss). Same threading rules as the leaf: mutated under the write lock, read optimistically.
 */
final class GlobalTreeInner
{
    /** Fan-out; with 8 KiB leaves of ~60 nodes, two inner levels hold ~10^6 nodes. */
    static final int MAX_CHILDREN = 128;

    private final byte[][] keys = new byte[MAX_CHILDREN - 1][];
    private final long[] heads = new long[MAX_CHILDREN - 1];
    private final Object[] children = new Object[MAX_CHILDREN];
    private int count;
    private int prefixLength;
    private long prefixBits;

    GlobalTreeInner()
    {
    }

    GlobalTreeInner(final Object left, final byte[] separator, final Object right)
    {
        children[0] = left;
        children[1] = right;
        keys[0] = separator;
        count = 2;
        rehead();
    }

    int count()
    {
        return count;
    }

    Object child(final int index)
    {
        return children[index];
    }

    /**
     * @return index of the child whose range holds {@code key}: the number of separators {@code <= key}.
     */
    int childIndex(final byte[] key, final int keyLength)
    {
        final int prefixLength = this.prefixLength;
        if (prefixLength > 0)
        {
            final long keyPrefix = GlobalTreeLeaf.head(key, 0, Math.min(keyLength, prefixLength));
            if (keyPrefix != prefixBits || keyLength < prefixLength)
            {
                // Outside the shared prefix: below every separator (also as a proper prefix) or above every one.
                return Long.compareUnsigned(keyPrefix, prefixBits) <= 0 ? 0 : count - 1;
            }
        }
        final long head = GlobalTreeLeaf.head(key, prefixLength, keyLength - prefixLength);
        int low = 0;
        int high = count - 1;
        while (low < high)
        {
            final int mid = (low + high) >>> 1;
            int cmp = Long.compareUnsigned(heads[mid], head);
            if (cmp == 0)
            {
                final byte[] separator = keys[mid];
                cmp = Arrays.compareUnsigned(separator, 0, separator.length, key, 0, keyLength);
            }
            if (cmp <= 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        return low;
    }

    boolean isFull()
    {
        return count == MAX_CHILDREN;
    }

    /**
     * Inserts {@code child} at {@code index >= 1}, with {@code separator} as its lower bound.
     */
    void insert(final int index, final byte[] separator, final Object child)
    {
        sharePrefix(separator);
        System.arraycopy(children, index, children, index + 1, count - index);
        System.arraycopy(keys, index - 1, keys, index, count - index);
        System.arraycopy(heads, index - 1, heads, index, count - index);
        children[index] = child;
        keys[index - 1] = separator;
        heads[index - 1] = GlobalTreeLeaf.head(separator, prefixLength, separator.length - prefixLength);
        count++;
    }

    /**
     * Removes child {@code index} and the separator that bounded it, so a neighbour takes over its key range.
     */
    void remove(final int index)
    {
        System.arraycopy(children, index + 1, children, index, count - index - 1);
        children[count - 1] = null;
        if (count > 1)
        {
            final int key = index == 0 ? 0 : index - 1;
            System.arraycopy(keys, key + 1, keys, key, count - 2 - key);
            System.arraycopy(heads, key + 1, heads, key, count - 2 - key);
            keys[count - 2] = null;
        }
        count--;
        if (count <= 1)
        {
            prefixLength = 0;
            prefixBits = 0;
        }
    }

    /**
     * Inserts as {@link #insert} into a full page by splitting it: the upper half moves to {@code right}.
     *
     * @return the separator that now divides this page from {@code right}, for the parent.
     */
    byte[] splitInsert(final GlobalTreeInner right, final int index, final byte[] separator, final Object child)
    {
        final Object[] allChildren = Arrays.copyOf(children, count + 1);
        final byte[][] allKeys = Arrays.copyOf(keys, count);
        System.arraycopy(allChildren, index, allChildren, index + 1, count - index);
        System.arraycopy(allKeys, index - 1, allKeys, index, count - index);
        allChildren[index] = child;
        allKeys[index - 1] = separator;

        final int total = count + 1;
        final int leftCount = total / 2;
        final int rightCount = total - leftCount;
        Arrays.fill(children, null);
        Arrays.fill(keys, null);
        System.arraycopy(allChildren, 0, children, 0, leftCount);
        System.arraycopy(allKeys, 0, keys, 0, leftCount - 1);
        count = leftCount;
        System.arraycopy(allChildren, leftCount, right.children, 0, rightCount);
        System.arraycopy(allKeys, leftCount, right.keys, 0, rightCount - 1);
        right.count = rightCount;
        rehead();
        right.rehead();
        return allKeys[leftCount - 1];
    }

    /**
     * Narrows the shared prefix, if needed, so that it is also a prefix of {@code separator}.
     */
    private void sharePrefix(final byte[] separator)
    {
        final int length = prefixLength;
        final long separatorPrefix = GlobalTreeLeaf.head(separator, 0, Math.min(separator.length, length));
        if (separatorPrefix != prefixBits || separator.length < length)
        {
            final int shared = Long.numberOfLeadingZeros(separatorPrefix ^ prefixBits) / Byte.SIZE;
            setPrefix(Math.min(Math.min(separator.length, length), shared));
        }
    }

    /**
     * Takes the longest prefix (up to 8 bytes) the first and last separators share, so all do, and recomputes the
     * heads.
     */
    private void rehead()
    {
        final byte[] first = keys[0];
        final byte[] last = keys[count - 2];
        final int limit = Math.min(Long.BYTES, Math.min(first.length, last.length));
        final int mismatch = Arrays.mismatch(first, 0, limit, last, 0, limit);
        setPrefix(mismatch < 0 ? limit : mismatch);
    }

    private void setPrefix(final int length)
    {
        prefixLength = length;
        prefixBits = GlobalTreeLeaf.head(keys[0], 0, length);
        for (int i = 0; i < count - 1; i++)
        {
            heads[i] = GlobalTreeLeaf.head(keys[i], length, keys[i].length - length);
        }
    }
}
