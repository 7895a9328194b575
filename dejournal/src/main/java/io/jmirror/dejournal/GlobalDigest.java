package io.jmirror.dejournal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/**
 * Order-independent digest of one global's contents: the number of nodes and the sum and xor of a 64-bit hash of
 * every (key, value) pair. Immutable.
 * <p>
 * Why this shape: a data check between two members must not walk every node of every global. Sum and xor over
 * per-node hashes are maintained in O(1) per SET, KILL (once per removed node) and ZKILL, and depend only on the set
 * of pairs, not on the order the records were applied in, so a member that dejournaled with 16 workers and one that
 * restored a backup compare equal when their contents are equal. Two different contents give the same digest only if
 * both 64-bit sums and xors collide; the count catches the common "one side lost nodes" case at a glance.
 * <p>
 * The hash is XXH64 (the public xxHash64 algorithm, written out here to avoid a dependency):
 * {@code pairHash = XXH64(value, seed = XXH64(key, seed = 0x6A6D6972726F72L))}. Digests are compared across
 * processes and machines, so the algorithm and seed are part of the wire contract of a data check: change them only
 * with a version bump.
 */
public final class GlobalDigest
{
    /** The digest of an empty global. */
    public static final GlobalDigest EMPTY = new GlobalDigest(0, 0, 0);

    /** Seed of the key hash, "jmirror" in ASCII; fixed so that every member computes the same digests. */
    static final long KEY_SEED = 0x6A6D6972726F72L;

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;
    private static final int STRIPE = 32;
    private static final VarHandle LONG_LE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE =
        MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final long count;
    private final long sum;
    private final long xor;

    /**
     * @param count number of nodes.
     * @param sum   sum of the pair hashes, modulo 2^64.
     * @param xor   xor of the pair hashes.
     */
    public GlobalDigest(final long count, final long sum, final long xor)
    {
        this.count = count;
        this.sum = sum;
        this.xor = xor;
    }

    /**
     * @return number of nodes (nodes with a value; a node that only has descendants does not count).
     */
    public long count()
    {
        return count;
    }

    /**
     * @return sum of the pair hashes, modulo 2^64.
     */
    public long sum()
    {
        return sum;
    }

    /**
     * @return xor of the pair hashes.
     */
    public long xor()
    {
        return xor;
    }

    /**
     * @return the digest folded into one long, for logs and quick comparisons; {@link #equals} compares all fields.
     */
    public long asLong()
    {
        return mix(sum + P1 * count) ^ Long.rotateLeft(xor, 29);
    }

    /**
     * Hash of one node, as the digest adds it.
     *
     * @return {@code XXH64(value, XXH64(key, KEY_SEED))}.
     */
    public static long pairHash(
        final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength)
    {
        return xxh64(value, valueOffset, valueLength, xxh64(key, keyOffset, keyLength, KEY_SEED));
    }

    /**
     * XXH64 of {@code length} bytes at {@code offset}.
     *
     * @param seed the algorithm's seed.
     * @return the 64-bit hash.
     */
    public static long xxh64(final DirectBuffer buffer, final int offset, final int length, final long seed)
    {
        final int end = offset + length;
        int i = offset;
        long h;
        if (length >= STRIPE)
        {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            for (; i + STRIPE <= end; i += STRIPE)
            {
                v1 = round(v1, buffer.getLong(i, ByteOrder.LITTLE_ENDIAN));
                v2 = round(v2, buffer.getLong(i + 8, ByteOrder.LITTLE_ENDIAN));
                v3 = round(v3, buffer.getLong(i + 16, ByteOrder.LITTLE_ENDIAN));
                v4 = round(v4, buffer.getLong(i + 24, ByteOrder.LITTLE_ENDIAN));
            }
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = mergeRound(h, v1);
            h = mergeRound(h, v2);
            h = mergeRound(h, v3);
            h = mergeRound(h, v4);
        }
        else
        {
            h = seed + P5;
        }
        h += length;
        for (; i + Long.BYTES <= end; i += Long.BYTES)
        {
            h ^= round(0, buffer.getLong(i, ByteOrder.LITTLE_ENDIAN));
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (i + Integer.BYTES <= end)
        {
            h ^= (buffer.getInt(i, ByteOrder.LITTLE_ENDIAN) & 0xFFFF_FFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            i += Integer.BYTES;
        }
        for (; i < end; i++)
        {
            h ^= (buffer.getByte(i) & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        return mix(h);
    }

    /**
     * XXH64 of {@code length} bytes of an array at {@code offset}: the same function as
     * {@link #xxh64(DirectBuffer, int, int, long)}, for the store's own copies, read with plain array accesses that
     * the JIT turns into single loads.
     *
     * @param seed the algorithm's seed.
     * @return the 64-bit hash.
     */
    public static long xxh64(final byte[] bytes, final int offset, final int length, final long seed)
    {
        final int end = offset + length;
        int i = offset;
        long h;
        if (length >= STRIPE)
        {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            for (; i + STRIPE <= end; i += STRIPE)
            {
                v1 = round(v1, (long)LONG_LE.get(bytes, i));
                v2 = round(v2, (long)LONG_LE.get(bytes, i + 8));
                v3 = round(v3, (long)LONG_LE.get(bytes, i + 16));
                v4 = round(v4, (long)LONG_LE.get(bytes, i + 24));
            }
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = mergeRound(h, v1);
            h = mergeRound(h, v2);
            h = mergeRound(h, v3);
            h = mergeRound(h, v4);
        }
        else
        {
            h = seed + P5;
        }
        h += length;
        for (; i + Long.BYTES <= end; i += Long.BYTES)
        {
            h ^= round(0, (long)LONG_LE.get(bytes, i));
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (i + Integer.BYTES <= end)
        {
            h ^= ((int)INT_LE.get(bytes, i) & 0xFFFF_FFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            i += Integer.BYTES;
        }
        for (; i < end; i++)
        {
            h ^= (bytes[i] & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        return mix(h);
    }

    /**
     * {@link #pairHash(DirectBuffer, int, int, DirectBuffer, int, int)} over arrays.
     */
    public static long pairHash(final byte[] key, final int keyLength, final byte[] value, final int valueLength)
    {
        return xxh64(value, 0, valueLength, xxh64(key, 0, keyLength, KEY_SEED));
    }

    @Override
    public boolean equals(final Object other)
    {
        if (this == other)
        {
            return true;
        }
        if (!(other instanceof GlobalDigest))
        {
            return false;
        }
        final GlobalDigest that = (GlobalDigest)other;
        return count == that.count && sum == that.sum && xor == that.xor;
    }

    @Override
    public int hashCode()
    {
        return Long.hashCode(asLong());
    }

    @Override
    public String toString()
    {
        return "count=" + count + " sum=" + Long.toHexString(sum) + " xor=" + Long.toHexString(xor);
    }

    private static long round(final long acc, final long input)
    {
        return Long.rotateLeft(acc + input * P2, 31) * P1;
    }

    private static long mergeRound(final long acc, final long value)
    {
        return (acc ^ round(0, value)) * P1 + P4;
    }

    private static long mix(final long value)
    {
        long h = value;
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }
}
