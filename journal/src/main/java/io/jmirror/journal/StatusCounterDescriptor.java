package io.jmirror.journal;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.nio.charset.StandardCharsets;

/**
 * Key layout of every jmirror status counter, as Aeron's {@code RecordingPos} gives its counters a type id and a key.
 * The type id ({@link StatusCounterType#typeId()}) says what a counter counts; the key says whose it is. The label
 * ({@code member=backup-1 bytesRaw}) is for humans only: readers decode the type id and the key.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     Worker Index (int32)                      |  0  -1 when not a worker's
 *  +---------------------------------------------------------------+
 *  |                      Name Length (int32)                      |  4
 *  +---------------------------------------------------------------+
 *  |                 Name (US-ASCII, up to 104 bytes)             ...  8  the member, empty for the primary
 *  +---------------------------------------------------------------+
 * </pre>
 * Type ids are grouped by scope: primary 100s, the primary's view of a member 200s, a member's receiver 300s,
 * its dejournaler 400s, a dejournal worker 500s, the harness 900s. A type id is never reused for another meaning.
 */
public final class StatusCounterDescriptor
{
    public static final int WORKER_INDEX_OFFSET = 0;
    public static final int NAME_LENGTH_OFFSET = 4;
    public static final int NAME_OFFSET = 8;
    /** Longest name a key holds. */
    public static final int MAX_NAME_LENGTH = CountersReader.MAX_KEY_LENGTH - NAME_OFFSET;
    /** Worker index of a counter that is not a worker's. */
    public static final int NO_WORKER = -1;

    private StatusCounterDescriptor()
    {
    }

    /**
     * @return the key's length.
     */
    public static int encodeKey(final MutableDirectBuffer key, final String name, final int workerIndex)
    {
        final byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > MAX_NAME_LENGTH)
        {
            throw new JournalException(JournalException.Code.INVALID_CONFIG,
                "counter name too long: name=" + name + " length=" + bytes.length + " max=" + MAX_NAME_LENGTH);
        }
        key.putInt(WORKER_INDEX_OFFSET, workerIndex);
        key.putInt(NAME_LENGTH_OFFSET, bytes.length);
        key.putBytes(NAME_OFFSET, bytes);
        return NAME_OFFSET + bytes.length;
    }

    public static int workerIndex(final DirectBuffer key)
    {
        return key.getInt(WORKER_INDEX_OFFSET);
    }

    public static String name(final DirectBuffer key)
    {
        final int length = key.getInt(NAME_LENGTH_OFFSET);
        if (length < 0 || length > MAX_NAME_LENGTH)
        {
            return "";
        }
        final byte[] bytes = new byte[length];
        key.getBytes(NAME_OFFSET, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
