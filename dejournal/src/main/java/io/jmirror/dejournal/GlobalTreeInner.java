package io.jmirror.dejournal;

import java.util.Arrays;

/**
 * An inner page of a {@link GlobalTree}: up to {@link #MAX_CHILDREN} children and the separator keys between them.
 * Child {@code i} holds the keys {@code k} with {@code keys[i - 1] <= k < keys[i]} (unbounded at either end).
 * <p>
 * Separators are immutable byte arrays, shortened by {@link GlobalTreeLeaf#separator}; inner pages are a small
 * fraction of a tree (one per ~100 leaves), so plain arrays of arrays are simpler than packing them and cost nothing
 * measurable. Same threading rules as the leaf: mutated under the write lock, read optimistically.
 */
final class GlobalTreeInner
{
    /** Fan-out; with 8 KiB leaves of ~60 nodes, two inner levels hold ~10^6 nodes. */
    static final int MAX_CHILDREN = 128;

    private final byte[][] keys = new byte[MAX_CHILDREN - 1][];
    /** {@link GlobalTreeLeaf#head} of each separator, so the search rarely dereferences one. */
    private final long[] heads = new long[MAX_CHILDREN - 1];
    private final Object[] children = new Object[MAX_CHILDREN];
    private int count;

    GlobalTreeInner()
    {
    }

    GlobalTreeInner(final Object left, final byte[] separator, final Object right)
    {
        children[0] = left;
        children[1] = right;
        keys[0] = separator;
        heads[0] = GlobalTreeLeaf.head(separator, 0, separator.length);
        count = 2;
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
        final long head = GlobalTreeLeaf.head(key, 0, keyLength);
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
        System.arraycopy(children, index, children, index + 1, count - index);
        System.arraycopy(keys, index - 1, keys, index, count - index);
        System.arraycopy(heads, index - 1, heads, index, count - index);
        children[index] = child;
        keys[index - 1] = separator;
        heads[index - 1] = GlobalTreeLeaf.head(separator, 0, separator.length);
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
        for (int i = 0; i < leftCount - 1; i++)
        {
            heads[i] = GlobalTreeLeaf.head(keys[i], 0, keys[i].length);
        }
        for (int i = 0; i < rightCount - 1; i++)
        {
            right.heads[i] = GlobalTreeLeaf.head(right.keys[i], 0, right.keys[i].length);
        }
        return allKeys[leftCount - 1];
    }
}
