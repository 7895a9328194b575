package io.jmirror.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The one record every append and read benchmark writes: a {@code SET ^Patient(key)=value} in database
 * {@code USER}, as jmirror's journal writes it.
 * <p>
 * It lives in one place so that jmirror's journal and Chronicle Queue are measured on the same fields
 * and the same bytes; a comparison is only fair if neither side gets a smaller record. One instance
 * per benchmark thread: {@link #next()} mutates the key in place, so nothing is allocated per record.
 * The timestamp is {@code System.currentTimeMillis()} taken per record on both sides, as a real
 * appender would stamp it.
 */
final class BenchRecord
{
    /** Record type of a {@code SET}, as in jmirror's record format. */
    static final byte TYPE_SET = 1;

    /** Database name, UTF-8. */
    static final byte[] DATABASE = "USER".getBytes(StandardCharsets.UTF_8);

    /** Global name, UTF-8. */
    static final byte[] GLOBAL = "Patient".getBytes(StandardCharsets.UTF_8);

    /** Length of the encoded subscript key: about what one integer subscript encodes to. */
    static final int KEY_LENGTH = 12;

    /** The key's last 8 bytes carry the counter, so consecutive records name different nodes. */
    static final int KEY_COUNTER_OFFSET = KEY_LENGTH - Long.BYTES;

    /**
     * Records a read benchmark prefills and then reads round and round: about 100-300 MB, more than any
     * cache, so reads come from memory the way a dejournal catching up reads them.
     */
    static final int READ_RECORDS = 1 << 20;

    /**
     * Bytes of the record's fields (type, transaction id, timestamp, database, global, key, value), without
     * any length prefixes, header or checksum a store adds. Ratios in bytes/s use it so they count the same
     * bytes whichever store is measured.
     *
     * @param valueSize length of the value.
     * @return the field bytes of one record.
     */
    static int fieldBytes(final int valueSize)
    {
        return 1 + Long.BYTES + Long.BYTES + DATABASE.length + GLOBAL.length + KEY_LENGTH + valueSize;
    }

    private static final VarHandle LONG_BE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final byte[] key = new byte[KEY_LENGTH];
    private final byte[] value;
    private long counter;

    /**
     * @param valueSize length of the value written with every record.
     */
    BenchRecord(final int valueSize)
    {
        // Looks like a small encoded subscript: a type tag and length, then the integer subscript.
        key[0] = 0x02;
        key[1] = 0x08;
        key[2] = 0x00;
        key[3] = 0x00;
        value = new byte[valueSize];
        for (int i = 0; i < valueSize; i++)
        {
            value[i] = (byte)('a' + (i % 26));
        }
    }

    /**
     * Moves to the next record: bumps the counter and writes it into the key's last 8 bytes.
     *
     * @return the new counter, usable as the transaction id.
     */
    long next()
    {
        final long c = ++counter;
        LONG_BE.set(key, KEY_COUNTER_OFFSET, c);
        return c;
    }

    /**
     * @return the encoded subscript key, mutated in place by {@link #next()}; do not keep it.
     */
    byte[] key()
    {
        return key;
    }

    /**
     * @return the value bytes; the same array for every record.
     */
    byte[] value()
    {
        return value;
    }
}
