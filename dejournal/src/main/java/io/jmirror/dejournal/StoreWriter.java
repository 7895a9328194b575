package io.jmirror.dejournal;

import org.agrona.DirectBuffer;

/**
 * Scratch space of one writer thread: copies of the key and value being written, the bound of a KILL's range and
 * the path from the root to the leaf being changed.
 * <p>
 * Why per thread and not per global: a dejournal worker writes hundreds of globals in turn, and scratch kept in each
 * global's tree is cold in the cache almost every time it is used (several misses per record, measured as the
 * largest avoidable cost of a SET over 1000 globals), while one set per thread stays hot. Trees use it only under
 * their write lock, so two threads writing one global (not the dejournal's way, but allowed) each have their own.
 */
final class StoreWriter
{
    private static final ThreadLocal<StoreWriter> CURRENT = ThreadLocal.withInitial(() -> new StoreWriter(true));

    private final GlobalTreePath path = new GlobalTreePath();
    private byte[] key = new byte[64];
    private final byte[] value = new byte[GlobalTreeLeaf.MAX_INLINE_VALUE];
    private byte[] upper = new byte[64];
    private final StoreWriter other;

    private StoreWriter(final boolean withOther)
    {
        other = withOther ? new StoreWriter(false) : null;
    }

    /**
     * @return the calling thread's scratch.
     */
    static StoreWriter current()
    {
        return CURRENT.get();
    }

    GlobalTreePath path()
    {
        return path;
    }

    /**
     * @return a copy of the key in an array of at least {@code keyLength} bytes, valid until the next call.
     */
    byte[] key(final DirectBuffer buffer, final int offset, final int keyLength)
    {
        if (key.length < keyLength)
        {
            key = new byte[Math.max(keyLength, 2 * key.length)];
        }
        buffer.getBytes(offset, key, 0, keyLength);
        return key;
    }

    /**
     * @return a copy of an inline value (at most {@link GlobalTreeLeaf#MAX_INLINE_VALUE} bytes).
     */
    byte[] value(final DirectBuffer buffer, final int offset, final int valueLength)
    {
        buffer.getBytes(offset, value, 0, valueLength);
        return value;
    }

    /**
     * @return the scratch of the second of two SETs done together ({@link GlobalTree#setBoth}).
     */
    StoreWriter other()
    {
        return other;
    }

    /**
     * @return an array of at least {@code length} bytes for a KILL's upper bound.
     */
    byte[] upper(final int length)
    {
        if (upper.length < length)
        {
            upper = new byte[Math.max(length, 2 * upper.length)];
        }
        return upper;
    }
}
