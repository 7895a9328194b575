package io.jmirror.dejournal;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordType;
import org.agrona.concurrent.UnsafeBuffer;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * One worker's writes into a {@link RocksDbTarget}: its {@link WriteBatch} and the direct buffers it builds keys and
 * values in (layout in {@link RocksDbKeyDescriptor}), grown when a longer key or value comes. A SET or ZKILL
 * allocates nothing on the Java heap; a KILL allocates the two bounds of its range. Used by its worker's thread only.
 * <p>
 * <b>Gathering.</b> Between {@link #beginGathering()} and the next {@link #write()} (a worker's batch), records
 * collect in the batch and are written together, one {@code db.write} for up to {@value #MAX_GATHERED_RECORDS}
 * records or {@value #MAX_GATHERED_BYTES} bytes: one JNI call and one turn in RocksDB's write queue for many records
 * instead of one each, which is what limited a worker's rate (the records of a batch are written in journal order,
 * as one atomic write, so nothing else changes). The bound keeps the batch's native memory small whatever the
 * worker's batch size.
 */
final class RocksDbWriter
{
    private static final int INITIAL_KEY_CAPACITY = RocksDbKeyDescriptor.MAX_NAMES_LENGTH + 1026;
    private static final int INITIAL_VALUE_CAPACITY = 1024;

    /** Records gathered at most before a write. */
    static final int MAX_GATHERED_RECORDS = 4096;

    /** Key and value bytes gathered at most before a write. */
    static final int MAX_GATHERED_BYTES = 4 * 1024 * 1024;

    private final RocksDB db;
    private final WriteOptions writeOptions;
    private final Path dir;
    private final WriteBatch batch = new WriteBatch();
    private ByteBuffer keyBytes = ByteBuffer.allocateDirect(INITIAL_KEY_CAPACITY);
    private final UnsafeBuffer key = new UnsafeBuffer(keyBytes);
    private ByteBuffer valueBytes = ByteBuffer.allocateDirect(INITIAL_VALUE_CAPACITY);
    private final UnsafeBuffer value = new UnsafeBuffer(valueBytes);
    private boolean isGathering;
    private int gatheredBytes;
    private long firstLsn = -1;
    private long lastLsn = -1;

    RocksDbWriter(final RocksDB db, final WriteOptions writeOptions, final Path dir)
    {
        this.db = db;
        this.writeOptions = writeOptions;
        this.dir = dir;
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
        try
        {
            switch (type)
            {
                case SET:
                    // putKey may replace keyBytes with a bigger buffer: call it before reading the field.
                    final int setLength = putKey(record);
                    putValue(record);
                    batch.put(keyBytes.limit(setLength).position(0), valueBytes);
                    gatheredBytes += setLength + record.valueLength();
                    break;
                case KILL:
                    final byte[] from = new byte[putKey(record)];
                    key.getBytes(0, from);
                    batch.deleteRange(from, RocksDbKeyDescriptor.successor(from, from.length));
                    gatheredBytes += 2 * from.length;
                    break;
                case ZKILL:
                    final int zkillLength = putKey(record);
                    batch.delete(keyBytes.limit(zkillLength).position(0));
                    gatheredBytes += zkillLength;
                    break;
                default:
                    break;
            }
            if (firstLsn < 0)
            {
                firstLsn = record.lsn();
            }
            lastLsn = record.lsn();
        }
        catch (final RocksDBException ex)
        {
            clearBatch();
            throw new DejournalException(DejournalException.Code.TARGET_FAILED, "RocksDB write failed: dir=" + dir +
                " lsn=" + record.lsn() + " status=" + ex.getMessage(), ex);
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
        if (!isGathering || batch.count() >= MAX_GATHERED_RECORDS || gatheredBytes >= MAX_GATHERED_BYTES)
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
            if (batch.count() > 0)
            {
                db.write(writeOptions, batch);
            }
        }
        catch (final RocksDBException ex)
        {
            throw new DejournalException(DejournalException.Code.TARGET_FAILED, "RocksDB write failed: dir=" + dir +
                " records=" + batch.count() + " lsns=" + firstLsn + ".." + lastLsn + " status=" + ex.getMessage(),
                ex);
        }
        finally
        {
            dropGathered();
        }
    }

    /**
     * Drops what the batch holds and ends gathering. After a failed add or write that is the records gathered so far
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
        gatheredBytes = 0;
        firstLsn = -1;
        lastLsn = -1;
    }

    /**
     * @return the key's length, written at the start of the key buffer.
     */
    private int putKey(final JournalRecord record)
    {
        final int capacity = RocksDbKeyDescriptor.MAX_NAMES_LENGTH + record.keyLength();
        if (keyBytes.capacity() < capacity)
        {
            keyBytes = ByteBuffer.allocateDirect(Math.max(capacity, 2 * keyBytes.capacity()));
            key.wrap(keyBytes);
        }
        int at = RocksDbKeyDescriptor.putName(key, 0, record.buffer(), record.databaseOffset(),
            record.databaseLength());
        at = RocksDbKeyDescriptor.putName(key, at, record.buffer(), record.globalOffset(), record.globalLength());
        key.putBytes(at, record.buffer(), record.keyOffset(), record.keyLength());
        keyBytes.clear();
        return at + record.keyLength();
    }

    private void putValue(final JournalRecord record)
    {
        final int length = record.valueLength();
        if (valueBytes.capacity() < length)
        {
            valueBytes = ByteBuffer.allocateDirect(Math.max(length, 2 * valueBytes.capacity()));
            value.wrap(valueBytes);
        }
        value.putBytes(0, record.buffer(), record.valueOffset(), length);
        valueBytes.limit(length).position(0);
    }

    void close()
    {
        batch.close();
    }
}
