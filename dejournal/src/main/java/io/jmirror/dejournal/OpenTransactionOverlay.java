package io.jmirror.dejournal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.jmirror.journal.BeforeImageDescriptor;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordType;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * What the nodes that open transactions changed held before: node key (in the {@link RocksDbKeyDescriptor} layout)
 * to the before-image of the first change to it, so that a {@link RocksDbReadView} shows no part of an open
 * transaction while the workers apply its records in journal order.
 * <p>
 * <b>When entries come and go.</b> A worker adds the entry in {@link #beforeWrite} before it writes the record; the
 * entries leave in {@link #onTransactionEnd}, once the transaction's TCOMMIT or TROLLBACK reached the target, which
 * is after every worker applied its records (and, for a rollback, their undo). Both hold {@link #lock()}, which a
 * view also holds while it copies the entries and takes its RocksDB snapshot: a node written in the snapshot by an
 * open transaction had its entry added before, so the copy has it; a transaction whose entries were gone before the
 * copy had all its records applied before, so the snapshot has all of it.
 * <p>
 * <b>Groups.</b> Two open transactions that change one node (the second writes over the first's uncommitted value),
 * or a KILL over nodes another open transaction changed, are put in one group, and a group's entries leave only
 * when its last transaction ends. Otherwise the first to commit would show its other nodes while that node stayed
 * behind the other's before-image: part of a committed transaction. Applications that lock what their transactions
 * change never share nodes, so each group is one transaction.
 * <p>
 * <b>Writes outside transactions</b> do not look at the entries: a node an open transaction changed shows its
 * before-image until that transaction ends, even when a write outside transactions changed it meanwhile. That write
 * shows late, never a part of a transaction; dropping the entry instead would cost every write outside transactions
 * a look-up under the lock, and could not be done before the write without showing the transaction's value.
 * <p>
 * The before-images are the journal's own (v2 records of transactions carry them), so no read is needed; a record
 * of a transaction without one (an older journal) has the node read from the store before it is written, which the
 * worker that owns the global can do because nobody else writes that node.
 */
final class OpenTransactionOverlay
{
    /** A view's before-image of a node that had no value. Compared by identity: an empty value is a value. */
    static final byte[] ABSENT = new byte[0];

    private final Object lock = new Object();
    private final TreeMap<byte[], Entry> entries = new TreeMap<>(Arrays::compareUnsigned);
    private final Long2ObjectHashMap<Group> groups = new Long2ObjectHashMap<>();
    private final RocksDB db;

    /**
     * @param db read for the current value of a node whose record carries no before-image.
     */
    OpenTransactionOverlay(final RocksDB db)
    {
        this.db = db;
    }

    /**
     * The lock that adding and removing entries hold; a view holds it while it copies them and takes its snapshot.
     */
    Object lock()
    {
        return lock;
    }

    /**
     * On the worker thread, before the worker writes {@code record}, a SET, KILL or ZKILL of a transaction.
     */
    void beforeWrite(final JournalRecord record)
    {
        final long transactionId = record.transactionId();
        final byte[] key = nodeKey(record, record.buffer(), record.keyOffset(), record.keyLength());
        final RecordType type = record.type();
        if (type == RecordType.KILL)
        {
            final List<byte[]> nodes = new ArrayList<>();
            final byte[] end = RocksDbKeyDescriptor.successor(key, key.length);
            if (record.hasBeforeImage())
            {
                record.forEachBeforeNode((buffer, keyOffset, keyLength, valueOffset, valueLength) ->
                {
                    nodes.add(nodeKey(record, buffer, keyOffset, keyLength));
                    final byte[] value = new byte[valueLength];
                    buffer.getBytes(valueOffset, value);
                    nodes.add(value);
                });
            }
            else
            {
                readRange(key, end, nodes);
            }
            synchronized (lock)
            {
                final Group group = group(transactionId);
                // Nodes under the KILL that another open transaction changed, also those it left without a value.
                mergeRange(group, key, end);
                for (int i = 0; i < nodes.size(); i += 2)
                {
                    add(group, nodes.get(i), nodes.get(i + 1));
                }
            }
        }
        else if (type == RecordType.SET || type == RecordType.ZKILL)
        {
            final byte[] before = beforeValue(record, key);
            synchronized (lock)
            {
                add(group(transactionId), key, before);
            }
        }
    }

    /**
     * On the dispatcher thread, once the transaction's TCOMMIT or TROLLBACK reached the target: every record of it
     * is applied. Its group's entries leave when it was the group's last open transaction.
     */
    void onTransactionEnd(final long transactionId)
    {
        synchronized (lock)
        {
            final Group group = groups.remove(transactionId);
            if (null == group || --group.open > 0)
            {
                return;
            }
            for (final byte[] key : group.keys)
            {
                final Entry entry = entries.get(key);
                if (null != entry && entry.group == group)
                {
                    entries.remove(key);
                }
            }
        }
    }

    /**
     * Under {@link #lock()}: the entries as sorted arrays of keys and before-images ({@link #ABSENT} for none),
     * which a view keeps; the arrays in them are never changed.
     */
    byte[][][] copy()
    {
        final byte[][] keys = new byte[entries.size()][];
        final byte[][] befores = new byte[entries.size()][];
        int i = 0;
        for (final Map.Entry<byte[], Entry> entry : entries.entrySet())
        {
            keys[i] = entry.getKey();
            befores[i] = entry.getValue().before;
            i++;
        }
        return new byte[][][] {keys, befores};
    }

    /**
     * @return nodes hidden now, for status and tests.
     */
    int size()
    {
        synchronized (lock)
        {
            return entries.size();
        }
    }

    /**
     * @return open transactions that changed a node, for status and tests.
     */
    int openTransactions()
    {
        synchronized (lock)
        {
            return groups.size();
        }
    }

    private Group group(final long transactionId)
    {
        Group group = groups.get(transactionId);
        if (null == group)
        {
            group = new Group();
            group.transactions.addLong(transactionId);
            groups.put(transactionId, group);
        }
        return group;
    }

    private void add(final Group group, final byte[] key, final byte[] before)
    {
        final Entry entry = entries.get(key);
        if (null == entry)
        {
            entries.put(key, new Entry(before, group));
            group.keys.add(key);
        }
        else if (entry.group != group)
        {
            merge(group, entry.group);
        }
    }

    private void mergeRange(final Group group, final byte[] from, final byte[] to)
    {
        Group other = findOther(group, from, to);
        while (null != other)
        {
            merge(group, other);
            other = findOther(group, from, to);
        }
    }

    private Group findOther(final Group group, final byte[] from, final byte[] to)
    {
        final Iterator<Entry> it = entries.subMap(from, true, to, false).values().iterator();
        while (it.hasNext())
        {
            final Entry entry = it.next();
            if (entry.group != group)
            {
                return entry.group;
            }
        }
        return null;
    }

    /**
     * Makes {@code into} and {@code from} one group: the smaller one's transactions and entries move.
     */
    private void merge(final Group into, final Group from)
    {
        final Group big = into.keys.size() >= from.keys.size() ? into : from;
        final Group small = big == into ? from : into;
        for (final byte[] key : small.keys)
        {
            final Entry entry = entries.get(key);
            if (null != entry && entry.group == small)
            {
                entry.group = big;
                big.keys.add(key);
            }
        }
        for (int i = 0; i < small.transactions.size(); i++)
        {
            final long transactionId = small.transactions.getLong(i);
            big.transactions.addLong(transactionId);
            groups.put(transactionId, big);
        }
        big.open += small.open;
        small.keys.clear();
        small.transactions.clear();
        small.open = 0;
    }

    /**
     * @return the node's value before {@code record}: from its before-image, else read from the store.
     */
    private byte[] beforeValue(final JournalRecord record, final byte[] key)
    {
        final byte kind = record.beforeImageKind();
        if (kind == BeforeImageDescriptor.KIND_VALUE)
        {
            return record.beforeValue();
        }
        if (kind == BeforeImageDescriptor.KIND_UNDEFINED)
        {
            return ABSENT;
        }
        try
        {
            final byte[] value = db.get(key);
            return null == value ? ABSENT : value;
        }
        catch (final RocksDBException ex)
        {
            throw new DejournalException(DejournalException.Code.TARGET_FAILED, "RocksDB read of a before-image " +
                "failed: lsn=" + record.lsn() + " status=" + ex.getMessage(), ex);
        }
    }

    private void readRange(final byte[] from, final byte[] to, final List<byte[]> nodes)
    {
        try (RocksIterator it = db.newIterator())
        {
            for (it.seek(from); it.isValid(); it.next())
            {
                final byte[] key = it.key();
                if (Arrays.compareUnsigned(key, to) >= 0)
                {
                    return;
                }
                nodes.add(key);
                nodes.add(it.value());
            }
        }
    }

    /**
     * @return the full key of a node of the record's global: its names, then {@code keyLength} subscript bytes.
     */
    private static byte[] nodeKey(
        final JournalRecord record, final DirectBuffer subscripts, final int keyOffset, final int keyLength)
    {
        final UnsafeBuffer key = new UnsafeBuffer(
            new byte[2 * (record.databaseLength() + record.globalLength()) + 2 + keyLength]);
        int at = RocksDbKeyDescriptor.putName(key, 0, record.buffer(), record.databaseOffset(),
            record.databaseLength());
        at = RocksDbKeyDescriptor.putName(key, at, record.buffer(), record.globalOffset(), record.globalLength());
        key.putBytes(at, subscripts, keyOffset, keyLength);
        return Arrays.copyOf(key.byteArray(), at + keyLength);
    }

    /**
     * A node's before-image and the group of open transactions that changed it.
     */
    private static final class Entry
    {
        final byte[] before;
        Group group;

        Entry(final byte[] before, final Group group)
        {
            this.before = before;
            this.group = group;
        }
    }

    /**
     * Open transactions whose entries leave together, and the keys of those entries.
     */
    private static final class Group
    {
        final LongArrayList transactions = new LongArrayList();
        final List<byte[]> keys = new ArrayList<>();
        int open = 1;
    }
}
