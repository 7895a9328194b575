package io.jmirror.dejournal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.SubscriptCodec;
import io.jmirror.journal.SubscriptKey;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * A {@link RocksDbTarget} at one instant, from {@link RocksDbTarget#readView()}: every read through it sees the same
 * RocksDB snapshot, across globals. With isolated readers ({@link DejournalContext#isolatedReaders(boolean)}) it also
 * shows no part of a transaction that is still open: a node an open transaction changed shows the before-image of
 * that transaction's first change (from a copy of the {@link OpenTransactionOverlay} taken with the snapshot), so a
 * node it created is not there and a node it killed still is, in {@link #get}, {@link #order}, {@link #orderChild},
 * {@link #query} and {@link #digests()} alike. Records outside transactions show as applied, except on a node an
 * open transaction changed, which shows its before-image until that transaction ends.
 * <p>
 * A view holds its snapshot, which keeps RocksDB from dropping what was overwritten since: close it soon. Used by one
 * thread at a time; close it before the target (closing the target closes the views left open).
 */
public final class RocksDbReadView implements StoreReader, AutoCloseable
{
    private final RocksDbTarget target;
    private final RocksDB db;
    private final Snapshot snapshot;
    private final ReadOptions readOptions;
    /** Sorted node keys open transactions changed, and their before-images ({@link OpenTransactionOverlay#ABSENT}). */
    private final byte[][] hiddenKeys;
    private final byte[][] befores;
    private boolean isClosed;

    RocksDbReadView(final RocksDbTarget target, final RocksDB db, final Snapshot snapshot, final byte[][][] hidden)
    {
        this.target = target;
        this.db = db;
        this.snapshot = snapshot;
        this.readOptions = new ReadOptions().setSnapshot(snapshot);
        this.hiddenKeys = hidden[0];
        this.befores = hidden[1];
    }

    /**
     * @return nodes this view shows at their before-image because an open transaction changed them.
     */
    public int hiddenNodes()
    {
        return hiddenKeys.length;
    }

    @Override
    public byte[] get(
        final String database, final String global, final DirectBuffer key, final int keyOffset,
        final int keyLength)
    {
        checkOpen();
        final byte[] names = RocksDbTarget.names(database, global);
        final byte[] full = new byte[names.length + keyLength];
        System.arraycopy(names, 0, full, 0, names.length);
        key.getBytes(keyOffset, full, names.length, keyLength);
        final int hidden = Arrays.binarySearch(hiddenKeys, full, Arrays::compareUnsigned);
        if (hidden >= 0)
        {
            return befores[hidden] == OpenTransactionOverlay.ABSENT ? null : befores[hidden].clone();
        }
        try
        {
            return db.get(readOptions, full);
        }
        catch (final RocksDBException ex)
        {
            throw target.readFailed(ex);
        }
    }

    /**
     * IRIS {@code $ORDER}, as {@link RocksDbTarget#order}, in this view.
     *
     * @return a new key for the sibling, or null at the end.
     */
    public SubscriptKey order(final String database, final String global, final SubscriptKey key, final int direction)
    {
        final byte[] subscripts = key.toByteArray();
        final int depth = GlobalTree.orderDepth(subscripts, direction);
        final byte[] names = RocksDbTarget.names(database, global);
        final byte[] full = RocksDbTarget.concat(names, subscripts);
        final int parentLength = names.length + SubscriptCodec.prefixLength(key.buffer(), 0, key.length(), depth - 1);
        checkOpen();
        try (RocksIterator it = db.newIterator(readOptions))
        {
            final byte[] found = direction > 0 ?
                ceiling(it, RocksDbKeyDescriptor.successor(full, full.length), true) : floor(it, full, false);
            return RocksDbTarget.sibling(found, full, parentLength, names.length, depth);
        }
    }

    /**
     * IRIS {@code $ORDER(^G(parent,""), direction)}, as {@link RocksDbTarget#orderChild}, in this view.
     *
     * @return a new key for the child, or null when it has none.
     */
    public SubscriptKey orderChild(
        final String database, final String global, final SubscriptKey parent, final int direction)
    {
        final byte[] subscripts = parent.toByteArray();
        final int depth = GlobalTree.orderChildDepth(subscripts, direction);
        final byte[] names = RocksDbTarget.names(database, global);
        final byte[] full = RocksDbTarget.concat(names, subscripts);
        checkOpen();
        try (RocksIterator it = db.newIterator(readOptions))
        {
            final byte[] found = direction > 0 ? ceiling(it, full, false) :
                floor(it, RocksDbKeyDescriptor.successor(full, full.length), false);
            return RocksDbTarget.sibling(found, full, full.length, names.length, depth);
        }
    }

    @Override
    public void query(
        final String database, final String global, final SubscriptKey prefix, final GlobalStore.NodeVisitor visitor)
    {
        final byte[] names = RocksDbTarget.names(database, global);
        final byte[] full = RocksDbTarget.concat(names, prefix.toByteArray());
        final UnsafeBuffer keyView = new UnsafeBuffer(0, 0);
        final UnsafeBuffer valueView = new UnsafeBuffer(0, 0);
        walk(full, full, (key, value) ->
        {
            keyView.wrap(key);
            valueView.wrap(value);
            return visitor.onNode(keyView, names.length, key.length - names.length, valueView, 0, value.length);
        });
    }

    /**
     * @return the global's digest in this view; {@link GlobalDigest#EMPTY} if it has no nodes.
     */
    public GlobalDigest digest(final String database, final String global)
    {
        final byte[] names = RocksDbTarget.names(database, global);
        final RocksDbTarget.DigestSum sum = new RocksDbTarget.DigestSum();
        walk(names, names, (key, value) ->
        {
            sum.add(key, names.length, value);
            return true;
        });
        return sum.digest();
    }

    /**
     * The digest of every global that has nodes in this view, by database then global name, as
     * {@link RocksDbTarget#digests()} computes them.
     */
    @Override
    public Map<GlobalName, GlobalDigest> digests()
    {
        final Map<GlobalName, GlobalDigest> digests = new TreeMap<>(RocksDbTarget.NAME_ORDER);
        final byte[][] names = new byte[1][];
        final RocksDbTarget.DigestSum[] sum = new RocksDbTarget.DigestSum[1];
        walk(RocksDbKeyDescriptor.FIRST_NODE_KEY, new byte[0], (key, value) ->
        {
            if (null == names[0] || !RocksDbKeyDescriptor.startsWith(key, names[0], names[0].length))
            {
                if (null != sum[0])
                {
                    digests.put(RocksDbTarget.name(names[0]), sum[0].digest());
                }
                names[0] = Arrays.copyOf(key, RocksDbKeyDescriptor.subscriptsOffset(key, key.length));
                sum[0] = new RocksDbTarget.DigestSum();
            }
            sum[0].add(key, names[0].length, value);
            return true;
        });
        if (null != sum[0])
        {
            digests.put(RocksDbTarget.name(names[0]), sum[0].digest());
        }
        return new LinkedHashMap<>(digests);
    }

    /**
     * Visits the visible nodes from {@code from} on, in key order, while they start with {@code prefix}: the
     * snapshot's nodes that no open transaction changed merged with the before-images that hold a value.
     */
    private void walk(final byte[] from, final byte[] prefix, final PairVisitor visitor)
    {
        checkOpen();
        try (RocksIterator it = db.newIterator(readOptions))
        {
            it.seek(from);
            int hidden = lowerBound(from, true);
            while (true)
            {
                skipHidden(it, true);
                while (hidden < hiddenKeys.length && befores[hidden] == OpenTransactionOverlay.ABSENT)
                {
                    hidden++;
                }
                final byte[] stored = it.isValid() ? it.key() : null;
                final byte[] before = hidden < hiddenKeys.length ? hiddenKeys[hidden] : null;
                final boolean fromSnapshot = null != stored &&
                    (null == before || Arrays.compareUnsigned(stored, before) < 0);
                final byte[] key = fromSnapshot ? stored : before;
                if (null == key || !RocksDbKeyDescriptor.startsWith(key, prefix, prefix.length))
                {
                    return;
                }
                final boolean goOn = visitor.onPair(key, fromSnapshot ? it.value() : befores[hidden]);
                if (!goOn)
                {
                    return;
                }
                if (fromSnapshot)
                {
                    it.next();
                }
                else
                {
                    hidden++;
                }
            }
        }
    }

    /**
     * @return the first visible key at or after ({@code inclusive}) or after {@code key}, or null.
     */
    private byte[] ceiling(final RocksIterator it, final byte[] key, final boolean inclusive)
    {
        it.seek(key);
        if (!inclusive && it.isValid() && Arrays.equals(it.key(), key))
        {
            it.next();
        }
        skipHidden(it, true);
        int hidden = lowerBound(key, inclusive);
        while (hidden < hiddenKeys.length && befores[hidden] == OpenTransactionOverlay.ABSENT)
        {
            hidden++;
        }
        final byte[] stored = it.isValid() ? it.key() : null;
        final byte[] before = hidden < hiddenKeys.length ? hiddenKeys[hidden] : null;
        return min(stored, before, 1);
    }

    /**
     * @return the last visible key at or before ({@code inclusive}) or before {@code key}, or null.
     */
    private byte[] floor(final RocksIterator it, final byte[] key, final boolean inclusive)
    {
        it.seekForPrev(key);
        if (!inclusive && it.isValid() && Arrays.equals(it.key(), key))
        {
            it.prev();
        }
        skipHidden(it, false);
        // The last hidden key at or before (or before) the key.
        int hidden = lowerBound(key, !inclusive) - 1;
        while (hidden >= 0 && befores[hidden] == OpenTransactionOverlay.ABSENT)
        {
            hidden--;
        }
        final byte[] stored = it.isValid() ? it.key() : null;
        final byte[] before = hidden >= 0 ? hiddenKeys[hidden] : null;
        return min(stored, before, -1);
    }

    /**
     * Moves the iterator past the snapshot's nodes that an open transaction changed: the view shows their
     * before-image instead.
     */
    private void skipHidden(final RocksIterator it, final boolean forward)
    {
        while (it.isValid() && Arrays.binarySearch(hiddenKeys, it.key(), Arrays::compareUnsigned) >= 0)
        {
            if (forward)
            {
                it.next();
            }
            else
            {
                it.prev();
            }
        }
    }

    /**
     * @return the index of the first hidden key at or after ({@code inclusive}) or after {@code key}.
     */
    private int lowerBound(final byte[] key, final boolean inclusive)
    {
        final int found = Arrays.binarySearch(hiddenKeys, key, Arrays::compareUnsigned);
        if (found >= 0)
        {
            return inclusive ? found : found + 1;
        }
        return -found - 1;
    }

    /**
     * @return the smaller ({@code sign} 1) or larger ({@code sign} -1) of two keys, either of which may be null.
     */
    private static byte[] min(final byte[] a, final byte[] b, final int sign)
    {
        if (null == a)
        {
            return b;
        }
        if (null == b)
        {
            return a;
        }
        return sign * Arrays.compareUnsigned(a, b) <= 0 ? a : b;
    }

    private void checkOpen()
    {
        if (isClosed)
        {
            throw new DejournalException(DejournalException.Code.CLOSED, "RocksDB read view is closed: dir=" +
                target.dir());
        }
    }

    /**
     * Releases the snapshot. Safe to call twice.
     */
    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        target.release(this, snapshot);
        readOptions.close();
    }

    /**
     * Gets a key and its value as the view shows them.
     */
    @FunctionalInterface
    private interface PairVisitor
    {
        boolean onPair(byte[] key, byte[] value);
    }
}
