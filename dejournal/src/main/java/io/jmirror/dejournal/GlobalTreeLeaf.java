package io.jmirror.dejournal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A leaf page of a {@link GlobalTree}: the nodes of one key range packed in one byte array, as an IRIS global data
 * block packs them, so a lookup touches a few cache lines of one array instead of a chain of objects.
 * <pre>
 *  data:   | entry | entry | dead entry | entry | ... | free                     |
 *          0                                          end                  data.length
 *
 *  entry   0               4               8                               16
 *          +---------------+---------------+-------------------------------+-----+-------+
 *          | key length    | value length  | pair hash (digest term)       | key | value |
 *          | int32 LE      | int32 LE,     | int64 LE                      |     | bytes |
 *          |               | -1 = out of   |                               |     |       |
 *          |               | line          |                               |     |       |
 *          +---------------+---------------+-------------------------------+-----+-------+
 *
 *  slots:  offsets of the entries in key order (binary search runs over them)
 *  heads:  8 bytes of each slot's key after the prefix all the page's keys share (up to 8 bytes of it kept in
 *          prefixLength/prefixBits), big-endian and zero-padded (see {@link #head})
 *  big:    values longer than MAX_INLINE_VALUE, one immutable byte[] per slot (null until a page has one)
 * </pre>
 * Entries are appended at {@code end} in arrival order and found through {@code slots}, so an insert moves ints,
 * not entries. A removed or resized entry becomes dead bytes ({@code garbage}) until the page is compacted, which
 * happens when it would otherwise have to split. A page is {@link #PAGE_SIZE} bytes unless one entry is bigger
 * (a key of several KiB), in which case the page grows to hold it: keys are never stored out of line.
 * <p>
 * The heads make a binary search compare longs in one small array and touch an entry's bytes only when two keys
 * agree on those 8 bytes too; without them, key comparisons (cache misses on entries, mostly) were the largest item
 * in a profile of SET. Skipping the shared prefix matters because neighbours share a lot: every {@code (n,"...")}
 * under one number {@code n} below 10^8 starts with the same 8 bytes.
 * <p>
 * The pair hash is stored so that overwriting or killing a node can take its term out of the digest without
 * hashing the old value again. Big values live out of line so that pages stay small whatever the value size
 * (the journal allows 16 MiB); a big value array is never modified once stored, so a reader may copy it after its
 * read section ends, and a replaced value gets a new array.
 * <p>
 * Not thread-safe: the owning tree's writer mutates it under the write lock and readers read it optimistically,
 * so every reader-side accessor must tolerate torn state by throwing (never by looping or allocating without bound),
 * which {@link GlobalTree#read} turns into a retry.
 */
final class GlobalTreeLeaf
{
    /**
     * Bytes of a page: 8 KiB, the IRIS block size. The system property {@code jmirror.globalStorePageSize} (at least
     * 1024) changes it, only so that other sizes can be measured; bench/results/global-store-structures.md has the
     * figures.
     */
    static final int PAGE_SIZE = Math.max(1024, Integer.getInteger("jmirror.globalStorePageSize", 8 * 1024));
    /** Longest value stored in the page itself; longer ones go out of line. */
    static final int MAX_INLINE_VALUE = PAGE_SIZE / 8;
    static final int ENTRY_HEADER = 16;
    static final int KEY_LENGTH_OFFSET = 0;
    static final int VALUE_LENGTH_OFFSET = 4;
    static final int HASH_OFFSET = 8;
    static final int OUT_OF_LINE = -1;

    private static final int INITIAL_SLOTS = 64;
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private byte[] data;
    private int end;
    private int garbage;
    private int[] slots;
    private long[] heads;
    private int prefixLength;
    private long prefixBits;
    private byte[][] big;
    private int count;

    GlobalTreeLeaf()
    {
        this(PAGE_SIZE, INITIAL_SLOTS);
    }

    private GlobalTreeLeaf(final int capacity, final int slotCapacity)
    {
        data = new byte[capacity];
        slots = new int[slotCapacity];
        heads = new long[slotCapacity];
    }

    /**
     * The first 8 bytes of a key as an unsigned big-endian long, zero-padded. If two keys' heads differ, they order
     * the keys as the full keys do (a shorter key pads with 0x00, which no longer key can be below); if they are
     * equal, only a full comparison can tell.
     */
    static long head(final byte[] key, final int offset, final int length)
    {
        if (length >= Long.BYTES)
        {
            return (long)LONG_BE.get(key, offset);
        }
        long head = 0;
        for (int i = 0; i < Long.BYTES; i++)
        {
            head = (head << 8) | (i < length ? key[offset + i] & 0xFF : 0);
        }
        return head;
    }

    int count()
    {
        return count;
    }

    /**
     * @return bytes of live entries.
     */
    int liveBytes()
    {
        return end - garbage;
    }

    int capacity()
    {
        return data.length;
    }

    long hash(final int index)
    {
        return (long)LONG.get(data, slots[index] + HASH_OFFSET);
    }

    int keyLength(final int index)
    {
        return (int)INT.get(data, slots[index] + KEY_LENGTH_OFFSET);
    }

    /**
     * Binary search for a key.
     *
     * @return the key's index, or {@code -(insertion point) - 1} when absent.
     */
    int search(final byte[] key, final int keyLength)
    {
        final int[] slots = this.slots;
        final long[] heads = this.heads;
        final byte[] data = this.data;
        final int prefixLength = this.prefixLength;
        if (prefixLength > 0)
        {
            final long keyPrefix = head(key, 0, Math.min(keyLength, prefixLength));
            if (keyPrefix != prefixBits || keyLength < prefixLength)
            {
                // Not in the shared prefix: before every key (also when a proper prefix of it) or after every key.
                return Long.compareUnsigned(keyPrefix, prefixBits) <= 0 ? -1 : -(count + 1);
            }
        }
        final long head = head(key, prefixLength, keyLength - prefixLength);
        int low = 0;
        int high = count - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            int cmp = Long.compareUnsigned(heads[mid], head);
            if (cmp == 0)
            {
                final int at = slots[mid];
                final int from = at + ENTRY_HEADER;
                cmp = Arrays.compareUnsigned(
                    data, from, from + (int)INT.get(data, at + KEY_LENGTH_OFFSET), key, 0, keyLength);
            }
            if (cmp < 0)
            {
                low = mid + 1;
            }
            else if (cmp > 0)
            {
                high = mid - 1;
            }
            else
            {
                return mid;
            }
        }
        return -(low + 1);
    }

    /**
     * @return index of the first key {@code >= key} ({@code inclusive}) or {@code > key}; {@link #count()} if none.
     */
    int bound(final byte[] key, final int keyLength, final boolean inclusive)
    {
        final int index = search(key, keyLength);
        return index < 0 ? -index - 1 : inclusive ? index : index + 1;
    }

    /**
     * @return whether the key at {@code index} starts with {@code prefix}.
     */
    boolean startsWith(final int index, final byte[] prefix, final int prefixLength)
    {
        final int at = slots[index];
        final int from = at + ENTRY_HEADER;
        return (int)INT.get(data, at + KEY_LENGTH_OFFSET) >= prefixLength &&
            Arrays.equals(data, from, from + prefixLength, prefix, 0, prefixLength);
    }

    /**
     * A copy of the key at {@code index}; checks bounds first so a torn length cannot allocate without limit.
     */
    byte[] keyCopy(final int index)
    {
        final int at = slots[index];
        final int length = (int)INT.get(data, at + KEY_LENGTH_OFFSET);
        checkRange(at + ENTRY_HEADER, length);
        return Arrays.copyOfRange(data, at + ENTRY_HEADER, at + ENTRY_HEADER + length);
    }

    /**
     * A copy of the value at {@code index}, bounds-checked like {@link #keyCopy}.
     */
    byte[] valueCopy(final int index)
    {
        final int at = slots[index];
        final int valueLength = (int)INT.get(data, at + VALUE_LENGTH_OFFSET);
        if (valueLength == OUT_OF_LINE)
        {
            return big[index].clone();
        }
        final int from = at + ENTRY_HEADER + (int)INT.get(data, at + KEY_LENGTH_OFFSET);
        checkRange(from, valueLength);
        return Arrays.copyOfRange(data, from, from + valueLength);
    }

    /**
     * Appends the entries {@code [from, count)} whose keys start with {@code prefix} to a reader's chunk, stopping at
     * the first that does not.
     *
     * @return whether the leaf ran out before the prefix did (so the next leaf may hold more).
     */
    boolean copyTo(final GlobalTreeCursor chunk, final int from, final byte[] prefix, final int prefixLength)
    {
        final int n = count;
        if (n > slots.length)
        {
            throw GlobalTree.TORN;
        }
        for (int i = from; i < n; i++)
        {
            if (!startsWith(i, prefix, prefixLength))
            {
                return false;
            }
            final int at = slots[i];
            final int keyLength = (int)INT.get(data, at + KEY_LENGTH_OFFSET);
            final int valueLength = (int)INT.get(data, at + VALUE_LENGTH_OFFSET);
            checkRange(at + ENTRY_HEADER, keyLength);
            if (valueLength == OUT_OF_LINE)
            {
                chunk.add(data, at + ENTRY_HEADER, keyLength, big[i], data.length);
            }
            else
            {
                checkRange(at + ENTRY_HEADER + keyLength, valueLength);
                chunk.add(data, at + ENTRY_HEADER, keyLength, valueLength, data.length);
            }
        }
        return true;
    }

    /**
     * Overwrites the value at {@code index} if that needs no new space: an inline value of the same length is
     * copied over the old one, an out-of-line value is replaced by the new array.
     *
     * @param value the bytes to copy for an inline value; for a value longer than {@link #MAX_INLINE_VALUE}, an array
     *              of exactly its length that the page takes over and never modifies.
     * @return false when the entry must be removed and inserted again instead.
     */
    boolean overwrite(final int index, final byte[] value, final int valueLength, final long hash)
    {
        final int at = slots[index];
        final int oldLength = (int)INT.get(data, at + VALUE_LENGTH_OFFSET);
        if (oldLength == OUT_OF_LINE && valueLength > MAX_INLINE_VALUE)
        {
            big[index] = value;
        }
        else if (oldLength == valueLength)
        {
            final int valueAt = at + ENTRY_HEADER + (int)INT.get(data, at + KEY_LENGTH_OFFSET);
            System.arraycopy(value, 0, data, valueAt, valueLength);
        }
        else
        {
            return false;
        }
        LONG.set(data, at + HASH_OFFSET, hash);
        return true;
    }

    /**
     * Inserts a new entry at slot {@code index}.
     *
     * @param value   as for {@link #overwrite}: copied if inline, taken over if out of line.
     * @param mayGrow grow the page rather than report that it is full (used right after a split).
     * @return false if the page is full and holds at least two entries: the caller splits it and retries.
     */
    boolean insert(
        final int index, final byte[] key, final int keyLength,
        final byte[] value, final int valueLength, final long hash, final boolean mayGrow)
    {
        final boolean outOfLine = valueLength > MAX_INLINE_VALUE;
        final int size = ENTRY_HEADER + keyLength + (outOfLine ? 0 : valueLength);
        if (end + size > data.length)
        {
            if (count >= 2 && !mayGrow && liveBytes() + size > data.length)
            {
                return false;
            }
            compact(Math.max(PAGE_SIZE, liveBytes() + size));
        }
        ensureSlots(count + 1, outOfLine);

        final int at = end;
        INT.set(data, at + KEY_LENGTH_OFFSET, keyLength);
        INT.set(data, at + VALUE_LENGTH_OFFSET, outOfLine ? OUT_OF_LINE : valueLength);
        LONG.set(data, at + HASH_OFFSET, hash);
        System.arraycopy(key, 0, data, at + ENTRY_HEADER, keyLength);
        if (!outOfLine)
        {
            System.arraycopy(value, 0, data, at + ENTRY_HEADER + keyLength, valueLength);
        }
        sharePrefix(key, keyLength);
        System.arraycopy(slots, index, slots, index + 1, count - index);
        System.arraycopy(heads, index, heads, index + 1, count - index);
        slots[index] = at;
        heads[index] = head(key, prefixLength, keyLength - prefixLength);
        if (big != null)
        {
            System.arraycopy(big, index, big, index + 1, count - index);
            big[index] = outOfLine ? value : null;
        }
        end = at + size;
        count++;
        return true;
    }

    /**
     * Removes the entries {@code [from, to)}; their bytes become garbage.
     */
    void remove(final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            garbage += entrySize(slots[i]);
        }
        final int removed = to - from;
        System.arraycopy(slots, to, slots, from, count - to);
        System.arraycopy(heads, to, heads, from, count - to);
        if (big != null)
        {
            System.arraycopy(big, to, big, from, count - to);
            Arrays.fill(big, count - removed, count, null);
        }
        count -= removed;
        if (count == 0)
        {
            end = 0;
            garbage = 0;
            big = null;
            prefixLength = 0;
            prefixBits = 0;
        }
    }

    /**
     * Moves the upper half of the entries, by bytes, to a new right sibling and compacts this page.
     *
     * @return the new right sibling; both pages keep at least one entry.
     */
    GlobalTreeLeaf split()
    {
        final int half = liveBytes() / 2;
        int split = 0;
        int leftBytes = 0;
        while (split < count - 1 && (split == 0 || leftBytes + entrySize(slots[split]) <= half))
        {
            leftBytes += entrySize(slots[split]);
            split++;
        }
        final int rightCount = count - split;
        final GlobalTreeLeaf right = new GlobalTreeLeaf(
            Math.max(PAGE_SIZE, liveBytes() - leftBytes), Math.max(INITIAL_SLOTS, rightCount * 2));
        right.appendFrom(this, split, count);
        right.rehead();
        final GlobalTreeLeaf left = new GlobalTreeLeaf(Math.max(PAGE_SIZE, leftBytes), slots.length);
        left.appendFrom(this, 0, split);
        left.rehead();
        adopt(left);
        return right;
    }

    /**
     * Appends every entry of {@code right}, whose keys all sort after this page's, compacting this page.
     */
    void merge(final GlobalTreeLeaf right)
    {
        final GlobalTreeLeaf merged = new GlobalTreeLeaf(
            Math.max(PAGE_SIZE, liveBytes() + right.liveBytes()), Math.max(INITIAL_SLOTS, 2 * (count + right.count)));
        merged.appendFrom(this, 0, count);
        merged.appendFrom(right, 0, right.count);
        merged.rehead();
        adopt(merged);
    }

    /**
     * The shortest key {@code s} with {@code left.last < s <= right.first}: a prefix of the right page's first key,
     * one byte longer than what it shares with the left page's last key. Short separators keep inner pages small.
     */
    static byte[] separator(final GlobalTreeLeaf left, final GlobalTreeLeaf right)
    {
        final int leftAt = left.slots[left.count - 1];
        final int leftFrom = leftAt + ENTRY_HEADER;
        final int leftLength = (int)INT.get(left.data, leftAt + KEY_LENGTH_OFFSET);
        final int rightAt = right.slots[0];
        final int rightFrom = rightAt + ENTRY_HEADER;
        final int rightLength = (int)INT.get(right.data, rightAt + KEY_LENGTH_OFFSET);
        final int mismatch = Arrays.mismatch(
            left.data, leftFrom, leftFrom + leftLength, right.data, rightFrom, rightFrom + rightLength);
        return Arrays.copyOfRange(right.data, rightFrom, rightFrom + Math.min(mismatch + 1, rightLength));
    }

    private void appendFrom(final GlobalTreeLeaf source, final int from, final int to)
    {
        final int n = to - from;
        ensureSlots(count + n, source.big != null);
        for (int i = from; i < to; i++)
        {
            final int at = source.slots[i];
            final int size = source.entrySize(at);
            System.arraycopy(source.data, at, data, end, size);
            slots[count] = end;
            heads[count] = source.heads[i];
            if (source.big != null)
            {
                big[count] = source.big[i];
            }
            end += size;
            count++;
        }
    }

    private void compact(final int capacity)
    {
        final GlobalTreeLeaf compacted = new GlobalTreeLeaf(capacity, slots.length);
        compacted.appendFrom(this, 0, count);
        compacted.prefixLength = prefixLength;
        compacted.prefixBits = prefixBits;
        adopt(compacted);
    }

    private void adopt(final GlobalTreeLeaf built)
    {
        data = built.data;
        end = built.end;
        garbage = built.garbage;
        slots = built.slots;
        heads = built.heads;
        big = built.big;
        count = built.count;
        prefixLength = built.prefixLength;
        prefixBits = built.prefixBits;
    }

    /**
     * Narrows the shared prefix, if needed, so that it is also a prefix of {@code key}, recomputing every head when it
     * changes (at most 8 times in a page's life between rebuilds, since it only shrinks).
     */
    private void sharePrefix(final byte[] key, final int keyLength)
    {
        if (count == 0)
        {
            prefixLength = Math.min(Long.BYTES, keyLength);
            prefixBits = head(key, 0, prefixLength);
            return;
        }
        final int length = prefixLength;
        final long keyPrefix = head(key, 0, Math.min(keyLength, length));
        if (keyPrefix != prefixBits || keyLength < length)
        {
            final int shared = Long.numberOfLeadingZeros(keyPrefix ^ prefixBits) / Byte.SIZE;
            setPrefix(Math.min(Math.min(keyLength, length), shared));
        }
    }

    /**
     * Takes the longest prefix (up to 8 bytes) shared by the first and last keys, so by all, and recomputes the heads.
     */
    private void rehead()
    {
        if (count == 0)
        {
            prefixLength = 0;
            prefixBits = 0;
            return;
        }
        final int firstAt = slots[0];
        final int lastAt = slots[count - 1];
        final int firstLength = (int)INT.get(data, firstAt + KEY_LENGTH_OFFSET);
        final int lastLength = (int)INT.get(data, lastAt + KEY_LENGTH_OFFSET);
        final int limit = Math.min(Long.BYTES, Math.min(firstLength, lastLength));
        final int mismatch = Arrays.mismatch(data, firstAt + ENTRY_HEADER, firstAt + ENTRY_HEADER + limit,
            data, lastAt + ENTRY_HEADER, lastAt + ENTRY_HEADER + limit);
        setPrefix(mismatch < 0 ? limit : mismatch);
    }

    /**
     * Sets the shared prefix length (a prefix of every key in the page) and recomputes every head.
     */
    private void setPrefix(final int length)
    {
        prefixLength = length;
        if (count == 0)
        {
            prefixBits = 0;
            return;
        }
        final int firstAt = slots[0] + ENTRY_HEADER;
        prefixBits = head(data, firstAt, length);
        for (int i = 0; i < count; i++)
        {
            final int at = slots[i];
            heads[i] = head(data, at + ENTRY_HEADER + length, (int)INT.get(data, at + KEY_LENGTH_OFFSET) - length);
        }
    }

    private void ensureSlots(final int needed, final boolean withBig)
    {
        if (needed > slots.length)
        {
            final int capacity = Math.max(needed, 2 * slots.length);
            slots = Arrays.copyOf(slots, capacity);
            heads = Arrays.copyOf(heads, capacity);
            if (big != null)
            {
                big = Arrays.copyOf(big, capacity);
            }
        }
        if (withBig && big == null)
        {
            big = new byte[slots.length][];
        }
    }

    private int entrySize(final int at)
    {
        final int valueLength = (int)INT.get(data, at + VALUE_LENGTH_OFFSET);
        final int keyLength = (int)INT.get(data, at + KEY_LENGTH_OFFSET);
        return ENTRY_HEADER + keyLength + (valueLength == OUT_OF_LINE ? 0 : valueLength);
    }

    private void checkRange(final int from, final int length)
    {
        if (length < 0 || from < 0 || from > data.length - length)
        {
            throw GlobalTree.TORN;
        }
    }
}
