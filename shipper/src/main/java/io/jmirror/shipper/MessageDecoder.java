package io.jmirror.shipper;

import org.agrona.DirectBuffer;

import static io.jmirror.shipper.ProtocolDescriptor.*;

/**
 * Flyweight over one complete received frame. {@link #wrap} checks the header and that the body is long enough
 * for its type, so the accessors never read past the frame; anything else is a MALFORMED_FRAME naming the type,
 * the lengths and the peer.
 */
final class MessageDecoder
{
    private DirectBuffer buffer;
    private int offset;
    private int length;

    /**
     * @param peer for error messages.
     * @return this.
     */
    MessageDecoder wrap(final DirectBuffer buffer, final int offset, final int length, final String peer)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        final int version = buffer.getByte(offset + VERSION_OFFSET) & 0xFF;
        if (version != VERSION)
        {
            throw new ShipperException(ShipperException.Code.PROTOCOL, "incompatible protocol version: version=" +
                version + " supported=" + VERSION + " peer=" + peer);
        }
        final int type = type();
        final int minimum;
        switch (type)
        {
            case TYPE_HELLO:
                minimum = HELLO_NAMES_OFFSET;
                break;
            case TYPE_WELCOME:
                minimum = WELCOME_LENGTH;
                break;
            case TYPE_REJECT:
                minimum = REJECT_MESSAGE_OFFSET;
                break;
            case TYPE_BATCH:
                minimum = BATCH_HEADER_LENGTH;
                break;
            case TYPE_ACK:
                minimum = ACK_LENGTH;
                break;
            case TYPE_HEARTBEAT:
                minimum = HEARTBEAT_LENGTH;
                break;
            case TYPE_STALE_EPOCH:
                minimum = STALE_EPOCH_NAME_OFFSET;
                break;
            default:
                throw malformed("unknown frame type", peer);
        }
        if (length < minimum)
        {
            throw malformed("frame too short for its type: minimum=" + minimum, peer);
        }
        if (type == TYPE_HELLO &&
            HELLO_NAMES_OFFSET + (long)helloMirrorNameLength() + helloMemberNameLength() > length)
        {
            throw malformed("names run past the frame", peer);
        }
        if (type == TYPE_REJECT &&
            (rejectMessageLength() < 0 || REJECT_MESSAGE_OFFSET + rejectMessageLength() > length))
        {
            throw malformed("message runs past the frame", peer);
        }
        if (type == TYPE_STALE_EPOCH)
        {
            final int nameLength = staleEpochNameLength();
            if (nameLength < 0 || nameLength > MAX_PRIMARY_NAME_LENGTH || STALE_EPOCH_NAME_OFFSET + nameLength > length)
            {
                throw malformed("primary name length out of bounds: nameLength=" + nameLength + " max=" +
                    MAX_PRIMARY_NAME_LENGTH, peer);
            }
        }
        return this;
    }

    private ShipperException malformed(final String what, final String peer)
    {
        return new ShipperException(ShipperException.Code.MALFORMED_FRAME, what + ": type=" + typeName(type()) +
            " frameLength=" + length + " peer=" + peer);
    }

    int type()
    {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    int length()
    {
        return length;
    }

    DirectBuffer buffer()
    {
        return buffer;
    }

    int offset()
    {
        return offset;
    }

    /**
     * @return the sender's epoch; every type but REJECT carries it.
     */
    long epoch()
    {
        return buffer.getLong(offset + EPOCH_OFFSET);
    }

    long helloJournalId()
    {
        return buffer.getLong(offset + HELLO_JOURNAL_ID_OFFSET);
    }

    /**
     * @return the epoch of the member's journal at its end (its last epoch start), 0 when it has no journal; the
     * HELLO's epoch ({@link #epoch()}) is the highest the member knows and may be above it.
     */
    long helloJournalEpoch()
    {
        return buffer.getLong(offset + HELLO_JOURNAL_EPOCH_OFFSET);
    }

    long helloResumeLsn()
    {
        return buffer.getLong(offset + HELLO_RESUME_LSN_OFFSET);
    }

    int helloCodecs()
    {
        return buffer.getInt(offset + HELLO_CODECS_OFFSET);
    }

    int helloRoleCode()
    {
        return buffer.getByte(offset + HELLO_ROLE_OFFSET) & 0xFF;
    }

    private int helloMirrorNameLength()
    {
        return buffer.getShort(offset + HELLO_MIRROR_NAME_LENGTH_OFFSET) & 0xFFFF;
    }

    private int helloMemberNameLength()
    {
        return buffer.getShort(offset + HELLO_MEMBER_NAME_LENGTH_OFFSET) & 0xFFFF;
    }

    String helloMirrorName()
    {
        return buffer.getStringWithoutLengthUtf8(offset + HELLO_NAMES_OFFSET, helloMirrorNameLength());
    }

    String helloMemberName()
    {
        return buffer.getStringWithoutLengthUtf8(
            offset + HELLO_NAMES_OFFSET + helloMirrorNameLength(), helloMemberNameLength());
    }

    long welcomeJournalId()
    {
        return buffer.getLong(offset + WELCOME_JOURNAL_ID_OFFSET);
    }

    long welcomeFileLength()
    {
        return buffer.getLong(offset + WELCOME_FILE_LENGTH_OFFSET);
    }

    long welcomeStartLsn()
    {
        return buffer.getLong(offset + WELCOME_START_LSN_OFFSET);
    }

    long welcomeTailLsn()
    {
        return buffer.getLong(offset + WELCOME_TAIL_LSN_OFFSET);
    }

    int welcomeHeartbeatMs()
    {
        return buffer.getInt(offset + WELCOME_HEARTBEAT_MS_OFFSET);
    }

    int welcomeQosTimeoutMs()
    {
        return buffer.getInt(offset + WELCOME_QOS_TIMEOUT_MS_OFFSET);
    }

    int rejectReasonCode()
    {
        return buffer.getInt(offset + REJECT_REASON_OFFSET);
    }

    long rejectLsn()
    {
        return buffer.getLong(offset + REJECT_LSN_OFFSET);
    }

    private int rejectMessageLength()
    {
        return buffer.getInt(offset + REJECT_MESSAGE_LENGTH_OFFSET);
    }

    String rejectMessage()
    {
        return buffer.getStringWithoutLengthUtf8(offset + REJECT_MESSAGE_OFFSET, rejectMessageLength());
    }

    long batchStartLsn()
    {
        return buffer.getLong(offset + BATCH_START_LSN_OFFSET);
    }

    long batchEndLsn()
    {
        return buffer.getLong(offset + BATCH_END_LSN_OFFSET);
    }

    int batchCodecCode()
    {
        return buffer.getInt(offset + BATCH_CODEC_OFFSET);
    }

    int batchRawLength()
    {
        return buffer.getInt(offset + BATCH_RAW_LENGTH_OFFSET);
    }

    int batchChecksum()
    {
        return buffer.getInt(offset + BATCH_CHECKSUM_OFFSET);
    }

    int batchPayloadOffset()
    {
        return offset + BATCH_HEADER_LENGTH;
    }

    int batchPayloadLength()
    {
        return length - BATCH_HEADER_LENGTH;
    }

    long ackReceivedLsn()
    {
        return buffer.getLong(offset + ACK_RECEIVED_LSN_OFFSET);
    }

    long ackDurableLsn()
    {
        return buffer.getLong(offset + ACK_DURABLE_LSN_OFFSET);
    }

    long ackAppliedLsn()
    {
        return buffer.getLong(offset + ACK_APPLIED_LSN_OFFSET);
    }

    long heartbeatTimeMs()
    {
        return buffer.getLong(offset + HEARTBEAT_TIME_OFFSET);
    }

    long heartbeatLsn()
    {
        return buffer.getLong(offset + HEARTBEAT_LSN_OFFSET);
    }

    long staleEpochEpoch()
    {
        return buffer.getLong(offset + STALE_EPOCH_EPOCH_OFFSET);
    }

    private int staleEpochNameLength()
    {
        return buffer.getInt(offset + STALE_EPOCH_NAME_LENGTH_OFFSET);
    }

    /**
     * @return the primary named, or the empty string when the sender did not know it.
     */
    String staleEpochPrimaryName()
    {
        return buffer.getStringWithoutLengthUtf8(offset + STALE_EPOCH_NAME_OFFSET, staleEpochNameLength());
    }
}
