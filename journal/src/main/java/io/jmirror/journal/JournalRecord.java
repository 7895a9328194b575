package io.jmirror.journal;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;

import static io.jmirror.journal.RecordDescriptor.*;

/**
 * Flyweight over one complete, checked frame in a journal buffer. Wrapped again for every record; nothing is
 * copied or allocated unless a {@code String} accessor is called. Valid only until the reader moves on.
 */
public final class JournalRecord
{
    private DirectBuffer buffer;
    private int offset;
    private long lsn;

    /**
     * Point this flyweight at a frame.
     *
     * @param buffer holding the frame.
     * @param offset of the frame's first byte in the buffer.
     * @param lsn    of the frame.
     * @return this.
     */
    public JournalRecord wrap(final DirectBuffer buffer, final int offset, final long lsn)
    {
        // Readers wrap every frame of a file in the same buffer; skipping the unchanged reference store skips its
        // GC write barrier (with G1, a StoreLoad fence per store into an old object), once per record.
        if (this.buffer != buffer)
        {
            this.buffer = buffer;
        }
        this.offset = offset;
        this.lsn = lsn;
        return this;
    }

    /**
     * @return the buffer the frame lives in.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return offset of the frame in {@link #buffer()}.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * @return the record's LSN.
     */
    public long lsn()
    {
        return lsn;
    }

    /**
     * @return unrounded frame length.
     */
    public int frameLength()
    {
        return buffer.getInt(offset + FRAME_LENGTH_OFFSET);
    }

    /**
     * @return bytes the frame occupies in the journal.
     */
    public int alignedLength()
    {
        return RecordDescriptor.alignedLength(frameLength());
    }

    /**
     * @return LSN of the frame that follows this one.
     */
    public long nextLsn()
    {
        return lsn + alignedLength();
    }

    /**
     * @return the stored checksum.
     */
    public int checksum()
    {
        return buffer.getInt(offset + CHECKSUM_OFFSET);
    }

    /**
     * @return the record type.
     */
    public RecordType type()
    {
        return RecordType.fromCode(buffer.getByte(offset + TYPE_OFFSET));
    }

    /**
     * @return the record type's stored code.
     */
    public byte typeCode()
    {
        return buffer.getByte(offset + TYPE_OFFSET);
    }

    /**
     * @return the transaction this record belongs to, 0 outside transactions.
     */
    public long transactionId()
    {
        return buffer.getLong(offset + TRANSACTION_ID_OFFSET);
    }

    /**
     * @return when the record was appended, epoch milliseconds.
     */
    public long timestamp()
    {
        return buffer.getLong(offset + TIMESTAMP_OFFSET);
    }

    /**
     * @return bytes of the database name.
     */
    public int databaseLength()
    {
        return buffer.getByte(offset + DATABASE_LENGTH_OFFSET) & 0xFF;
    }

    /**
     * @return offset of the database name in {@link #buffer()}.
     */
    public int databaseOffset()
    {
        return offset + HEADER_LENGTH;
    }

    /**
     * @return bytes of the global name.
     */
    public int globalLength()
    {
        return buffer.getShort(offset + GLOBAL_LENGTH_OFFSET) & 0xFFFF;
    }

    /**
     * @return offset of the global name in {@link #buffer()}.
     */
    public int globalOffset()
    {
        return databaseOffset() + databaseLength();
    }

    /**
     * @return bytes of the encoded subscripts.
     */
    public int keyLength()
    {
        return buffer.getInt(offset + KEY_LENGTH_OFFSET);
    }

    /**
     * @return offset of the encoded subscripts in {@link #buffer()}.
     */
    public int keyOffset()
    {
        return globalOffset() + globalLength();
    }

    /**
     * @return bytes of the value.
     */
    public int valueLength()
    {
        return buffer.getInt(offset + VALUE_LENGTH_OFFSET);
    }

    /**
     * @return offset of the value in {@link #buffer()}.
     */
    public int valueOffset()
    {
        return keyOffset() + keyLength();
    }

    /**
     * @return bytes of the before-image; 0 when the record carries none.
     */
    public int beforeImageLength()
    {
        return buffer.getInt(offset + BEFORE_IMAGE_LENGTH_OFFSET);
    }

    /**
     * @return offset of the before-image in {@link #buffer()}: it ends the frame's body.
     */
    public int beforeImageOffset()
    {
        return valueOffset() + valueLength();
    }

    /**
     * @return true when the record carries a before-image.
     */
    public boolean hasBeforeImage()
    {
        return beforeImageLength() > 0;
    }

    /**
     * @return the before-image's kind ({@link BeforeImageDescriptor#KIND_UNDEFINED}, {@code KIND_VALUE} or
     * {@code KIND_NODES}), or 0 when the record carries none.
     */
    public byte beforeImageKind()
    {
        return hasBeforeImage() ? buffer.getByte(beforeImageOffset() + BeforeImageDescriptor.KIND_OFFSET) : 0;
    }

    /**
     * @return offset of the old value of a VALUE before-image in {@link #buffer()}.
     */
    public int beforeValueOffset()
    {
        return beforeImageOffset() + BeforeImageDescriptor.VALUE_OFFSET;
    }

    /**
     * @return bytes of the old value of a VALUE before-image.
     */
    public int beforeValueLength()
    {
        return beforeImageLength() - BeforeImageDescriptor.VALUE_OFFSET;
    }

    /**
     * @return a copy of the old value of a VALUE before-image (allocates), or null when the record's before-image
     * is not of kind VALUE.
     */
    public byte[] beforeValue()
    {
        if (beforeImageKind() != BeforeImageDescriptor.KIND_VALUE)
        {
            return null;
        }
        final byte[] value = new byte[beforeValueLength()];
        buffer.getBytes(beforeValueOffset(), value);
        return value;
    }

    /**
     * Visit each node of a KILL's NODES before-image, in journal order. The frame was checked when it was read, so
     * the nodes lie within it.
     *
     * @param visitor gets each node's key and value as offsets in {@link #buffer()}.
     * @return the number of nodes visited; 0 when the before-image is not of kind NODES.
     */
    public int forEachBeforeNode(final BeforeNodeVisitor visitor)
    {
        if (beforeImageKind() != BeforeImageDescriptor.KIND_NODES)
        {
            return 0;
        }
        final int end = beforeImageOffset() + beforeImageLength();
        int position = beforeImageOffset() + BeforeImageDescriptor.NODES_OFFSET;
        int count = 0;
        while (position < end)
        {
            final int keyLength = buffer.getInt(position + BeforeImageDescriptor.NODE_KEY_LENGTH_OFFSET);
            final int valueLength = buffer.getInt(position + BeforeImageDescriptor.NODE_VALUE_LENGTH_OFFSET);
            final int keyOffset = position + BeforeImageDescriptor.NODE_HEADER_LENGTH;
            visitor.onNode(buffer, keyOffset, keyLength, keyOffset + keyLength, valueLength);
            position = keyOffset + keyLength + valueLength;
            count++;
        }
        return count;
    }

    /**
     * Gets the nodes of a KILL's before-image.
     */
    @FunctionalInterface
    public interface BeforeNodeVisitor
    {
        void onNode(DirectBuffer buffer, int keyOffset, int keyLength, int valueOffset, int valueLength);
    }

    /**
     * @return the LSN the frame itself names; equal to {@link #lsn()} in every frame a reader hands out.
     */
    public long frameLsn()
    {
        return buffer.getLong(offset + LSN_OFFSET);
    }

    /**
     * @return the epoch an EPOCH_START record opens.
     */
    public long epoch()
    {
        return buffer.getLong(valueOffset() + EPOCH_VALUE_EPOCH_OFFSET);
    }

    /**
     * @return the member that opened the epoch of an EPOCH_START record (allocates).
     */
    public String epochMember()
    {
        return buffer.getStringWithoutLengthUtf8(valueOffset() + EPOCH_VALUE_MEMBER_OFFSET,
            valueLength() - EPOCH_VALUE_MEMBER_OFFSET);
    }

    /**
     * @return the database name (allocates).
     */
    public String database()
    {
        return buffer.getStringWithoutLengthUtf8(databaseOffset(), databaseLength());
    }

    /**
     * @return the global name without the caret (allocates).
     */
    public String global()
    {
        return buffer.getStringWithoutLengthUtf8(globalOffset(), globalLength());
    }

    /**
     * @return a copy of the value bytes (allocates).
     */
    public byte[] value()
    {
        final byte[] value = new byte[valueLength()];
        buffer.getBytes(valueOffset(), value);
        return value;
    }

    /**
     * @return a copy of the encoded subscripts (allocates).
     */
    public byte[] key()
    {
        final byte[] key = new byte[keyLength()];
        buffer.getBytes(keyOffset(), key);
        return key;
    }

    /**
     * Append the node in IRIS form, e.g. {@code ^Patient(42,"name")}.
     *
     * @param out to append to.
     * @return out.
     */
    public StringBuilder appendNode(final StringBuilder out)
    {
        out.append('^').append(global());
        SubscriptCodec.format(buffer, keyOffset(), keyLength(), out);
        return out;
    }

    /**
     * @return the value decoded as UTF-8 (allocates).
     */
    public String valueAsString()
    {
        return new String(value(), StandardCharsets.UTF_8);
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder(128);
        sb.append("lsn=").append(lsn).append(" type=").append(type()).append(" txn=").append(transactionId());
        final RecordType type = type();
        if (null != type && type.isNodeRecord())
        {
            sb.append(" db=").append(database()).append(' ');
            appendNode(sb);
            if (type == RecordType.SET)
            {
                sb.append(" valueLength=").append(valueLength());
            }
            if (hasBeforeImage())
            {
                sb.append(" beforeImageLength=").append(beforeImageLength());
            }
        }
        else if (type == RecordType.EPOCH_START)
        {
            sb.append(" epoch=").append(epoch()).append(" member=").append(epochMember());
        }
        return sb.toString();
    }
}
