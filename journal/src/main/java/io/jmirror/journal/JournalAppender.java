package io.jmirror.journal;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import static io.jmirror.journal.RecordDescriptor.*;

/**
 * One application thread's way into the journal. It claims bytes on the shared {@link JournalWriter} tail, writes
 * the frame straight into the mapped file, sums it with CRC32C and publishes it by a release store of its length:
 * readers see a record only when it is whole. Every append returns the record's LSN.
 * <p>
 * Not thread-safe: each thread gets its own from {@link Journal#newAppender()} and keeps it (it owns the reusable
 * checksum state that makes an append allocation-free). Appends to one node must be made in the order the
 * application applies them to its own store (append under the same lock), since the journal's order is the order
 * members replay.
 */
public final class JournalAppender
{
    private final JournalWriter writer;
    private final FrameChecker checker = new FrameChecker();
    private final UnsafeBuffer emptyBuffer = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer arrayValue = new UnsafeBuffer(new byte[0]);
    private JournalFile lastFile;
    @SuppressWarnings("unused") // through CLAIM_FROM
    private long claimFrom = Long.MAX_VALUE;

    JournalAppender(final JournalWriter writer)
    {
        this.writer = writer;
    }

    /**
     * Say that this appender may be writing at or above {@code lsn}: set before each claim, so a purge never removes
     * a file holding a frame claimed but not yet published. A release store: a plain store on x86, where the claim's
     * compare-and-set that follows orders it.
     */
    void claimFrom(final long lsn)
    {
        CLAIM_FROM.setRelease(this, lsn);
    }

    /**
     * @return the lowest LSN this appender may still be writing at; {@link Long#MAX_VALUE} between appends.
     */
    long claimFrom()
    {
        return (long)CLAIM_FROM.getAcquire(this);
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
            value, valueOffset, valueLength, null, 0, 0);
    }

    /**
     * Journal a SET of a node to an absolute value. The array is wrapped by a reused flyweight.
     *
     * @return the record's LSN.
     */
    public long set(final long transactionId, final GlobalName global, final SubscriptKey key, final byte[] value)
    {
        arrayValue.wrap(value);
        return append(RecordType.SET, transactionId, global, key.buffer(), 0, key.length(),
            arrayValue, 0, value.length, null, 0, 0);
    }

    /**
     * Journal a SET with what it replaced, so the transaction can be rolled back from the journal alone.
     *
     * @param before {@link BeforeImage#value} or {@link BeforeImage#undefined()}; not journaled when
     *               {@code transactionId} is 0.
     * @return the record's LSN.
     */
    public long set(
        final long transactionId,
        final GlobalName global,
        final SubscriptKey key,
        final byte[] value,
        final BeforeImage before)
    {
        arrayValue.wrap(value);
        return append(RecordType.SET, transactionId, global, key.buffer(), 0, key.length(),
            arrayValue, 0, value.length, before.buffer(), 0, before.length());
    }

    /**
     * Journal a KILL of a node and its descendants.
     *
     * @return the record's LSN.
     */
    public long kill(final long transactionId, final GlobalName global, final SubscriptKey key)
    {
        return append(RecordType.KILL, transactionId, global, key.buffer(), 0, key.length(), emptyBuffer, 0, 0,
            null, 0, 0);
    }

    /**
     * Journal a KILL with the nodes it removed.
     *
     * @param before {@link BeforeImage#nodes()} with each removed node that held a value; not journaled when
     *               {@code transactionId} is 0.
     * @return the record's LSN.
     */
    public long kill(
        final long transactionId, final GlobalName global, final SubscriptKey key, final BeforeImage before)
    {
        return append(RecordType.KILL, transactionId, global, key.buffer(), 0, key.length(), emptyBuffer, 0, 0,
            before.buffer(), 0, before.length());
    }

    /**
     * Journal a ZKILL of a node alone.
     *
     * @return the record's LSN.
     */
    public long zkill(final long transactionId, final GlobalName global, final SubscriptKey key)
    {
        return append(RecordType.ZKILL, transactionId, global, key.buffer(), 0, key.length(), emptyBuffer, 0, 0,
            null, 0, 0);
    }

    /**
     * Journal a ZKILL with the value it removed.
     *
     * @param before {@link BeforeImage#value} or {@link BeforeImage#undefined()}; not journaled when
     *               {@code transactionId} is 0.
     * @return the record's LSN.
     */
    public long zkill(
        final long transactionId, final GlobalName global, final SubscriptKey key, final BeforeImage before)
    {
        return append(RecordType.ZKILL, transactionId, global, key.buffer(), 0, key.length(), emptyBuffer, 0, 0,
            before.buffer(), 0, before.length());
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
        if (writer.syncEveryCommit())
        {
            writer.journal().awaitDurable(lsn);
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
        return append(type, transactionId, null, null, 0, 0, null, 0, 0, null, 0, 0);
    }

    /**
     * Append an EPOCH_START record: from it on, records belong to {@code epoch}. Called by {@link Journal#startEpoch}
     * only, with no other appender appending.
     */
    long epochStart(final long epoch, final byte[] memberName)
    {
        final UnsafeBuffer value = new UnsafeBuffer(new byte[EPOCH_VALUE_MEMBER_OFFSET + memberName.length]);
        value.putLong(EPOCH_VALUE_EPOCH_OFFSET, epoch, java.nio.ByteOrder.LITTLE_ENDIAN);
        value.putBytes(EPOCH_VALUE_MEMBER_OFFSET, memberName);
        return append(RecordType.EPOCH_START, 0, null, null, 0, 0, value, 0, value.capacity(), null, 0, 0);
    }

    /**
     * Append one record of any node or marker type, without a before-image.
     *
     * @param global null for markers.
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
        return append(type, transactionId, global, key, keyOffset, keyLength, value, valueOffset, valueLength,
            null, 0, 0);
    }

    /**
     * Append one record of any node or marker type, with a before-image.
     *
     * @param global            null for markers.
     * @param beforeImage       the encoded before-image (see {@link BeforeImageDescriptor}), or null.
     * @param beforeImageLength its length; 0 for none. Not journaled when {@code transactionId} is 0.
     * @return the record's LSN.
     * @throws JournalException RECORD_TOO_LARGE, writing nothing, when the frame would exceed the maximum.
     * @throws IllegalArgumentException writing nothing, when the before-image does not fit the record type.
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
        final int valueLength,
        final DirectBuffer beforeImage,
        final int beforeImageOffset,
        final int beforeImageLength)
    {
        if (type == RecordType.PADDING)
        {
            throw new IllegalArgumentException("padding is written by the journal itself");
        }
        if (type == RecordType.EPOCH_START && null != global)
        {
            throw new IllegalArgumentException("EPOCH_START is written by Journal.startEpoch");
        }
        if (keyLength < 0 || valueLength < 0 || beforeImageLength < 0)
        {
            throw new IllegalArgumentException("negative length: keyLength=" + keyLength + " valueLength=" +
                valueLength + " beforeImageLength=" + beforeImageLength);
        }
        // Outside a transaction nothing rolls a record back: such records stay as small as without a before-image.
        final int imageLength = 0 == transactionId ? 0 : beforeImageLength;
        if (imageLength > 0)
        {
            final String problem = BeforeImageDescriptor.validate(type, beforeImage, beforeImageOffset, imageLength);
            if (null != problem)
            {
                throw new IllegalArgumentException(problem + " node=" + global);
            }
        }
        final int databaseLength = null == global ? 0 : global.databaseBytes().length;
        final int globalLength = null == global ? 0 : global.globalBytes().length;
        final long frameLength = RecordDescriptor.frameLength(
            databaseLength, globalLength, keyLength, valueLength, imageLength);
        final long lsn = writer.claimFrame(this, frameLength, type, global);
        final int length = (int)frameLength;
        JournalFile file = lastFile;
        if (null == file || lsn >= file.endLsn() || lsn < file.baseLsn())
        {
            file = writer.fileForWrite(lsn);
            lastFile = file;
        }
        final UnsafeBuffer buffer = file.buffer();
        final int offset = file.offsetOf(lsn);
        final int alignedLength = RecordDescriptor.alignedLength(length);
        // One bounds check for the frame and one for each source, then plain stores and copies: the frame's dozen
        // bounds-checked puts and copy calls cost more than the bytes they move.
        buffer.boundsCheck(offset, alignedLength);
        final byte[] base = buffer.byteArray(); // null: the file is mapped
        final long frame = buffer.addressOffset() + offset;

        // The checksum covers the alignment bytes: zero them here rather than trust the file to be zero there.
        UnsafeApi.putLong(base, frame + alignedLength - ALIGNMENT, 0L);
        UnsafeApi.putLong(base, frame + LSN_OFFSET, lsn);
        UnsafeApi.putLong(base, frame + HEADER_WORD_OFFSET,
            RecordDescriptor.headerWord(type.code(), databaseLength, globalLength, keyLength));
        UnsafeApi.putLong(base, frame + TRANSACTION_ID_OFFSET, transactionId);
        UnsafeApi.putLong(base, frame + TIMESTAMP_OFFSET, writer.timestamp());
        UnsafeApi.putLong(base, frame + LENGTH_WORD_OFFSET, RecordDescriptor.lengthWord(valueLength, imageLength));
        long cursor = frame + HEADER_LENGTH;
        if (null != global)
        {
            final byte[] names = global.names();
            copy(names, BufferUtil.ARRAY_BASE_OFFSET, base, cursor, names.length);
            cursor += names.length;
        }
        if (keyLength > 0)
        {
            key.boundsCheck(keyOffset, keyLength);
            copy(key.byteArray(), key.addressOffset() + keyOffset, base, cursor, keyLength);
            cursor += keyLength;
        }
        if (valueLength > 0)
        {
            value.boundsCheck(valueOffset, valueLength);
            copy(value.byteArray(), value.addressOffset() + valueOffset, base, cursor, valueLength);
            cursor += valueLength;
        }
        if (imageLength > 0)
        {
            beforeImage.boundsCheck(beforeImageOffset, imageLength);
            copy(
                beforeImage.byteArray(), beforeImage.addressOffset() + beforeImageOffset, base, cursor, imageLength);
        }

        buffer.putInt(offset + CHECKSUM_OFFSET, checker.checksum(file, offset, length));
        buffer.putIntRelease(offset + FRAME_LENGTH_OFFSET, length);
        CLAIM_FROM.setRelease(this, Long.MAX_VALUE);
        writer.journal().onAdvanced();
        return lsn;
    }

    /**
     * Copy {@code length} bytes to {@code address} of {@code dstBase} (null for the mapped file). Short runs (names,
     * keys) move as longs, the last one ending exactly at the run's end, so no byte past it is written: past it may be
     * another appender's frame. Longer runs go to {@link UnsafeApi#copyMemory}.
     */
    private static void copy(
        final Object srcBase, final long srcOffset, final Object dstBase, final long address, final int length)
    {
        if (length > SHORT_COPY_LENGTH)
        {
            UnsafeApi.copyMemory(srcBase, srcOffset, dstBase, address, length);
        }
        else if (length >= Long.BYTES)
        {
            final int last = length - Long.BYTES;
            for (int i = 0; i < last; i += Long.BYTES)
            {
                UnsafeApi.putLong(dstBase, address + i, UnsafeApi.getLong(srcBase, srcOffset + i));
            }
            UnsafeApi.putLong(dstBase, address + last, UnsafeApi.getLong(srcBase, srcOffset + last));
        }
        else
        {
            for (int i = 0; i < length; i++)
            {
                UnsafeApi.putByte(dstBase, address + i, UnsafeApi.getByte(srcBase, srcOffset + i));
            }
        }
    }

    private static final int SHORT_COPY_LENGTH = 32;

    private static final VarHandle CLAIM_FROM;

    static
    {
        try
        {
            CLAIM_FROM = MethodHandles.lookup().findVarHandle(JournalAppender.class, "claimFrom", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

}
