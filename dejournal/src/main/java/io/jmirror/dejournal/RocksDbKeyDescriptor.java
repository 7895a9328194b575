package io.jmirror.dejournal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The keys of a {@link RocksDbTarget}: one RocksDB key per node, and one for the applied LSN.
 * <pre>
 *  node key     +-----------------+------+-----------------+------+------------------------------+
 *               | database, UTF-8 | 0x00 | global, UTF-8   | 0x00 | subscripts, as SubscriptKey  |
 *               | escaped         | end  | escaped         | end  | encodes them (empty: root)   |
 *               +-----------------+------+-----------------+------+------------------------------+
 *               escaping, as SubscriptCodec escapes strings: 0x00 -> 0x01 0x01, 0x01 -> 0x01 0x02
 *  node value   the node's value, any bytes, empty included
 *
 *  applied LSN  +------+----------------------+          value  +----------------------------+
 *  key          | 0x00 | "appliedLsn", ASCII  |                 | LSN, int64 big-endian      |
 *               +------+----------------------+                 +----------------------------+
 * </pre>
 * <ul>
 *   <li><b>Order.</b> RocksDB's default comparator is unsigned byte order. Inside one global the keys differ only in
 *   their subscripts, whose bytes sort in IRIS collation ({@link io.jmirror.journal.SubscriptCodec}), so an iterator
 *   walks a global's nodes as {@code $QUERY} does, a parent before its descendants before its next sibling.
 *   Globals sort by database, then global name, each by code point.</li>
 *   <li><b>Prefixes.</b> 0x00 occurs in an escaped name only as its end, so the names part of a key is never a byte
 *   prefix of another global's, and no name can be mistaken for another ("AB" + "C" and "A" + "BC" differ). The
 *   nodes of one global, and the subtree of one node, are exactly the keys that start with its key: a KILL is the
 *   range from the key to {@link #successor} of it.</li>
 *   <li><b>The applied LSN</b> is apart from the nodes: a node key starts with a name's first byte, at least 0x01
 *   after escaping (names are never empty), so the one key that starts with 0x00 is never inside a global's
 *   range, and a scan of the nodes starts at {@link #FIRST_NODE_KEY}.</li>
 * </ul>
 */
final class RocksDbKeyDescriptor
{
    /** The key under which the applied LSN of the last checkpoint is kept. */
    static final byte[] APPLIED_LSN_KEY = "\0appliedLsn".getBytes(StandardCharsets.US_ASCII);
    /** Length of the applied LSN's value. */
    static final int APPLIED_LSN_LENGTH = Long.BYTES;
    /** No node key sorts below it, and the applied LSN key sorts below it. */
    static final byte[] FIRST_NODE_KEY = {0x01};
    /** Ends a name; escaping never produces it. */
    static final int NAME_END = 0x00;
    /** Starts the escape of 0x00 (as 0x01 0x01) or 0x01 (as 0x01 0x02). */
    static final int ESCAPE = 0x01;
    /** Longest names part: both names at their longest and every byte escaped, with the two ends. */
    static final int MAX_NAMES_LENGTH = 2 * (255 + 255) + 2;

    private RocksDbKeyDescriptor()
    {
    }

    /**
     * Writes one name, escaped and ended, at {@code offset}.
     *
     * @return the offset after it.
     */
    static int putName(
        final MutableDirectBuffer dst, final int offset, final DirectBuffer src, final int srcOffset,
        final int srcLength)
    {
        int at = offset;
        for (int i = 0; i < srcLength; i++)
        {
            final byte b = src.getByte(srcOffset + i);
            if ((b & 0xFF) <= ESCAPE)
            {
                dst.putByte(at++, (byte)ESCAPE);
                dst.putByte(at++, (byte)(b + 1));
            }
            else
            {
                dst.putByte(at++, b);
            }
        }
        dst.putByte(at++, (byte)NAME_END);
        return at;
    }

    /**
     * @return the names part of the keys of one global (database and global name, escaped and ended).
     */
    static byte[] names(final String database, final String global)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(database.length() + global.length() + 8);
        putName(out, database.getBytes(StandardCharsets.UTF_8));
        putName(out, global.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static void putName(final ByteArrayOutputStream out, final byte[] name)
    {
        for (final byte b : name)
        {
            if ((b & 0xFF) <= ESCAPE)
            {
                out.write(ESCAPE);
                out.write(b + 1);
            }
            else
            {
                out.write(b);
            }
        }
        out.write(NAME_END);
    }

    /**
     * @return the offset of the subscripts in a node key: just after the second name's end.
     * @throws IllegalArgumentException if the key does not hold two names.
     */
    static int subscriptsOffset(final byte[] key, final int length)
    {
        int ends = 0;
        for (int i = 0; i < length; i++)
        {
            if (key[i] == NAME_END && ++ends == 2)
            {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("not a node key: length=" + length);
    }

    /**
     * @return the offset just after the first name's end.
     */
    static int globalOffset(final byte[] key)
    {
        for (int i = 0; i < key.length; i++)
        {
            if (key[i] == NAME_END)
            {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("not a node key: length=" + key.length);
    }

    /**
     * @return the name whose escaped bytes run from {@code from} to its end (excluded) before {@code to}.
     */
    static String name(final byte[] key, final int from, final int to)
    {
        final byte[] raw = new byte[to - from];
        int n = 0;
        for (int i = from; i < to && key[i] != NAME_END; i++)
        {
            raw[n++] = key[i] == ESCAPE ? (byte)(key[++i] - 1) : key[i];
        }
        return new String(raw, 0, n, StandardCharsets.UTF_8);
    }

    /**
     * The first key after every key that starts with {@code prefix}: the end (excluded) of a KILL's range. The
     * trailing 0xFF bytes are dropped and the last byte left is raised by one; a node key always has one (a name's
     * end), so the successor exists.
     *
     * @return a new array.
     */
    static byte[] successor(final byte[] prefix, final int length)
    {
        int last = length - 1;
        while (last >= 0 && prefix[last] == (byte)0xFF)
        {
            last--;
        }
        if (last < 0)
        {
            throw new IllegalArgumentException("no successor for a prefix of only 0xFF bytes: length=" + length);
        }
        final byte[] successor = Arrays.copyOf(prefix, last + 1);
        successor[last]++;
        return successor;
    }

    /**
     * @return whether {@code key} starts with the first {@code length} bytes of {@code prefix}.
     */
    static boolean startsWith(final byte[] key, final byte[] prefix, final int length)
    {
        return key.length >= length && Arrays.equals(key, 0, length, prefix, 0, length);
    }
}
