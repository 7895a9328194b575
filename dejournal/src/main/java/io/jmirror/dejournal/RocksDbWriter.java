package io.jmirror.dejournal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordType;
import org.agrona.concurrent.UnsafeBuffer;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * One worker's writes into a {@link RocksDbTarget}: the records it gathers, its {@link WriteBatch}, and the direct
 * buffer it stages keys and values in (layout in {@link RocksDbKeyDescriptor}), grown when more comes. A SET or ZKILL
 * allocates nothing on the Java heap; a KILL allocates the two bounds of its range. Used by its worker's thread only.
 * <p>
 * <b>Gathering.</b> Between {@link #beginGathering()} and the next {@link #write()} (a worker's batch), records
 * collect and are written together, one {@code db.write} for up to {@value #MAX_GATHERED_RECORDS} records or
 * {@value #MAX_GATHERED_BYTES} bytes: one turn in RocksDB's write queue for many records instead of one each. The
 * bound keeps the staged bytes and the batch's native memory small whatever the worker's batch size.
 * <p>
 * <b>Sorted writes.</b> Before the write, each run of point records (SET, ZKILL) between two KILLs is sorted by key,
 * equal keys in journal order. Most of a write's cost is finding each key's place in the memtable's skip list, a
 * cache miss per level for keys that land all over it. When memtable writes are not concurrent (see
 * {@link RocksDbTarget}), RocksDB starts each search from where the previous key went in (its sequential splice), so
 * keys in order share most of their search: with 2 workers the target applied 1.4 to 1.6 times as many records per
 * second (bench/results/rocksdb-apply.md). The write means the same as in journal order: the records of one write
 * become visible together, records on different keys commute, a key's records keep their order, and a KILL's range
 * delete stays between the records before and after it. Larger writes put more keys in each sorted run, closer
 * together in the skip list: 16,384 records applied faster than 4,096.
 */
final class RocksDbWriter
{
    /** Records gathered at most before a write. */
    static final int MAX_GATHERED_RECORDS = 16 * 1024;

    /** Key and value bytes gathered at most before a write. */
    static final int MAX_GATHERED_BYTES = 8 * 1024 * 1024;

    /** A staged record: key length (int), value length (int), type code (byte), key, value. */
    private static final int KEY_LENGTH_OFFSET = 0;
    private static final int VALUE_LENGTH_OFFSET = 4;
    private static final int TYPE_OFFSET = 8;
    private static final int HEADER_LENGTH = 9;
    private static final int INITIAL_STAGED_CAPACITY = 64 * 1024;
    private static final int INSERTION_SORT_MAX = 12;

    private final RocksDB db;
    private final WriteOptions writeOptions;
    private final Path dir;
    private final boolean isSorting;
    private final WriteBatch batch = new WriteBatch();
    private ByteBuffer stagedBytes = ByteBuffer.allocateDirect(INITIAL_STAGED_CAPACITY);
    private final UnsafeBuffer staged = new UnsafeBuffer(stagedBytes);
    private ByteBuffer keyView = stagedBytes.duplicate();
    private ByteBuffer valueView = stagedBytes.duplicate();
    private int[] records = new int[MAX_GATHERED_RECORDS];
    private int recordCount;
    private int stagedLength;
    private boolean isGathering;
    private long firstLsn = -1;
    private long lastLsn = -1;

    /**
     * @param sorting whether to sort each run of point records before the write: for a skip-list memtable, not for
     *                the unsorted memtables of a bulk load, where an insert is an append anyway.
     */
    RocksDbWriter(final RocksDB db, final WriteOptions writeOptions, final Path dir, final boolean sorting)
    {
        this.db = db;
        this.writeOptions = writeOptions;
        this.dir = dir;
        this.isSorting = sorting;
    }

    void add(final JournalRecord record)
    {
        final RecordType type = record.type();
        if (null == type)
        {
            clearBatch();
            throw new IllegalArgumentException("unknown record type: code=" + record.typeCode() + " lsn=" +
                record.lsn());
        }
        switch (type)
        {
            case SET:
                stage(record, record.valueLength());
                break;
            case KILL:
            case ZKILL:
                stage(record, 0);
                break;
            default:
                return;
        }
        if (firstLsn < 0)
        {
            firstLsn = record.lsn();
        }
        lastLsn = record.lsn();
    }

    private void stage(final JournalRecord record, final int valueLength)
    {
        final int at = stagedLength;
        ensureCapacity(at + HEADER_LENGTH + RocksDbKeyDescriptor.MAX_NAMES_LENGTH + record.keyLength() + valueLength);
        final int keyOffset = at + HEADER_LENGTH;
        int end = RocksDbKeyDescriptor.putName(staged, keyOffset, record.buffer(), record.databaseOffset(),
            record.databaseLength());
        end = RocksDbKeyDescriptor.putName(staged, end, record.buffer(), record.globalOffset(),
            record.globalLength());
        staged.putBytes(end, record.buffer(), record.keyOffset(), record.keyLength());
        end += record.keyLength();
        staged.putInt(at + KEY_LENGTH_OFFSET, end - keyOffset);
        staged.putInt(at + VALUE_LENGTH_OFFSET, valueLength);
        staged.putByte(at + TYPE_OFFSET, record.typeCode());
        if (valueLength > 0)
        {
            staged.putBytes(end, record.buffer(), record.valueOffset(), valueLength);
        }
        stagedLength = end + valueLength;
        if (recordCount == records.length)
        {
            // A call that applies two records may pass the bound by one before writeIfDue writes.
            records = Arrays.copyOf(records, 2 * records.length);
        }
        records[recordCount++] = at;
    }

    private void ensureCapacity(final int capacity)
    {
        if (stagedBytes.capacity() < capacity)
        {
            final ByteBuffer grown = ByteBuffer.allocateDirect(Math.max(capacity, 2 * stagedBytes.capacity()));
            final UnsafeBuffer grownView = new UnsafeBuffer(grown);
            grownView.putBytes(0, staged, 0, stagedLength);
            stagedBytes = grown;
            staged.wrap(grown);
            keyView = grown.duplicate();
            valueView = grown.duplicate();
        }
    }

    /**
     * From now until the next {@link #write()}, {@link #writeIfDue()} writes only a full batch.
     */
    void beginGathering()
    {
        isGathering = true;
    }

    /**
     * After a record was added: writes the batch unless gathering, or when it holds enough to write.
     */
    void writeIfDue()
    {
        if (!isGathering || recordCount >= MAX_GATHERED_RECORDS || stagedLength >= MAX_GATHERED_BYTES)
        {
            writeGathered();
        }
    }

    /**
     * Writes what the batch holds and ends gathering: every record added so far is in the store when it returns.
     */
    void write()
    {
        isGathering = false;
        writeGathered();
    }

    /**
     * Writes what was gathered so far and goes on gathering: for a read that must see those records.
     */
    void writeGathered()
    {
        try
        {
            if (recordCount > 0)
            {
                fillBatch();
                db.write(writeOptions, batch);
            }
        }
        catch (final RocksDBException ex)
        {
            throw new DejournalException(DejournalException.Code.TARGET_FAILED, "RocksDB write failed: dir=" + dir +
                " records=" + recordCount + " lsns=" + firstLsn + ".." + lastLsn + " status=" + ex.getMessage(), ex);
        }
        finally
        {
            dropGathered();
        }
    }

    /**
     * Puts what was gathered into the batch and returns it unwritten, for tests that look at a write's order; call
     * {@link #clearBatch()} afterwards.
     */
    WriteBatch filledBatch() throws RocksDBException
    {
        fillBatch();
        return batch;
    }

    /**
     * Puts the staged records into the batch: each run of point records sorted, each KILL in its place.
     */
    private void fillBatch() throws RocksDBException
    {
        int runStart = 0;
        for (int i = 0; i <= recordCount; i++)
        {
            if (i == recordCount || staged.getByte(records[i] + TYPE_OFFSET) == RecordType.KILL.code())
            {
                if (isSorting)
                {
                    sort(runStart, i - 1);
                }
                for (int j = runStart; j < i; j++)
                {
                    putPoint(records[j]);
                }
                if (i < recordCount)
                {
                    putKill(records[i]);
                }
                runStart = i + 1;
            }
        }
    }

    private void putPoint(final int at) throws RocksDBException
    {
        final int keyOffset = at + HEADER_LENGTH;
        final int keyLength = staged.getInt(at + KEY_LENGTH_OFFSET);
        keyView.limit(keyOffset + keyLength).position(keyOffset);
        if (staged.getByte(at + TYPE_OFFSET) == RecordType.SET.code())
        {
            final int valueOffset = keyOffset + keyLength;
            valueView.limit(valueOffset + staged.getInt(at + VALUE_LENGTH_OFFSET)).position(valueOffset);
            batch.put(keyView, valueView);
        }
        else
        {
            batch.delete(keyView);
        }
    }

    private void putKill(final int at) throws RocksDBException
    {
        final byte[] from = new byte[staged.getInt(at + KEY_LENGTH_OFFSET)];
        staged.getBytes(at + HEADER_LENGTH, from);
        batch.deleteRange(from, RocksDbKeyDescriptor.successor(from, from.length));
    }

    /**
     * Sorts {@code records[from..to]} by key, equal keys by staged offset (journal order).
     */
    private void sort(final int from, final int to)
    {
        int lo = from;
        int hi = to;
        while (hi - lo > INSERTION_SORT_MAX)
        {
            final int pivot = records[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j)
            {
                while (compare(records[i], pivot) < 0)
                {
                    i++;
                }
                while (compare(records[j], pivot) > 0)
                {
                    j--;
                }
                if (i <= j)
                {
                    final int swap = records[i];
                    records[i++] = records[j];
                    records[j--] = swap;
                }
            }
            // Recurse into the smaller side, loop on the larger: the stack stays logarithmic.
            if (j - lo < hi - i)
            {
                sort(lo, j);
                lo = i;
            }
            else
            {
                sort(i, hi);
                hi = j;
            }
        }
        for (int i = lo + 1; i <= hi; i++)
        {
            final int record = records[i];
            int j = i - 1;
            while (j >= lo && compare(records[j], record) > 0)
            {
                records[j + 1] = records[j];
                j--;
            }
            records[j + 1] = record;
        }
    }

    /**
     * Unsigned byte order of the two staged records' keys (RocksDB's), then their staged offsets.
     */
    int compare(final int a, final int b)
    {
        if (a == b)
        {
            return 0;
        }
        final int aLength = staged.getInt(a + KEY_LENGTH_OFFSET);
        final int bLength = staged.getInt(b + KEY_LENGTH_OFFSET);
        final int length = Math.min(aLength, bLength);
        final int aKey = a + HEADER_LENGTH;
        final int bKey = b + HEADER_LENGTH;
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            final long x = staged.getLong(aKey + i, ByteOrder.BIG_ENDIAN);
            final long y = staged.getLong(bKey + i, ByteOrder.BIG_ENDIAN);
            if (x != y)
            {
                return Long.compareUnsigned(x, y);
            }
        }
        for (; i < length; i++)
        {
            final int x = staged.getByte(aKey + i) & 0xFF;
            final int y = staged.getByte(bKey + i) & 0xFF;
            if (x != y)
            {
                return x - y;
            }
        }
        if (aLength != bLength)
        {
            return aLength - bLength;
        }
        return Integer.compare(a, b);
    }

    /**
     * Drops what was gathered and ends gathering. After a failed add or write that is the records gathered so far
     * too: the exception stops dejournaling before the worker's position moves past them, so they are above the
     * applied LSN, and a restart applies them again from the last checkpoint. Gathering ends so that a later caller
     * outside a worker's batch (a rollback or an undo after the failure) has its records written at once.
     */
    void clearBatch()
    {
        isGathering = false;
        dropGathered();
    }

    private void dropGathered()
    {
        batch.clear();
        recordCount = 0;
        stagedLength = 0;
        firstLsn = -1;
        lastLsn = -1;
    }

    void close()
    {
        batch.close();
    }
}
