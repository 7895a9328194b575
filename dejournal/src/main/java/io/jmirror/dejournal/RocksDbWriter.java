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
 * values in (layout in {@link RocksDbKeyDescriptor}), grown when a longer key or value comes. Each apply adds one or
 * two records and writes the batch before returning, so a SET or ZKILL allocates nothing on the Java heap; a KILL
 * allocates the two bounds of its range. Used by its worker's thread only.
 */
final class RocksDbWriter
{
    private static final int INITIAL_KEY_CAPACITY = RocksDbKeyDescriptor.MAX_NAMES_LENGTH + 1026;
    private static final int INITIAL_VALUE_CAPACITY = 1024;

    private final RocksDB db;
    private final WriteOptions writeOptions;
    private final Path dir;
    private final WriteBatch batch = new WriteBatch();
    private ByteBuffer keyBytes = ByteBuffer.allocateDirect(INITIAL_KEY_CAPACITY);
    private final UnsafeBuffer key = new UnsafeBuffer(keyBytes);
    private ByteBuffer valueBytes = ByteBuffer.allocateDirect(INITIAL_VALUE_CAPACITY);
    private final UnsafeBuffer value = new UnsafeBuffer(valueBytes);

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
            batch.clear();
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
                    break;
                case KILL:
                    final byte[] from = new byte[putKey(record)];
                    key.getBytes(0, from);
                    batch.deleteRange(from, RocksDbKeyDescriptor.successor(from, from.length));
                    break;
                case ZKILL:
                    final int zkillLength = putKey(record);
                    batch.delete(keyBytes.limit(zkillLength).position(0));
                    break;
                default:
                    break;
            }
        }
        catch (final RocksDBException ex)
        {
            batch.clear();
            throw failed(record, ex);
        }
    }

    void write(final JournalRecord first)
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
            throw failed(first, ex);
        }
        finally
        {
            batch.clear();
        }
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

    private DejournalException failed(final JournalRecord record, final RocksDBException ex)
    {
        return new DejournalException(DejournalException.Code.TARGET_FAILED, "RocksDB write failed: dir=" + dir +
            " lsn=" + record.lsn() + " status=" + ex.getMessage(), ex);
    }
}
