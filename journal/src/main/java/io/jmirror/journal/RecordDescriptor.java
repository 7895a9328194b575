package io.jmirror.journal;

import org.agrona.BitUtil;

/**
 * Layout of one journal frame (format version 2). Frames are self-delimiting, little-endian and start on 8-byte
 * boundaries; the byte position of a frame's first byte in the journal stream is its LSN, and the frame says so.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                         Frame Length                          |  0
 *  +---------------------------------------------------------------+
 *  |                           Checksum                            |  4
 *  +---------------------------------------------------------------+
 *  |                      LSN (of this frame)                      |  8
 *  |                                                               |
 *  +---------------+---------------+-------------------------------+
 *  |     Type      |  Database Len |          Global Length        | 16
 *  +---------------+---------------+-------------------------------+
 *  |                           Key Length                          | 20
 *  +---------------------------------------------------------------+
 *  |                        Transaction Id                         | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Timestamp (epoch ms)                     | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Value Length                         | 40
 *  +---------------------------------------------------------------+
 *  |                      Before-Image Length                      | 44
 *  +---------------------------------------------------------------+
 *  | Database | Global | Key (subscripts) | Value | Before-Image     | 48
 *  |                      ...  zero padding to 8 bytes             |
 *  +---------------------------------------------------------------+
 * </pre>
 * <ul>
 *   <li><b>Frame Length</b>: header plus body, not rounded; the next frame starts at the aligned length. It is
 *   written last, with release semantics, so a reader that sees a non-zero length sees the whole frame.
 *   Zero means nothing has been written here yet. A negative length {@code -n} marks a padding frame of
 *   {@code n} bytes that runs to the end of its file.</li>
 *   <li><b>Checksum</b>: CRC32C of bytes {@code [8, alignedLength)}: the LSN, the rest of the header, the body and
 *   the zero alignment bytes. For padding it is {@link #paddingChecksum(int, long)}, a mix of the frame length and
 *   the LSN, since padding has no body worth summing and can be as short as 8 bytes.</li>
 *   <li><b>LSN</b>: where the frame belongs. A frame found anywhere else (a stale frame left in a reused file, a
 *   misdirected write) is told apart by this field, which the checksum covers.</li>
 *   <li><b>Key</b>: the node's subscripts encoded in collation order by {@link SubscriptKey}.</li>
 *   <li><b>Before-Image</b>: what a SET, KILL or ZKILL inside a transaction replaced, laid out as
 *   {@link BeforeImageDescriptor} draws; length 0 when the record carries none (always outside transactions).</li>
 *   <li><b>EPOCH_START</b> records carry the epoch and the member that opened it in their value, as
 *   {@link #EPOCH_VALUE_EPOCH_OFFSET} and {@link #EPOCH_VALUE_MEMBER_OFFSET} say.</li>
 * </ul>
 * A frame is valid only if its lengths add up to the frame length; together with the checksum this keeps a
 * flipped bit from being decoded as data.
 * <p>
 * Bytes 16 to 23 (type, database length, global length, key length) can be read as one little-endian long, the
 * <b>header word</b>, and decoded with {@link #typeCode(long)} and its siblings: the frame check and the dejournal
 * dispatcher read every frame's header, and one bounds-checked read costs less than four. Bytes 40 to 47 (value and
 * before-image lengths) are the <b>length word</b>, read the same way.
 */
public final class RecordDescriptor
{
    /** Frames start on, and are padded to, this many bytes. */
    public static final int ALIGNMENT = 8;
    /** Bytes before the body. */
    public static final int HEADER_LENGTH = 48;
    /** The shortest padding frame: its length and checksum. */
    public static final int MIN_PADDING_LENGTH = 8;

    public static final int FRAME_LENGTH_OFFSET = 0;
    public static final int CHECKSUM_OFFSET = 4;
    public static final int LSN_OFFSET = 8;
    public static final int TYPE_OFFSET = 16;
    public static final int DATABASE_LENGTH_OFFSET = 17;
    public static final int GLOBAL_LENGTH_OFFSET = 18;
    public static final int KEY_LENGTH_OFFSET = 20;
    public static final int TRANSACTION_ID_OFFSET = 24;
    public static final int TIMESTAMP_OFFSET = 32;
    public static final int VALUE_LENGTH_OFFSET = 40;
    public static final int BEFORE_IMAGE_LENGTH_OFFSET = 44;
    /** Where the header word (type, database length, global length, key length) starts. */
    public static final int HEADER_WORD_OFFSET = TYPE_OFFSET;
    /** Where the length word (value length, before-image length) starts. */
    public static final int LENGTH_WORD_OFFSET = VALUE_LENGTH_OFFSET;
    /** Where the checksum starts summing: the LSN is covered. */
    public static final int CHECKSUM_START_OFFSET = LSN_OFFSET;

    /** In an EPOCH_START record's value: the epoch, a little-endian long. */
    public static final int EPOCH_VALUE_EPOCH_OFFSET = 0;
    /** In an EPOCH_START record's value: the name of the member that opened the epoch, UTF-8, to the value's end. */
    public static final int EPOCH_VALUE_MEMBER_OFFSET = 8;
    /** Longest member name an EPOCH_START carries, in bytes. */
    public static final int MAX_MEMBER_NAME_LENGTH = 255;

    /** Longest database name in bytes (one unsigned byte holds it). */
    public static final int MAX_DATABASE_LENGTH = 255;
    /** Longest global name in bytes. */
    public static final int MAX_GLOBAL_LENGTH = 255;

    private RecordDescriptor()
    {
    }

    /**
     * @param databaseLength bytes of the database name.
     * @param globalLength   bytes of the global name.
     * @param keyLength      bytes of the encoded subscripts.
     * @param valueLength    bytes of the value.
     * @return the frame length of a record without a before-image, unrounded; may exceed an int when the parts are
     * huge, hence long.
     */
    public static long frameLength(
        final int databaseLength, final int globalLength, final int keyLength, final int valueLength)
    {
        return (long)HEADER_LENGTH + databaseLength + globalLength + keyLength + valueLength;
    }

    /**
     * @param databaseLength    bytes of the database name.
     * @param globalLength      bytes of the global name.
     * @param keyLength         bytes of the encoded subscripts.
     * @param valueLength       bytes of the value.
     * @param beforeImageLength bytes of the before-image, 0 when there is none.
     * @return the frame length, unrounded.
     */
    public static long frameLength(
        final int databaseLength,
        final int globalLength,
        final int keyLength,
        final int valueLength,
        final int beforeImageLength)
    {
        return (long)HEADER_LENGTH + databaseLength + globalLength + keyLength + valueLength + beforeImageLength;
    }

    /**
     * @param frameLength unrounded frame length.
     * @return the number of bytes the frame occupies in the journal.
     */
    public static int alignedLength(final int frameLength)
    {
        return BitUtil.align(frameLength, ALIGNMENT);
    }

    /**
     * @return the header word of a frame with these fields, to write as one little-endian long at
     * {@link #HEADER_WORD_OFFSET}: an append writes its header in five stores instead of nine.
     */
    public static long headerWord(
        final byte typeCode, final int databaseLength, final int globalLength, final int keyLength)
    {
        return (typeCode & 0xFFL) | ((databaseLength & 0xFFL) << 8) | ((globalLength & 0xFFFFL) << 16) |
            ((long)keyLength << 32);
    }

    /**
     * @return the length word of a frame with these lengths, to write as one little-endian long at
     * {@link #LENGTH_WORD_OFFSET}.
     */
    public static long lengthWord(final int valueLength, final int beforeImageLength)
    {
        return (valueLength & 0xFFFF_FFFFL) | ((long)beforeImageLength << 32);
    }

    /**
     * @param headerWord the little-endian long at {@link #HEADER_WORD_OFFSET}.
     * @return the record type's code.
     */
    public static byte typeCode(final long headerWord)
    {
        return (byte)headerWord;
    }

    /**
     * @param headerWord the little-endian long at {@link #HEADER_WORD_OFFSET}.
     * @return bytes of the database name.
     */
    public static int databaseLength(final long headerWord)
    {
        return (int)(headerWord >>> 8) & 0xFF;
    }

    /**
     * @param headerWord the little-endian long at {@link #HEADER_WORD_OFFSET}.
     * @return bytes of the global name.
     */
    public static int globalLength(final long headerWord)
    {
        return (int)(headerWord >>> 16) & 0xFFFF;
    }

    /**
     * @param headerWord the little-endian long at {@link #HEADER_WORD_OFFSET}.
     * @return bytes of the encoded subscripts, as stored (negative in a damaged frame).
     */
    public static int keyLength(final long headerWord)
    {
        return (int)(headerWord >>> 32);
    }

    /**
     * @param frameOffset where the frame starts in its buffer.
     * @return where the database name starts.
     */
    public static int databaseOffset(final int frameOffset)
    {
        return frameOffset + HEADER_LENGTH;
    }

    /**
     * @param lengthWord the little-endian long at {@link #LENGTH_WORD_OFFSET}.
     * @return bytes of the value, as stored.
     */
    public static int valueLength(final long lengthWord)
    {
        return (int)lengthWord;
    }

    /**
     * @param lengthWord the little-endian long at {@link #LENGTH_WORD_OFFSET}.
     * @return bytes of the before-image, as stored.
     */
    public static int beforeImageLength(final long lengthWord)
    {
        return (int)(lengthWord >>> 32);
    }

    /**
     * The check value of a padding frame: it mixes in the LSN, so even an 8-byte padding frame (no room for an LSN
     * field) left in a reused file does not pass for one at another LSN.
     *
     * @param frameLength a frame length as stored (negative).
     * @param lsn         where the padding frame starts.
     * @return the checksum stored in a padding frame of that length at that LSN.
     */
    public static int paddingChecksum(final int frameLength, final long lsn)
    {
        // The finaliser of MurmurHash3's 64-bit hash: every bit of the LSN reaches every bit of the result.
        long h = lsn ^ ((long)frameLength << 32);
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int)h ^ (int)(h >>> 32);
    }
}
