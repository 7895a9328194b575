package io.jmirror.shipper;

/**
 * Wire layout of the shipping protocol: versioned, little-endian, length-prefixed frames over one TCP (or TLS)
 * connection per member. {@code shipper/PROTOCOL.md} has the byte diagram of every frame and what each side does
 * with it; this class holds the offsets the encoders and decoders use, and the same diagrams.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                Frame Length (header included)                 |  0
 *  +---------------+---------------+-------------------------------+
 *  |     Type      |    Version    |            Reserved           |  4
 *  +---------------+---------------+-------------------------------+
 *  |                    Epoch (8 bytes)                            |  8   every type but REJECT
 *  +---------------------------------------------------------------+
 *  |                        Body ...                               | 16
 * </pre>
 * Every frame but REJECT carries the sender's epoch at offset 8, so every long stays 8-byte aligned.
 */
public final class ProtocolDescriptor
{
    /** The protocol version this build speaks. A peer with another version is refused. */
    public static final int VERSION = 3;

    public static final int HEADER_LENGTH = 8;
    public static final int FRAME_LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int VERSION_OFFSET = 5;
    /** The sender's epoch, in every frame but REJECT. */
    public static final int EPOCH_OFFSET = 8;

    public static final int TYPE_HELLO = 1;
    public static final int TYPE_WELCOME = 2;
    public static final int TYPE_REJECT = 3;
    public static final int TYPE_BATCH = 4;
    public static final int TYPE_ACK = 5;
    public static final int TYPE_HEARTBEAT = 6;
    public static final int TYPE_STALE_EPOCH = 7;

    /*
     * HELLO: member -> primary
     *  +---------------------------------------------------------------+
     *  |                    Epoch (8 bytes)                            |  8   highest epoch the member knows
     *  +---------------------------------------------------------------+
     *  |                    Journal Id (8 bytes)                       | 16
     *  +---------------------------------------------------------------+
     *  |                    Resume LSN (8 bytes)                       | 24
     *  +---------------------------------------------------------------+
     *  |                    Accepted Codecs (bit mask)                 | 32
     *  +---------------+---------------+-------------------------------+
     *  |     Role      |   Reserved    |      Mirror Name Length       | 36
     *  +---------------+---------------+-------------------------------+
     *  |      Member Name Length       |           Reserved            | 40
     *  +-------------------------------+-------------------------------+
     *  |                           Reserved                            | 44
     *  +---------------------------------------------------------------+
     *  |                    Journal Epoch (8 bytes)                    | 48   epoch of the member's journal's end
     *  +---------------------------------------------------------------+
     *  |           Mirror Name (UTF-8) | Member Name (UTF-8)           | 56
     *  +---------------------------------------------------------------+
     */
    public static final int HELLO_EPOCH_OFFSET = EPOCH_OFFSET;
    public static final int HELLO_JOURNAL_ID_OFFSET = 16;
    public static final int HELLO_RESUME_LSN_OFFSET = 24;
    public static final int HELLO_CODECS_OFFSET = 32;
    public static final int HELLO_ROLE_OFFSET = 36;
    public static final int HELLO_MIRROR_NAME_LENGTH_OFFSET = 38;
    public static final int HELLO_MEMBER_NAME_LENGTH_OFFSET = 40;
    /** Version 3: the epoch of the member's journal, which the known epoch at offset 8 may be above. */
    public static final int HELLO_JOURNAL_EPOCH_OFFSET = 48;
    public static final int HELLO_NAMES_OFFSET = 56;

    /*
     * WELCOME: primary -> member
     *  +---------------------------------------------------------------+
     *  |                    Epoch (8 bytes)                            |  8   the primary's reign epoch
     *  +---------------------------------------------------------------+
     *  |                    Journal Id (8 bytes)                       | 16
     *  +---------------------------------------------------------------+
     *  |                    File Length (8 bytes)                      | 24
     *  +---------------------------------------------------------------+
     *  |                    Start LSN (8 bytes)                        | 32
     *  +---------------------------------------------------------------+
     *  |                    Primary Tail LSN (8 bytes)                 | 40
     *  +---------------------------------------------------------------+
     *  |                    Heartbeat Interval (ms)                    | 48
     *  +---------------------------------------------------------------+
     *  |                    QoS Timeout (ms)                           | 52
     *  +---------------------------------------------------------------+
     */
    public static final int WELCOME_EPOCH_OFFSET = EPOCH_OFFSET;
    public static final int WELCOME_JOURNAL_ID_OFFSET = 16;
    public static final int WELCOME_FILE_LENGTH_OFFSET = 24;
    public static final int WELCOME_START_LSN_OFFSET = 32;
    public static final int WELCOME_TAIL_LSN_OFFSET = 40;
    public static final int WELCOME_HEARTBEAT_MS_OFFSET = 48;
    public static final int WELCOME_QOS_TIMEOUT_MS_OFFSET = 52;
    public static final int WELCOME_LENGTH = 56;

    /*
     * REJECT: primary -> member (no epoch: a refused member is not in the mirror)
     *  +---------------------------------------------------------------+
     *  |                    Reason Code                                |  8
     *  +---------------------------------------------------------------+
     *  |                    Reserved                                   | 12
     *  +---------------------------------------------------------------+
     *  |                    LSN (8 bytes)                              | 16
     *  +---------------------------------------------------------------+
     *  |                    Message Length                             | 24
     *  +---------------------------------------------------------------+
     *  |                    Message (UTF-8, at most 1024 bytes)        | 28
     *  +---------------------------------------------------------------+
     */
    public static final int REJECT_REASON_OFFSET = 8;
    public static final int REJECT_LSN_OFFSET = 16;
    public static final int REJECT_MESSAGE_LENGTH_OFFSET = 24;
    public static final int REJECT_MESSAGE_OFFSET = 28;

    /*
     * BATCH: primary -> member
     *  +---------------------------------------------------------------+
     *  |                    Epoch (8 bytes)                            |  8   the primary's reign epoch
     *  +---------------------------------------------------------------+
     *  |                    Start LSN (8 bytes)                        | 16
     *  +---------------------------------------------------------------+
     *  |                    End LSN (8 bytes)                          | 24
     *  +---------------+-----------------------------------------------+
     *  |     Codec     |                 Reserved                      | 32
     *  +---------------+-----------------------------------------------+
     *  |                    Raw Length                                 | 36
     *  +---------------------------------------------------------------+
     *  |                    CRC32C of the raw bytes                    | 40
     *  +---------------------------------------------------------------+
     *  |                    Reserved                                   | 44
     *  +---------------------------------------------------------------+
     *  |                    Payload (codec-compressed raw bytes)       | 48
     *  +---------------------------------------------------------------+
     */
    public static final int BATCH_EPOCH_OFFSET = EPOCH_OFFSET;
    public static final int BATCH_START_LSN_OFFSET = 16;
    public static final int BATCH_END_LSN_OFFSET = 24;
    public static final int BATCH_CODEC_OFFSET = 32;
    public static final int BATCH_RAW_LENGTH_OFFSET = 36;
    public static final int BATCH_CHECKSUM_OFFSET = 40;
    public static final int BATCH_HEADER_LENGTH = 48;

    /*
     * ACK: member -> primary
     *  +---------------------------------------------------------------+
     *  |                    Epoch (8 bytes)                            |  8   highest epoch the member knows
     *  +---------------------------------------------------------------+
     *  |                    Received LSN (8 bytes)                     | 16
     *  +---------------------------------------------------------------+
     *  |                    Durable LSN (8 bytes)                      | 24
     *  +---------------------------------------------------------------+
     *  |                    Applied LSN (8 bytes)                      | 32
     *  +---------------------------------------------------------------+
     */
    public static final int ACK_EPOCH_OFFSET = EPOCH_OFFSET;
    public static final int ACK_RECEIVED_LSN_OFFSET = 16;
    public static final int ACK_DURABLE_LSN_OFFSET = 24;
    public static final int ACK_APPLIED_LSN_OFFSET = 32;
    public static final int ACK_LENGTH = 40;

    /*
     * HEARTBEAT: both ways
     *  +---------------------------------------------------------------+
     *  |                    Epoch (8 bytes)                            |  8   the sender's epoch
     *  +---------------------------------------------------------------+
     *  |                    Sender Time (epoch ms, 8 bytes)            | 16
     *  +---------------------------------------------------------------+
     *  |                    LSN (8 bytes)                              | 24
     *  +---------------------------------------------------------------+
     */
    public static final int HEARTBEAT_EPOCH_OFFSET = EPOCH_OFFSET;
    public static final int HEARTBEAT_TIME_OFFSET = 16;
    public static final int HEARTBEAT_LSN_OFFSET = 24;
    public static final int HEARTBEAT_LENGTH = 32;

    /*
     * STALE_EPOCH: both ways, the answer to a frame from a lower epoch; the sender then closes the link
     *  +---------------------------------------------------------------+
     *  |                    Epoch (8 bytes)                            |  8   the current epoch, as the sender knows it
     *  +---------------------------------------------------------------+
     *  |                    Primary Name Length                        | 16   0 when the sender does not know it
     *  +---------------------------------------------------------------+
     *  |                    Primary Name (UTF-8, at most 255 bytes)    | 20
     *  +---------------------------------------------------------------+
     */
    public static final int STALE_EPOCH_EPOCH_OFFSET = EPOCH_OFFSET;
    public static final int STALE_EPOCH_NAME_LENGTH_OFFSET = 16;
    public static final int STALE_EPOCH_NAME_OFFSET = 20;

    /** Longest mirror or member name, in UTF-8 bytes. */
    public static final int MAX_NAME_LENGTH = 64;
    /** Longest REJECT message, in UTF-8 bytes. */
    public static final int MAX_REJECT_MESSAGE_LENGTH = 1024;
    /**
     * Longest primary name in a STALE_EPOCH, in UTF-8 bytes: the longest member name an {@code EPOCH_START} record
     * holds, so any name a journal's epoch history has fits.
     */
    public static final int MAX_PRIMARY_NAME_LENGTH = io.jmirror.journal.RecordDescriptor.MAX_MEMBER_NAME_LENGTH;

    private ProtocolDescriptor()
    {
    }

    /**
     * @param type a frame type.
     * @return its name for messages.
     */
    public static String typeName(final int type)
    {
        switch (type)
        {
            case TYPE_HELLO:
                return "HELLO";
            case TYPE_WELCOME:
                return "WELCOME";
            case TYPE_REJECT:
                return "REJECT";
            case TYPE_BATCH:
                return "BATCH";
            case TYPE_ACK:
                return "ACK";
            case TYPE_HEARTBEAT:
                return "HEARTBEAT";
            case TYPE_STALE_EPOCH:
                return "STALE_EPOCH";
            default:
                return "UNKNOWN(" + type + ")";
        }
    }
}
