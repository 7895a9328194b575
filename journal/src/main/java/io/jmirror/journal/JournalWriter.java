package io.jmirror.journal;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.atomic.AtomicLong;

import static io.jmirror.journal.RecordDescriptor.*;

/**
 * Appends records for any number of application threads at once. Each append claims its bytes with a
 * compare-and-set on the journal's tail (no lock on the hot path), writes the frame straight into the mapped file,
 * sums it, and publishes it by a release store of its length: readers see a record only when it is whole.
 * <p>
 * When a record does not fit in the rest of the current file, the appender that moves the tail to the next file
 * pads the rest, so no record spans two files. An append returns the record's LSN.
 * <p>
 * Appends to one node must be made in the order the application applies them to its own store (append under the
 * same lock), since the journal's order is the order members replay.
 */
public final class JournalWriter
{
    private final Journal journal;
    private final JournalFileSet files;
    private final AtomicLong tail;
    private final long capacity;
    private final int maxRecordLength;
    private final boolean syncEveryCommit;
    private final org.agrona.concurrent.EpochClock clock;
    private final ThreadLocal<FrameChecker> checkers = ThreadLocal.withInitial(FrameChecker::new);
    private final UnsafeBuffer emptyBuffer = new UnsafeBuffer(new byte[0]);

    JournalWriter(final Journal journal, final JournalFileSet files, final long tailLsn, final JournalContext ctx)
    {
        this.journal = journal;
        this.files = files;
        this.tail = new AtomicLong(tailLsn);
        this.capacity = files.capacity();
        this.maxRecordLength = ctx.maxRecordLength();
        this.syncEveryCommit = ctx.syncPolicy() == SyncPolicy.EVERY_COMMIT;
        this.clock = ctx.epochClock();
    }

    /**
     * Journal a SET of a node to an absolute value.
     *
     * @return the record's LSN.
     */
    public long set(
        final long transactionId,
        final GlobalName global,
        final SubscriptKey key,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength)
    {
        return append(RecordType.SET, transactionId, global, key.buffer(), 0, key.length(),
            value, valueOffset, valueLength);
    }

    /**
     * Journal a SET of a node to an absolute value. Wraps the array in a reused per-call flyweight-free path.
     *
     * @return the record's LSN.
     */
    public long set(final long transactionId, final GlobalName global, final SubscriptKey key, final byte[] value)
    {
        return append(RecordType.SET, transactionId, global, key.buffer(), 0, key.length(),
            new UnsafeBuffer(value), 0, value.length);
    }

    /**
     * Journal a KILL of a node and its descendants.
     *
     * @return the record's LSN.
     */
    public long kill(final long transactionId, final GlobalName global, final SubscriptKey key)
    {
        return append(RecordType.KILL, transactionId, global, key.buffer(), 0, key.length(), emptyBuffer, 0, 0);
    }

    /**
     * Journal a ZKILL of a node alone.
     *
     * @return the record's LSN.
     */
    public long zkill(final long transactionId, final GlobalName global, final SubscriptKey key)
    {
        return append(RecordType.ZKILL, transactionId, global, key.buffer(), 0, key.length(), emptyBuffer, 0, 0);
    }

    /**
     * @return the LSN of the transaction's start marker.
     */
    public long tstart(final long transactionId)
    {
        return appendMarker(RecordType.TSTART, transactionId);
    }

    /**
     * Journal a commit. Under {@link SyncPolicy#EVERY_COMMIT} it returns only once the commit is durable.
     *
     * @return the LSN of the commit marker.
     */
    public long tcommit(final long transactionId)
    {
        final long lsn = appendMarker(RecordType.TCOMMIT, transactionId);
        if (syncEveryCommit)
        {
            journal.awaitDurable(lsn);
        }
        return lsn;
    }

    /**
     * @return the LSN of the rollback marker.
     */
    public long trollback(final long transactionId)
    {
        return appendMarker(RecordType.TROLLBACK, transactionId);
    }

    private long appendMarker(final RecordType type, final long transactionId)
    {
        return append(type, transactionId, null, null, 0, 0, null, 0, 0);
    }

    /**
     * Append one record of any node type.
     *
     * @param global null for transaction markers.
     * @return the record's LSN.
     * @throws JournalException RECORD_TOO_LARGE, writing nothing, when the frame would exceed the maximum.
     */
    public long append(
        final RecordType type,
        final long transactionId,
        final GlobalName global,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength)
    {
        if (type == RecordType.PADDING)
        {
            throw new IllegalArgumentException("padding is written by the journal itself");
        }
        final byte[] database = null == global ? null : global.databaseBytes();
        final byte[] globalBytes = null == global ? null : global.globalBytes();
        final int databaseLength = null == database ? 0 : database.length;
        final int globalLength = null == globalBytes ? 0 : globalBytes.length;
        final long frameLength = RecordDescriptor.frameLength(databaseLength, globalLength, keyLength, valueLength);
        if (frameLength > maxRecordLength || keyLength < 0 || valueLength < 0)
        {
            throw new JournalException(JournalException.Code.RECORD_TOO_LARGE, "record too large: frameLength=" +
                frameLength + " maxRecordLength=" + maxRecordLength + " type=" + type + " node=" + global +
                " keyLength=" + keyLength + " valueLength=" + valueLength);
        }
        journal.checkWritable();

        final int length = (int)frameLength;
        final long lsn = claim(RecordDescriptor.alignedLength(length));
        final JournalFile file = files.fileForWrite(lsn / capacity);
        final UnsafeBuffer buffer = file.buffer();
        final int offset = file.offsetOf(lsn);

        buffer.putByte(offset + TYPE_OFFSET, type.code());
        buffer.putByte(offset + DATABASE_LENGTH_OFFSET, (byte)databaseLength);
        buffer.putShort(offset + GLOBAL_LENGTH_OFFSET, (short)globalLength);
        buffer.putInt(offset + KEY_LENGTH_OFFSET, keyLength);
        buffer.putLong(offset + TRANSACTION_ID_OFFSET, transactionId);
        buffer.putLong(offset + TIMESTAMP_OFFSET, clock.time());
        buffer.putInt(offset + VALUE_LENGTH_OFFSET, valueLength);
        buffer.putInt(offset + RESERVED_OFFSET, 0);
        int cursor = offset + HEADER_LENGTH;
        if (databaseLength > 0)
        {
            buffer.putBytes(cursor, database);
            cursor += databaseLength;
        }
        if (globalLength > 0)
        {
            buffer.putBytes(cursor, globalBytes);
            cursor += globalLength;
        }
        if (keyLength > 0)
        {
            buffer.putBytes(cursor, key, keyOffset, keyLength);
            cursor += keyLength;
        }
        if (valueLength > 0)
        {
            buffer.putBytes(cursor, value, valueOffset, valueLength);
        }

        buffer.putInt(offset + CHECKSUM_OFFSET, checkers.get().checksum(file, offset, length));
        buffer.putIntRelease(offset + FRAME_LENGTH_OFFSET, length);
        return lsn;
    }

    /**
     * Claim {@code alignedLength} bytes at the tail, moving to the next file (and padding the rest of this one)
     * when they do not fit.
     */
    private long claim(final int alignedLength)
    {
        while (true)
        {
            final long current = tail.get();
            final long fileEnd = (current / capacity + 1) * capacity;
            if (current + alignedLength <= fileEnd)
            {
                if (tail.compareAndSet(current, current + alignedLength))
                {
                    return current;
                }
            }
            else
            {
                // Make the next file exist before any appender can claim in it.
                files.fileForWrite(fileEnd / capacity);
                if (tail.compareAndSet(current, fileEnd + alignedLength))
                {
                    writePadding(current, (int)(fileEnd - current));
                    return fileEnd;
                }
            }
        }
    }

    private void writePadding(final long lsn, final int length)
    {
        final JournalFile file = files.fileForWrite(lsn / capacity);
        final UnsafeBuffer buffer = file.buffer();
        final int offset = file.offsetOf(lsn);
        buffer.putInt(offset + CHECKSUM_OFFSET, paddingChecksum(-length));
        buffer.putIntRelease(offset + FRAME_LENGTH_OFFSET, -length);
    }

    /**
     * @return the LSN the next claim will get: every byte below it is claimed, not necessarily complete.
     */
    public long tailLsn()
    {
        return tail.get();
    }
}
