package io.jmirror.shipper;

/**
 * Wire layout of the shipping protocol: versioned, little-endian, length-prefixed frames over one TCP (or TLS)
 * connection per member. {@code shipper/PROTOCOL.md} has the byte diagram of every frame; this class holds the
 * offsets the encoders and decoders use.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                Frame Length (header included)                 |  0
 *  +---------------+---------------+-------------------------------+
 *  |     Type      |    Version    |            Reserved           |  4
 *  +---------------+---------------+-------------------------------+
 *  |                        Body ...                               |  8
 * </pre>
 */
public final class ProtocolDescriptor
{
    /** The protocol version this build speaks. A peer with another version is refused. */
    public static final int VERSION = 1;

    public static final int HEADER_LENGTH = 8;
    public static final int FRAME_LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int VERSION_OFFSET = 5;

    public static final int TYPE_HELLO = 1;
    public static final int TYPE_WELCOME = 2;
    public static final int TYPE_REJECT = 3;
    public static final int TYPE_BATCH = 4;
    public static final int TYPE_ACK = 5;
    public static final int TYPE_HEARTBEAT = 6;

    // HELLO: member -> primary
    public static final int HELLO_JOURNAL_ID_OFFSET = 8;
    public static final int HELLO_RESUME_LSN_OFFSET = 16;
    public static final int HELLO_CODECS_OFFSET = 24;
    public static final int HELLO_ROLE_OFFSET = 28;
    public static final int HELLO_MIRROR_NAME_LENGTH_OFFSET = 30;
    public static final int HELLO_MEMBER_NAME_LENGTH_OFFSET = 32;
    public static final int HELLO_NAMES_OFFSET = 36;

    // WELCOME: primary -> member
    public static final int WELCOME_JOURNAL_ID_OFFSET = 8;
    public static final int WELCOME_FILE_LENGTH_OFFSET = 16;
    public static final int WELCOME_START_LSN_OFFSET = 24;
    public static final int WELCOME_TAIL_LSN_OFFSET = 32;
    public static final int WELCOME_HEARTBEAT_MS_OFFSET = 40;
    public static final int WELCOME_QOS_TIMEOUT_MS_OFFSET = 44;
    public static final int WELCOME_LENGTH = 48;

    // REJECT: primary -> member
    public static final int REJECT_REASON_OFFSET = 8;
    public static final int REJECT_LSN_OFFSET = 16;
    public static final int REJECT_MESSAGE_LENGTH_OFFSET = 24;
    public static final int REJECT_MESSAGE_OFFSET = 28;

    // BATCH: primary -> member
    public static final int BATCH_START_LSN_OFFSET = 8;
    public static final int BATCH_END_LSN_OFFSET = 16;
    public static final int BATCH_CODEC_OFFSET = 24;
    public static final int BATCH_RAW_LENGTH_OFFSET = 28;
    public static final int BATCH_CHECKSUM_OFFSET = 32;
    public static final int BATCH_HEADER_LENGTH = 40;

    // ACK: member -> primary
    public static final int ACK_RECEIVED_LSN_OFFSET = 8;
    public static final int ACK_DURABLE_LSN_OFFSET = 16;
    public static final int ACK_APPLIED_LSN_OFFSET = 24;
    public static final int ACK_LENGTH = 32;

    // HEARTBEAT: both ways
    public static final int HEARTBEAT_TIME_OFFSET = 8;
    public static final int HEARTBEAT_LSN_OFFSET = 16;
    public static final int HEARTBEAT_LENGTH = 24;

    /** Longest mirror or member name, in UTF-8 bytes. */
    public static final int MAX_NAME_LENGTH = 64;
    /** Longest REJECT message, in UTF-8 bytes. */
    public static final int MAX_REJECT_MESSAGE_LENGTH = 1024;

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
            default:
                return "UNKNOWN(" + type + ")";
        }
    }
}
