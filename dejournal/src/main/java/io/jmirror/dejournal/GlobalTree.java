package io.jmirror.dejournal;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Function;

import io.jmirror.journal.SubscriptCodec;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One global of a {@link GlobalStore}: a B+tree from encoded subscript key to value, in collation order, with an
 * incrementally maintained {@link GlobalDigest}.
 * <p>
 * <b>Structure.</b> Leaves are packed byte pages ({@link GlobalTreeLeaf}), inner pages hold short separator keys
 * ({@link GlobalTreeInner}). A KILL is a prefix range because a node's key is a byte prefix of exactly its
 * descendants' keys ({@link SubscriptCodec}). Leaves left empty are unlinked at once; a leaf that falls below a quarter
 * page is merged into a neighbour under the same parent when the two fit in three quarters of a page. Inner pages are
 * never merged: after mass kills a tree can keep a few sparse inner pages, which costs memory, not correctness.
 * <p>
 * <b>Threads.</b> One dejournal worker writes a global, others read it. Writers take the {@link StampedLock}'s write
 * lock per operation (uncontended: one CAS and one release store). Readers first read optimistically, without
 * writing any shared memory, so they never slow the worker down; the section is retried if a write overlapped it and,
 * after {@value #OPTIMISTIC_ATTEMPTS} failed attempts, run under the read lock, which holds the writer off for one
 * leaf's worth of copying. A torn optimistic read can meet any garbage, so read sections are written to fail by
 * throwing (bounds checks, {@link #TORN}), never by looping or allocating without bound. A reader therefore sees each
 * answer as of some instant between its call and return; walks ({@link GlobalTreeCursor}) are consistent per leaf,
 * not snapshots. Writers may also come from several threads (they serialize on the lock), just more slowly; their
 * scratch space is per thread ({@link StoreWriter}), not per tree.
 */
final class GlobalTree
{
    /** Thrown by read sections that meet state no consistent tree has; means "retry" when validation fails. */
    static final RuntimeException TORN = new TornRead();

    private static final int OPTIMISTIC_ATTEMPTS = 3;
    private static final int MERGE_BELOW = GlobalTreeLeaf.PAGE_SIZE / 4;
    private static final int MERGE_UP_TO = GlobalTreeLeaf.PAGE_SIZE * 3 / 4;

    private final String database;
    private final String global;
    private final byte[] names;
    private final int databaseLength;
    private final int nameHash;
    private static final AtomicLong NEXT_ID = new AtomicLong();

    private final StampedLock lock = new StampedLock();
    private final AtomicLong lockedReads = new AtomicLong();
    /** Orders the write locks of two trees taken together ({@link #setBoth}). */
    private final long id = NEXT_ID.getAndIncrement();

    private Object root = new GlobalTreeLeaf();
    private long nodes;
    private long sum;
    private long xor;

    GlobalTree(
        final String database, final String global, final byte[] databaseBytes, final byte[] globalBytes,
        final int nameHash)
    {
        this.database = database;
        this.global = global;
        // One array for both names: a lookup compares them with one cache miss instead of two.
        this.names = Arrays.copyOf(databaseBytes, databaseBytes.length + globalBytes.length);
        System.arraycopy(globalBytes, 0, names, databaseBytes.length, globalBytes.length);
        this.databaseLength = databaseBytes.length;
        this.nameHash = nameHash;
    }

    String database()
    {
        return database;
    }

    String global()
    {
        return global;
    }

    /**
     * @return the database name's UTF-8 bytes followed by the global name's.
     */
    byte[] names()
    {
        return names;
    }

    /**
     * @return bytes of the database name at the start of {@link #names()}.
     */
    int databaseLength()
    {
        return databaseLength;
    }

    int nameHash()
    {
        return nameHash;
    }

    /**
     * @return how many read sections gave up on optimistic reading and took the read lock.
     */
    long lockedReads()
    {
        return lockedReads.get();
    }

    // ---------------------------------------------------------------------------------------------------- writers

    void set(
        final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength)
    {
        // A big value gets its own array, copied and hashed before the lock is taken (a 16 MiB value takes
        // milliseconds); the page keeps that array as it is.
        final byte[] bigValue = valueLength > GlobalTreeLeaf.MAX_INLINE_VALUE ? new byte[valueLength] : null;
        long bigHash = 0;
        if (bigValue != null)
        {
            value.getBytes(valueOffset, bigValue);
            bigHash = GlobalDigest.xxh64(bigValue, 0, valueLength,
                GlobalDigest.xxh64(key, keyOffset, keyLength, GlobalDigest.KEY_SEED));
        }
        final StoreWriter writer = StoreWriter.current();
        final GlobalTreePath writePath = writer.path();
        final long stamp = lock.writeLock();
        try
        {
            final byte[] k = writer.key(key, keyOffset, keyLength);
            final byte[] v = bigValue != null ? bigValue : writer.value(value, valueOffset, valueLength);
            // Hashed from the copies: array reads are faster than reads through a DirectBuffer.
            final long hash = bigValue != null ? bigHash : GlobalDigest.pairHash(k, keyLength, v, valueLength);
            final GlobalTreeLeaf leaf = writePath.descend(root, k, keyLength);
            write(writePath, leaf, leaf.search(k, keyLength), k, keyLength, v, valueLength, hash);
        }
        finally
        {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Sets a node in each of two different trees, as {@link #set} twice would, but finds both places at once: the
     * two descents and leaf searches are interleaved step by step, so that the processor waits for memory for both
     * records together instead of one after the other.
     * <p>
     * Why: in a store larger than the caches a SET is bound by memory latency, one dependent miss after another
     * from the root to the entry (about a microsecond), while the core sits idle. Two independent chains walked side
     * by side overlap their misses; measured, finding and overwriting two nodes this way took 20 to 40% less time
     * than one after the other. Values must be inline (at most {@link GlobalTreeLeaf#MAX_INLINE_VALUE} bytes).
     * <p>
     * Both write locks are held at once, taken in the order of the trees' ids, so two threads setting the same two
     * trees cannot deadlock.
     */
    static void setBoth(
        final GlobalTree first, final DirectBuffer firstKey, final int firstKeyOffset, final int firstKeyLength,
        final DirectBuffer firstValue, final int firstValueOffset, final int firstValueLength,
        final GlobalTree second, final DirectBuffer secondKey, final int secondKeyOffset, final int secondKeyLength,
        final DirectBuffer secondValue, final int secondValueOffset, final int secondValueLength)
    {
        final StoreWriter writer = StoreWriter.current();
        final GlobalTree lockedFirst = first.id < second.id ? first : second;
        final GlobalTree lockedSecond = first.id < second.id ? second : first;
        final long stamp = lockedFirst.lock.writeLock();
        try
        {
            final long otherStamp = lockedSecond.lock.writeLock();
            try
            {
                final byte[] k1 = writer.key(firstKey, firstKeyOffset, firstKeyLength);
                final byte[] v1 = writer.value(firstValue, firstValueOffset, firstValueLength);
                final byte[] k2 = writer.other().key(secondKey, secondKeyOffset, secondKeyLength);
                final byte[] v2 = writer.other().value(secondValue, secondValueOffset, secondValueLength);
                final long hash1 = GlobalDigest.pairHash(k1, firstKeyLength, v1, firstValueLength);
                final long hash2 = GlobalDigest.pairHash(k2, secondKeyLength, v2, secondValueLength);
                final GlobalTreePath path1 = writer.path().start(first.root);
                final GlobalTreePath path2 = writer.other().path().start(second.root);
                boolean more1 = true;
                boolean more2 = true;
                while (more1 | more2)
                {
                    more1 = more1 && path1.down(k1, firstKeyLength);
                    more2 = more2 && path2.down(k2, secondKeyLength);
                }
                final GlobalTreeLeaf leaf1 = path1.leaf();
                final GlobalTreeLeaf leaf2 = path2.leaf();
                final int index1 = leaf1.search(k1, firstKeyLength);
                final int index2 = leaf2.search(k2, secondKeyLength);
                first.write(path1, leaf1, index1, k1, firstKeyLength, v1, firstValueLength, hash1);
                second.write(path2, leaf2, index2, k2, secondKeyLength, v2, secondValueLength, hash2);
            }
            finally
            {
                lockedSecond.lock.unlockWrite(otherStamp);
            }
        }
        finally
        {
            lockedFirst.lock.unlockWrite(stamp);
        }
    }

    /**
     * The write half of a SET, under the write lock: overwrite or insert at the searched {@code index}.
     */
    private void write(
        final GlobalTreePath writePath, final GlobalTreeLeaf leaf, final int index,
        final byte[] k, final int keyLength, final byte[] v, final int valueLength, final long hash)
    {
        if (index >= 0)
        {
            final long old = leaf.hash(index);
            if (!leaf.overwrite(index, v, valueLength, hash))
            {
                leaf.remove(index, index + 1);
                insert(writePath, leaf, index, k, keyLength, v, valueLength, hash);
            }
            sum += hash - old;
            xor ^= hash ^ old;
        }
        else
        {
            insert(writePath, leaf, -index - 1, k, keyLength, v, valueLength, hash);
            nodes++;
            sum += hash;
            xor ^= hash;
        }
    }

    /**
     * Removes the node and all its descendants: every key that starts with {@code key}.
     */
    void kill(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        final StoreWriter writer = StoreWriter.current();
        final GlobalTreePath writePath = writer.path();
        final long stamp = lock.writeLock();
        try
        {
            if (keyLength == 0)
            {
                root = new GlobalTreeLeaf();
                nodes = 0;
                sum = 0;
                xor = 0;
                return;
            }
            final byte[] prefix = writer.key(key, keyOffset, keyLength);
            final byte[] upper = writer.upper(keyLength);
            final int upperLength = upperBound(prefix, keyLength, upper);
            while (true)
            {
                GlobalTreeLeaf leaf = writePath.descend(root, prefix, keyLength);
                int from = leaf.bound(prefix, keyLength, true);
                if (from == leaf.count())
                {
                    leaf = writePath.next();
                    if (leaf == null)
                    {
                        return;
                    }
                    from = 0;
                }
                final int to = upperLength < 0 ? leaf.count() : leaf.bound(upper, upperLength, true);
                if (from >= to)
                {
                    return;
                }
                final boolean more = to == leaf.count();
                for (int i = from; i < to; i++)
                {
                    final long hash = leaf.hash(i);
                    sum -= hash;
                    xor ^= hash;
                }
                nodes -= to - from;
                leaf.remove(from, to);
                afterRemove(writePath, leaf);
                if (!more)
                {
                    return;
                }
            }
        }
        finally
        {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Removes the node only; its descendants stay.
     */
    void zkill(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        final StoreWriter writer = StoreWriter.current();
        final GlobalTreePath writePath = writer.path();
        final long stamp = lock.writeLock();
        try
        {
            final byte[] k = writer.key(key, keyOffset, keyLength);
            final GlobalTreeLeaf leaf = writePath.descend(root, k, keyLength);
            final int index = leaf.search(k, keyLength);
            if (index >= 0)
            {
                final long hash = leaf.hash(index);
                sum -= hash;
                xor ^= hash;
                nodes--;
                leaf.remove(index, index + 1);
                afterRemove(writePath, leaf);
            }
        }
        finally
        {
            lock.unlockWrite(stamp);
        }
    }

    // ---------------------------------------------------------------------------------------------------- readers

    /**
     * Runs a read section over the root: optimistically, retried when a write overlapped it, and finally under the
     * read lock. The section must be repeatable and must only read the tree.
     */
    <T> T read(final Function<Object, T> section)
    {
        for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++)
        {
            final long stamp = lock.tryOptimisticRead();
            if (stamp != 0)
            {
                try
                {
                    final T result = section.apply(root);
                    if (lock.validate(stamp))
                    {
                        return result;
                    }
                }
                catch (final RuntimeException ex)
                {
                    if (lock.validate(stamp))
                    {
                        throw ex;
                    }
                }
            }
            Thread.onSpinWait();
        }
        lockedReads.incrementAndGet();
        final long stamp = lock.readLock();
        try
        {
            return section.apply(root);
        }
        finally
        {
            lock.unlockRead(stamp);
        }
    }

    /**
     * @return a copy of the node's value, or null if it has none.
     */
    byte[] get(final byte[] key)
    {
        final GlobalTreePath path = new GlobalTreePath();
        return read((root) ->
        {
            final GlobalTreeLeaf leaf = path.descend(root, key, key.length);
            final int index = leaf.search(key, key.length);
            return index < 0 ? null : leaf.valueCopy(index);
        });
    }

    /**
     * @return the first key {@code >= key} ({@code inclusive}) or {@code > key}, or null.
     */
    byte[] ceilingKey(final byte[] key, final boolean inclusive)
    {
        final GlobalTreePath path = new GlobalTreePath();
        return read((root) ->
        {
            GlobalTreeLeaf leaf = path.descend(root, key, key.length);
            int index = leaf.bound(key, key.length, inclusive);
            if (index >= leaf.count())
            {
                leaf = path.next();
                index = 0;
            }
            return leaf != null && index < leaf.count() ? leaf.keyCopy(index) : null;
        });
    }

    /**
     * @param key null for the last key of the tree.
     * @return the last key {@code <= key} ({@code inclusive}) or {@code < key}, or null.
     */
    byte[] floorKey(final byte[] key, final boolean inclusive)
    {
        final GlobalTreePath path = new GlobalTreePath();
        return read((root) ->
        {
            GlobalTreeLeaf leaf;
            int index;
            if (key == null)
            {
                leaf = path.descendLast(root);
                index = leaf.count() - 1;
            }
            else
            {
                leaf = path.descend(root, key, key.length);
                index = leaf.bound(key, key.length, !inclusive) - 1;
            }
            if (index < 0)
            {
                leaf = path.previous();
                index = leaf == null ? -1 : leaf.count() - 1;
            }
            return index >= 0 ? leaf.keyCopy(index) : null;
        });
    }

    /**
     * IRIS {@code $ORDER} on encoded keys: the key of the next ({@code direction = 1}) or previous ({@code -1})
     * sibling of the node {@code key} that has a value or descendants, skipping {@code key}'s own descendants.
     *
     * @return the sibling's key (as deep as {@code key}), or null when there is none.
     * @throws IllegalArgumentException for the root key, a malformed key or a direction other than 1 and -1.
     */
    byte[] order(final byte[] key, final int direction)
    {
        final int depth = orderDepth(key, direction);
        final int parentLength = SubscriptCodec.prefixLength(new UnsafeBuffer(key), 0, key.length, depth - 1);
        final byte[] found;
        if (direction > 0)
        {
            final byte[] after = upperBound(key);
            found = after == null ? null : ceilingKey(after, true);
        }
        else
        {
            found = floorKey(key, false);
        }
        return childOf(key, parentLength, found, depth);
    }

    /**
     * IRIS {@code $ORDER(^G(parent,""), direction)} on encoded keys: the first ({@code direction = 1}) or last
     * ({@code -1}) child of {@code parent} that has a value or descendants.
     *
     * @return the child's key (one subscript deeper than {@code parent}), or null when there is none.
     * @throws IllegalArgumentException for a malformed key or a direction other than 1 and -1.
     */
    byte[] orderChild(final byte[] parent, final int direction)
    {
        final int depth = orderChildDepth(parent, direction);
        final byte[] found = direction > 0 ? ceilingKey(parent, false) : floorKey(upperBound(parent), false);
        return childOf(parent, parent.length, found, depth);
    }

    /**
     * @return {@code found} cut to {@code depth} subscripts when it lies under the first {@code parentLength} bytes of
     * {@code key}, else null.
     */
    private static byte[] childOf(final byte[] key, final int parentLength, final byte[] found, final int depth)
    {
        if (found == null || found.length <= parentLength ||
            !Arrays.equals(found, 0, parentLength, key, 0, parentLength))
        {
            return null;
        }
        return Arrays.copyOf(found, SubscriptCodec.prefixLength(new UnsafeBuffer(found), 0, found.length, depth));
    }

    /**
     * Checks the arguments of {@link #order}.
     *
     * @return the key's depth (number of subscripts), at least 1.
     */
    static int orderDepth(final byte[] key, final int direction)
    {
        final int depth = orderChildDepth(key, direction) - 1;
        if (depth == 0)
        {
            throw new IllegalArgumentException("$ORDER needs at least one subscript: the root node has no siblings");
        }
        return depth;
    }

    /**
     * Checks the arguments of {@link #orderChild}.
     *
     * @return the depth of the parent's children: its number of subscripts plus one.
     */
    static int orderChildDepth(final byte[] parent, final int direction)
    {
        if (direction != 1 && direction != -1)
        {
            throw new IllegalArgumentException("$ORDER direction must be 1 or -1: direction=" + direction);
        }
        final UnsafeBuffer view = new UnsafeBuffer(parent);
        SubscriptCodec.validate(view, 0, parent.length);
        return SubscriptCodec.count(view, 0, parent.length) + 1;
    }

    /**
     * @return number of nodes with a value.
     */
    long size()
    {
        return read((root) -> nodes);
    }

    /**
     * @return levels of pages from the root to the leaves, 1 when the root is a leaf; for tests.
     */
    int height()
    {
        return read((root) ->
        {
            int height = 1;
            Object page = root;
            while (page instanceof GlobalTreeInner && height <= GlobalTreePath.MAX_DEPTH)
            {
                page = ((GlobalTreeInner)page).child(0);
                height++;
            }
            return height;
        });
    }

    GlobalDigest digest()
    {
        return read((root) -> nodes == 0 ? GlobalDigest.EMPTY : new GlobalDigest(nodes, sum, xor));
    }

    /**
     * @param prefix walk the node with this key and its descendants; empty for the whole global.
     */
    GlobalTreeCursor cursor(final byte[] prefix)
    {
        return new GlobalTreeCursor(this, prefix);
    }

    /**
     * The smallest byte string greater than every key that starts with {@code prefix}: the prefix with trailing
     * 0xFF bytes dropped and its last byte incremented.
     *
     * @return the bound, or null if every key starting from {@code prefix} qualifies.
     */
    static byte[] upperBound(final byte[] prefix)
    {
        int length = prefix.length;
        while (length > 0 && prefix[length - 1] == (byte)0xFF)
        {
            length--;
        }
        if (length == 0)
        {
            return null;
        }
        final byte[] upper = Arrays.copyOf(prefix, length);
        upper[length - 1]++;
        return upper;
    }

    // ---------------------------------------------------------------------------------------------------- internals

    /**
     * Writes {@link #upperBound} of the first {@code length} bytes of {@code prefix} to {@code upper}.
     *
     * @return its length, or -1 if there is no bound.
     */
    private static int upperBound(final byte[] prefix, final int length, final byte[] upper)
    {
        int n = length;
        while (n > 0 && prefix[n - 1] == (byte)0xFF)
        {
            n--;
        }
        if (n == 0)
        {
            return -1;
        }
        System.arraycopy(prefix, 0, upper, 0, n);
        upper[n - 1]++;
        return n;
    }

    private void insert(
        final GlobalTreePath writePath, final GlobalTreeLeaf leaf, final int index,
        final byte[] key, final int keyLength, final byte[] value, final int valueLength, final long hash)
    {
        if (leaf.insert(index, key, keyLength, value, valueLength, hash, false))
        {
            return;
        }
        final GlobalTreeLeaf right = leaf.split();
        final int leftCount = leaf.count();
        if (index <= leftCount)
        {
            leaf.insert(index, key, keyLength, value, valueLength, hash, true);
        }
        else
        {
            right.insert(index - leftCount, key, keyLength, value, valueLength, hash, true);
        }
        addChild(writePath, writePath.depth() - 1, GlobalTreeLeaf.separator(leaf, right), right);
    }

    /**
     * Adds a new right sibling after the path's page at {@code level + 1}, splitting inner pages upwards as needed.
     */
    private void addChild(
        final GlobalTreePath writePath, final int level, final byte[] separator, final Object child)
    {
        byte[] key = separator;
        Object sibling = child;
        for (int at = level; at >= 0; at--)
        {
            final GlobalTreeInner inner = writePath.page(at);
            final int index = writePath.index(at) + 1;
            if (!inner.isFull())
            {
                inner.insert(index, key, sibling);
                return;
            }
            final GlobalTreeInner right = new GlobalTreeInner();
            key = inner.splitInsert(right, index, key, sibling);
            sibling = right;
        }
        root = new GlobalTreeInner(root, key, sibling);
    }

    /**
     * After entries left the path's leaf: unlinks it if empty, or merges it with a neighbour if both are small.
     */
    private void afterRemove(final GlobalTreePath writePath, final GlobalTreeLeaf leaf)
    {
        final int depth = writePath.depth();
        if (depth == 0)
        {
            return;
        }
        final GlobalTreeInner parent = writePath.page(depth - 1);
        final int index = writePath.index(depth - 1);
        if (leaf.count() == 0)
        {
            unlinkEmptyLeaf(writePath, depth);
        }
        else if (leaf.liveBytes() < MERGE_BELOW)
        {
            if (index + 1 < parent.count() && fits(leaf, parent.child(index + 1)))
            {
                leaf.merge((GlobalTreeLeaf)parent.child(index + 1));
                parent.remove(index + 1);
                collapseRoot();
            }
            else if (index > 0 && fits(leaf, parent.child(index - 1)))
            {
                ((GlobalTreeLeaf)parent.child(index - 1)).merge(leaf);
                parent.remove(index);
                collapseRoot();
            }
        }
    }

    private static boolean fits(final GlobalTreeLeaf leaf, final Object sibling)
    {
        return ((GlobalTreeLeaf)sibling).liveBytes() + leaf.liveBytes() <= MERGE_UP_TO;
    }

    private void unlinkEmptyLeaf(final GlobalTreePath writePath, final int depth)
    {
        for (int level = depth - 1; level >= 0; level--)
        {
            final GlobalTreeInner inner = writePath.page(level);
            inner.remove(writePath.index(level));
            if (inner.count() > 0)
            {
                collapseRoot();
                return;
            }
        }
        root = new GlobalTreeLeaf();
    }

    private void collapseRoot()
    {
        while (root instanceof GlobalTreeInner && ((GlobalTreeInner)root).count() == 1)
        {
            root = ((GlobalTreeInner)root).child(0);
        }
    }

    /**
     * The one instance of {@link #TORN}: no stack trace, since it is thrown for control flow under contention.
     */
    private static final class TornRead extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        TornRead()
        {
            super("torn optimistic read of a global tree (a bug if seen outside GlobalTree.read)", null, false, false);
        }
    }
}
