package io.jmirror.dejournal;

import java.util.Arrays;

import io.jmirror.journal.SubscriptCodec;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A reader's in-order walk over the nodes of one {@link GlobalTree} under a key prefix, one leaf at a time.
 * <p>
 * Why chunks: a reader must not hold up the dejournal worker that writes the global, and must not call user code
 * inside an optimistic read section (the section may be torn and retried). So each step copies the rest of one leaf
 * into a private chunk inside a read section, and then hands the nodes out one by one with no lock held. The next
 * chunk starts after the last key handed out, found again from the root. Keys therefore always come out strictly
 * increasing and every value is one that its node really held, but the walk is not a snapshot: a node set or
 * killed behind the walk's position after it passed is not seen, one ahead of it is.
 * <p>
 * Not thread-safe; one per walk.
 */
final class GlobalTreeCursor
{
    private static final int HEADER = 2 * Integer.BYTES;

    private final GlobalTree tree;
    private final byte[] prefix;
    private final GlobalTreePath path = new GlobalTreePath();
    private final ExpandableArrayBuffer chunk = new ExpandableArrayBuffer(GlobalTreeLeaf.PAGE_SIZE);
    private final UnsafeBuffer bigView = new UnsafeBuffer(new byte[0]);
    private byte[][] bigs = new byte[4][];
    private int bigCount;
    private int chunkLength;
    private int position;
    private int lastKeyPosition;
    private int lastKeyLength;
    private byte[] resume;
    private boolean exhausted;
    private boolean prefixEnded;

    private int keyOffset;
    private int keyLength;
    private DirectBuffer valueBuffer;
    private int valueOffset;
    private int valueLength;

    /**
     * @param prefix only nodes whose keys start with it (the node itself and its descendants); empty for all.
     */
    GlobalTreeCursor(final GlobalTree tree, final byte[] prefix)
    {
        this.tree = tree;
        this.prefix = prefix;
    }

    /**
     * Moves to the next node.
     *
     * @return false when there is none.
     */
    boolean next()
    {
        if (position >= chunkLength)
        {
            if (exhausted || !fill())
            {
                return false;
            }
        }
        keyLength = chunk.getInt(position);
        final int storedValueLength = chunk.getInt(position + Integer.BYTES);
        keyOffset = position + HEADER;
        position = keyOffset + keyLength;
        if (storedValueLength < 0)
        {
            final byte[] value = bigs[-storedValueLength - 1];
            bigView.wrap(value);
            valueBuffer = bigView;
            valueOffset = 0;
            valueLength = value.length;
        }
        else
        {
            valueBuffer = chunk;
            valueOffset = position;
            valueLength = storedValueLength;
            position += storedValueLength;
        }
        return true;
    }

    DirectBuffer keyBuffer()
    {
        return chunk;
    }

    int keyOffset()
    {
        return keyOffset;
    }

    int keyLength()
    {
        return keyLength;
    }

    DirectBuffer valueBuffer()
    {
        return valueBuffer;
    }

    int valueOffset()
    {
        return valueOffset;
    }

    int valueLength()
    {
        return valueLength;
    }

    byte[] keyCopy()
    {
        final byte[] copy = new byte[keyLength];
        chunk.getBytes(keyOffset, copy);
        return copy;
    }

    byte[] valueCopy()
    {
        final byte[] copy = new byte[valueLength];
        valueBuffer.getBytes(valueOffset, copy);
        return copy;
    }

    /**
     * Adds an entry with an inline value that follows the key in {@code data}. Called by the leaf inside a read
     * section; {@code capacity} (the page's) bounds the chunk so torn lengths throw instead of growing it.
     */
    void add(final byte[] data, final int keyFrom, final int keyLength, final int valueLength, final int capacity)
    {
        final int at = reserve(HEADER + keyLength + valueLength, capacity);
        chunk.putInt(at, keyLength);
        chunk.putInt(at + Integer.BYTES, valueLength);
        chunk.putBytes(at + HEADER, data, keyFrom, keyLength + valueLength);
        lastKeyPosition = at + HEADER;
        lastKeyLength = keyLength;
    }

    /**
     * Adds an entry whose value lives out of line; the array is immutable, so only the reference is kept.
     */
    void add(final byte[] data, final int keyFrom, final int keyLength, final byte[] value, final int capacity)
    {
        final int at = reserve(HEADER + keyLength, capacity);
        if (bigCount == bigs.length)
        {
            bigs = Arrays.copyOf(bigs, 2 * bigs.length);
        }
        bigs[bigCount++] = value;
        chunk.putInt(at, keyLength);
        chunk.putInt(at + Integer.BYTES, -bigCount);
        chunk.putBytes(at + HEADER, data, keyFrom, keyLength);
        lastKeyPosition = at + HEADER;
        lastKeyLength = keyLength;
    }

    private int reserve(final int length, final int capacity)
    {
        final int at = chunkLength;
        if ((long)at + length > 2L * capacity)
        {
            throw GlobalTree.TORN;
        }
        chunkLength = at + length;
        return at;
    }

    private boolean fill()
    {
        tree.read(this::fillSection);
        position = 0;
        exhausted = prefixEnded;
        if (chunkLength == 0)
        {
            exhausted = true;
            return false;
        }
        if (resume != null && SubscriptCodec.compare(
            chunk, HEADER, chunk.getInt(0), new UnsafeBuffer(resume), 0, resume.length) <= 0)
        {
            // A consistent read that does not advance is a bug; fail rather than walk forever.
            throw new IllegalStateException("global tree walk did not advance: global=" + tree.global());
        }
        resume = new byte[lastKeyLength];
        chunk.getBytes(lastKeyPosition, resume);
        return true;
    }

    /**
     * One read section: copies the rest of the leaf after {@link #resume} (or from the prefix), moving to the next
     * leaf if that one is used up. May run several times; it starts from scratch each time.
     */
    private Boolean fillSection(final Object root)
    {
        chunkLength = 0;
        prefixEnded = false;
        Arrays.fill(bigs, 0, bigCount, null);
        bigCount = 0;
        final boolean first = resume == null;
        final byte[] from = first ? prefix : resume;
        GlobalTreeLeaf leaf = path.descend(root, from, from.length);
        int index = leaf.bound(from, from.length, first);
        if (index >= leaf.count())
        {
            leaf = path.next();
            index = 0;
            if (leaf == null)
            {
                return Boolean.FALSE;
            }
        }
        prefixEnded = !leaf.copyTo(this, index, prefix, prefix.length);
        return Boolean.TRUE;
    }
}
