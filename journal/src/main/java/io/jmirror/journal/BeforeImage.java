package io.jmirror.journal;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * What a SET, KILL or ZKILL inside a transaction replaced, built by the embedder under the same lock it changes
 * its store with and passed to the appender with the record, which journals it with the record (see
 * {@link BeforeImageDescriptor}). Reusable: {@link #undefined()}, {@link #value} and {@link #nodes()} each start
 * a new image, so one instance per thread appends without allocating once its buffer has grown.
 * <pre>{@code
 * appender.set(txn, patient, key, newValue, before.value(oldValue));   // the node held oldValue
 * appender.set(txn, patient, key, newValue, before.undefined());       // the node had no value
 * before.nodes();                                                       // a KILL: each node it removes
 * before.node(childKey, childValue);
 * appender.kill(txn, patient, key, before);
 * }</pre>
 * Outside a transaction (transaction id 0) nothing can be rolled back, so the appender journals no before-image
 * and such records stay as small as records without one.
 */
public final class BeforeImage
{
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
    private final UnsafeBuffer arrayValue = new UnsafeBuffer(new byte[0]);
    private int length;

    /**
     * @return this, now saying the node had no value (for a SET or ZKILL).
     */
    public BeforeImage undefined()
    {
        buffer.putByte(BeforeImageDescriptor.KIND_OFFSET, BeforeImageDescriptor.KIND_UNDEFINED);
        length = 1;
        return this;
    }

    /**
     * @return this, now holding the node's old value (for a SET or ZKILL).
     */
    public BeforeImage value(final DirectBuffer oldValue, final int offset, final int valueLength)
    {
        buffer.putByte(BeforeImageDescriptor.KIND_OFFSET, BeforeImageDescriptor.KIND_VALUE);
        buffer.putBytes(BeforeImageDescriptor.VALUE_OFFSET, oldValue, offset, valueLength);
        length = BeforeImageDescriptor.VALUE_OFFSET + valueLength;
        return this;
    }

    /**
     * @param oldValue the node's old value, or null when the node had none.
     * @return this.
     */
    public BeforeImage value(final byte[] oldValue)
    {
        if (null == oldValue)
        {
            return undefined();
        }
        buffer.putByte(BeforeImageDescriptor.KIND_OFFSET, BeforeImageDescriptor.KIND_VALUE);
        buffer.putBytes(BeforeImageDescriptor.VALUE_OFFSET, oldValue);
        length = BeforeImageDescriptor.VALUE_OFFSET + oldValue.length;
        return this;
    }

    /**
     * Start the before-image of a KILL: no nodes yet; add each removed node that held a value with
     * {@link #node(SubscriptKey, byte[])}.
     *
     * @return this.
     */
    public BeforeImage nodes()
    {
        buffer.putByte(BeforeImageDescriptor.KIND_OFFSET, BeforeImageDescriptor.KIND_NODES);
        length = BeforeImageDescriptor.NODES_OFFSET;
        return this;
    }

    /**
     * Add a node a KILL removes.
     *
     * @param key   the node's full subscripts.
     * @param value the value it held.
     * @return this.
     */
    public BeforeImage node(final SubscriptKey key, final byte[] value)
    {
        arrayValue.wrap(value);
        return node(key.buffer(), 0, key.length(), arrayValue, 0, value.length);
    }

    /**
     * Add a node a KILL removes, from buffers.
     *
     * @return this.
     */
    public BeforeImage node(
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength)
    {
        if (length == 0 || buffer.getByte(BeforeImageDescriptor.KIND_OFFSET) != BeforeImageDescriptor.KIND_NODES)
        {
            throw new IllegalStateException("node(...) adds to a KILL's before-image: call nodes() first");
        }
        buffer.putInt(length + BeforeImageDescriptor.NODE_KEY_LENGTH_OFFSET, keyLength, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(length + BeforeImageDescriptor.NODE_VALUE_LENGTH_OFFSET, valueLength, ByteOrder.LITTLE_ENDIAN);
        length += BeforeImageDescriptor.NODE_HEADER_LENGTH;
        buffer.putBytes(length, key, keyOffset, keyLength);
        length += keyLength;
        buffer.putBytes(length, value, valueOffset, valueLength);
        length += valueLength;
        return this;
    }

    /**
     * @return the encoded image; bytes {@code [0, length())}.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return bytes of the encoded image; 0 before one is started.
     */
    public int length()
    {
        return length;
    }
}
