package io.jmirror.journal;

import org.agrona.BitUtil;

/**
 * Layout of one journal frame. Frames are self-delimiting, little-endian and start on 8-byte boundaries; the
 * byte position of a frame's first byte in the journal stream is its LSN.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                         Frame Length                          |  0
 *  +---------------------------------------------------------------+
 *  |                           Checksum                            |  4
 *  +---------------+---------------+-------------------------------+
 *  |     Type      |  Database Len |          Global Length        |  8
 *  +---------------+---------------+-------------------------------+
 *  |                           Key Length                          | 12
 *  +---------------------------------------------------------------+
 *  |                        Transaction Id                         | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Timestamp (epoch ms)                     | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Value Length                         | 32
 *  +---------------------------------------------------------------+
 *  |                       Reserved (zero)                         | 36
 *  +---------------------------------------------------------------+
 *  |  Database (UTF-8) | Global (UTF-8) | Key (subscripts) | Value   | 40
 *  |                      ...  zero padding to 8 bytes             |
 *  +---------------------------------------------------------------+
 * </pre>
 * <ul>
 *   <li><b>Frame Length</b>: header plus body, not rounded; the next frame starts at the aligned length. It is
 *   written last, with release semantics, so a reader that sees a non-zero length sees the whole frame.
 *   Zero means nothing has been written here yet. A negative length {@code -n} marks a padding frame of
 *   {@code n} bytes that runs to the end of its file.</li>
 *   <li><b>Checksum</b>: CRC32C of bytes {@code [8, alignedLength)}, so the zero alignment bytes are checked
 *   too. For padding it is the bitwise complement of
 *   the frame length, since padding has no body worth summing and can be as short as 8 bytes.</li>
 *   <li><b>Key</b>: the node's subscripts encoded in collation order by {@link SubscriptKey}.</li>
 * </ul>
 * A frame is valid only if its lengths add up to the frame length; together with the checksum this keeps a
 * flipped bit from being decoded as data.
 * <p>
 * Bytes 8 to 15 (type, database length, global length, key length) can be read as one little-endian long, the
 * <b>header word</b>, and decoded with {@link #typeCode(long)} and its siblings: the frame check and the dejournal
 * dispatcher read every frame's header, and one bounds-checked read costs less than four.
 */
public final class RecordDescriptor
{
    /** Frames start on, and are padded to, this many bytes. */
    public static final int ALIGNMENT = 8;
    /** Bytes before the body. */
    public static final int HEADER_LENGTH = 40;
    /** The shortest padding frame: its length and checksum. */
    public static final int MIN_PADDING_LENGTH = 8;

    public static final int FRAME_LENGTH_OFFSET = 0;
    public static final int CHECKSUM_OFFSET = 4;
    public static final int TYPE_OFFSET = 8;
    public static final int DATABASE_LENGTH_OFFSET = 9;
    public static final int GLOBAL_LENGTH_OFFSET = 10;
    public static final int KEY_LENGTH_OFFSET = 12;
    public static final int TRANSACTION_ID_OFFSET = 16;
    public static final int TIMESTAMP_OFFSET = 24;
    public static final int VALUE_LENGTH_OFFSET = 32;
    public static final int RESERVED_OFFSET = 36;
    /** Where the header word (type, database length, global length, key length) starts. */
    public static final int HEADER_WORD_OFFSET = TYPE_OFFSET;
    /** Where the checksum starts summing. */
    public static final int CHECKSUM_START_OFFSET = TYPE_OFFSET;

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
     * @return the frame length, unrounded; may exceed an int when the parts are huge, hence long.
     */
    public static long frameLength(
        final int databaseLength, final int globalLength, final int keyLength, final int valueLength)
    {
        return (long)HEADER_LENGTH + databaseLength + globalLength + keyLength + valueLength;
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
     * @param frameLength a frame length as stored.
     * @return the checksum stored in a padding frame of that (negative) length.
     */
    public static int paddingChecksum(final int frameLength)
    {
        return ~frameLength;
    }
}
