package io.jmirror.shipper;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Wire layout of the arbiter protocol (version 1): one request, one response, over a TCP (or mutual-TLS) connection
 * from a failover member to the arbiter. Frames share the shipping protocol's 8-byte header (length, type, version);
 * everything is little-endian.
 * <pre>
 * REQUEST (type 1, member -> arbiter)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                Frame Length (header included)                 |  0
 *  +---------------+---------------+-------------------------------+
 *  |   Type = 1    |  Version = 1  |            Reserved           |  4
 *  +---------------+---------------+-------------------------------+
 *  |                         Request Kind                          |  8
 *  +---------------------------------------------------------------+
 *  | Flags (0: backup ACTIVE; 1: value; 2: lost primary; 3: forced;| 12
 *  |        4: primary's tail for a joined backup)                 |
 *  +---------------------------------------------------------------+
 *  |                  Epoch the member knows (8)                   | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |   LSN (8): see ArbiterRequest.lsn; -1 when none               | 24
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |      Mirror Name Length       |      Member Name Length       | 32
 *  +-------------------------------+-------------------------------+
 *  |                           Reserved                            | 36
 *  +---------------------------------------------------------------+
 *  |           Mirror Name (UTF-8) | Member Name (UTF-8)           | 40
 *  +---------------------------------------------------------------+
 *
 * RESPONSE (type 2, arbiter -> member)
 *  +---------------------------------------------------------------+
 *  |                Frame Length (header included)                 |  0
 *  +---------------+---------------+-------------------------------+
 *  |   Type = 2    |  Version = 1  |            Reserved           |  4
 *  +---------------+---------------+-------------------------------+
 *  |              Verdict (1 GRANTED, 2 REFUSED)                   |  8
 *  +---------------------------------------------------------------+
 *  |                    Refusal Reason (0 when granted)            | 12
 *  +---------------------------------------------------------------+
 *  |                       Current Epoch (8)                       | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |      Partner Silent For (ms, 8; -1 when never heard)          | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | Next Epoch LSN (8): start of the first epoch after the one the| 32
 *  | request named, -1 when none is recorded                       |
 *  +---------------------------------------------------------------+
 *  | Flags (0: backup ACTIVE; 1: no failover; 2: handed over;      | 40
 *  |        3: backup joined, primary's tail awaited)              |
 *  +-------------------------------+-------------------------------+
 *  |      Primary Name Length      |      Backup Name Length       | 44
 *  +-------------------------------+-------------------------------+
 *  |        Message Length         |           Reserved            | 48
 *  +-------------------------------+-------------------------------+
 *  |                           Reserved                            | 52
 *  +---------------------------------------------------------------+
 *  | Primary Name (UTF-8) | Backup Name (UTF-8) | Message (UTF-8)  | 56
 *  +---------------------------------------------------------------+
 * </pre>
 * Request kinds: 1 POLL (liveness; the primary also reports whether its backup is ACTIVE, and up to where it is
 * durable), 2 CLAIM_PRIMARY (start or restart as primary), 3 REVOKE_BACKUP (the primary asks to stop waiting for its
 * backup, at its journal tail), 4 TAKEOVER (the backup asks
 * to become primary in the next epoch), 5 HANDOVER (the primary hands over to its ACTIVE backup), 6 SET_NO_FAILOVER
 * (flag value in bit 1), 7 PROMOTE (an async member asks to become primary when both failover members are lost;
 * bit 1 says the operator accepts the data loss), 8 JOIN_FAILOVER (an async member asks to become the backup: the
 * failover slot is free, the backup being none or silent for the QoS timeout). Refusal reasons are {@link Reason}.
 * A frame that is too short, too long, of another version or kind, or whose names do not fit, is answered
 * REFUSED {@link Reason#MALFORMED} and the connection is closed; the arbiter never grants anything on a frame it
 * could not read.
 */
public final class ArbiterProtocol
{
    public static final int VERSION = 1;
    public static final int TYPE_REQUEST = 1;
    public static final int TYPE_RESPONSE = 2;

    public static final int HEADER_LENGTH = ProtocolDescriptor.HEADER_LENGTH;
    public static final int REQUEST_KIND_OFFSET = 8;
    public static final int REQUEST_FLAGS_OFFSET = 12;
    public static final int REQUEST_EPOCH_OFFSET = 16;
    public static final int REQUEST_LSN_OFFSET = 24;
    public static final int REQUEST_MIRROR_NAME_LENGTH_OFFSET = 32;
    public static final int REQUEST_MEMBER_NAME_LENGTH_OFFSET = 34;
    public static final int REQUEST_NAMES_OFFSET = 40;

    public static final int RESPONSE_VERDICT_OFFSET = 8;
    public static final int RESPONSE_REASON_OFFSET = 12;
    public static final int RESPONSE_EPOCH_OFFSET = 16;
    public static final int RESPONSE_PARTNER_SILENT_MS_OFFSET = 24;
    public static final int RESPONSE_NEXT_EPOCH_LSN_OFFSET = 32;
    public static final int RESPONSE_FLAGS_OFFSET = 40;
    public static final int RESPONSE_PRIMARY_NAME_LENGTH_OFFSET = 44;
    public static final int RESPONSE_BACKUP_NAME_LENGTH_OFFSET = 46;
    public static final int RESPONSE_MESSAGE_LENGTH_OFFSET = 48;
    public static final int RESPONSE_NAMES_OFFSET = 56;

    public static final int FLAG_BACKUP_ACTIVE = 1;
    public static final int FLAG_VALUE = 2;
    /** In a backup's POLL: it has lost its link to the primary, so it agrees the primary stops waiting for it. */
    public static final int FLAG_LOST_PRIMARY = 4;
    /**
     * In a primary's POLL: the operator forced this primary on without its backup in the request's epoch (it lost
     * backup and arbiter); the arbiter revokes the backup for that epoch and records the epoch as forced.
     */
    public static final int FLAG_FORCED = 8;
    /**
     * In a primary's POLL: it now ships to the backup the arbiter named with {@link #FLAG_BACKUP_JOINED}, and the
     * request's LSN is its journal tail; until the arbiter has it, no report makes the joined backup ACTIVE.
     */
    public static final int FLAG_PRIMARY_TAIL = 16;
    public static final int FLAG_NO_FAILOVER = 2;
    public static final int FLAG_HANDED_OVER = 4;
    /**
     * In a response: the backup joined as failover member in this epoch (an async member promoted) and the primary
     * has not yet sent its tail since ({@link #FLAG_PRIMARY_TAIL}).
     */
    public static final int FLAG_BACKUP_JOINED = 8;

    public static final int VERDICT_GRANTED = 1;
    public static final int VERDICT_REFUSED = 2;

    /** Longest name (mirror or member) in bytes. */
    public static final int MAX_NAME_LENGTH = 255;
    /** Longest refusal message in bytes. */
    public static final int MAX_MESSAGE_LENGTH = 1024;
    /** Longest frame either side accepts. */
    public static final int MAX_FRAME_LENGTH = RESPONSE_NAMES_OFFSET + 2 * MAX_NAME_LENGTH + MAX_MESSAGE_LENGTH;

    /**
     * What a member asks of the arbiter.
     */
    public enum Kind
    {
        POLL(1), CLAIM_PRIMARY(2), REVOKE_BACKUP(3), TAKEOVER(4), HANDOVER(5), SET_NO_FAILOVER(6), PROMOTE(7),
        JOIN_FAILOVER(8);

        private final int code;

        Kind(final int code)
        {
            this.code = code;
        }

        /**
         * @return the code on the wire.
         */
        public int code()
        {
            return code;
        }

        /**
         * @return the kind with this code, or null.
         */
        public static Kind of(final int code)
        {
            for (final Kind kind : values())
            {
                if (kind.code == code)
                {
                    return kind;
                }
            }
            return null;
        }
    }

    /**
     * Why the arbiter refused.
     */
    public enum Reason
    {
        NONE(0),
        /** The frame could not be read; nothing was decided. */
        MALFORMED(1),
        /** The member is not on the arbiter's allow-list for that mirror, or its certificate names someone else. */
        UNAUTHORIZED(2),
        /** The request names an older epoch than the arbiter's: the member must learn the current one. */
        STALE_EPOCH(3),
        /** Only the primary of the current epoch may ask this. */
        NOT_PRIMARY(4),
        /** Only the backup of the current epoch may ask this. */
        NOT_BACKUP(5),
        /** The arbiter still hears the partner within the QoS timeout. */
        PARTNER_ALIVE(6),
        /** The backup was not ACTIVE (it may lack acknowledged records), or its ACTIVE state was revoked. */
        BACKUP_NOT_ACTIVE(7),
        /** The no-failover flag is set. */
        NO_FAILOVER(8),
        /** The member names a newer epoch than the arbiter holds: the arbiter's state is older than the mirror's. */
        EPOCH_AHEAD(9),
        /** The arbiter failed to persist its decision; nothing was granted. */
        STORE_FAILED(10);

        private final int code;

        Reason(final int code)
        {
            this.code = code;
        }

        /**
         * @return the code on the wire.
         */
        public int code()
        {
            return code;
        }

        /**
         * @return the reason with this code, or null.
         */
        public static Reason of(final int code)
        {
            for (final Reason reason : values())
            {
                if (reason.code == code)
                {
                    return reason;
                }
            }
            return null;
        }
    }

    private ArbiterProtocol()
    {
    }

    /**
     * @return the encoded request frame's length.
     */
    public static int encodeRequest(final UnsafeBuffer buffer, final ArbiterRequest request)
    {
        final byte[] mirror = request.mirrorName().getBytes(StandardCharsets.UTF_8);
        final byte[] member = request.memberName().getBytes(StandardCharsets.UTF_8);
        checkName("mirrorName", mirror);
        checkName("memberName", member);
        final int length = REQUEST_NAMES_OFFSET + mirror.length + member.length;
        buffer.setMemory(0, REQUEST_NAMES_OFFSET, (byte)0);
        header(buffer, length, TYPE_REQUEST);
        buffer.putInt(REQUEST_KIND_OFFSET, request.kind().code(), ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(REQUEST_FLAGS_OFFSET, request.flags(), ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(REQUEST_EPOCH_OFFSET, request.epoch(), ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(REQUEST_LSN_OFFSET, request.lsn(), ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(REQUEST_MIRROR_NAME_LENGTH_OFFSET, (short)mirror.length, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(REQUEST_MEMBER_NAME_LENGTH_OFFSET, (short)member.length, ByteOrder.LITTLE_ENDIAN);
        buffer.putBytes(REQUEST_NAMES_OFFSET, mirror);
        buffer.putBytes(REQUEST_NAMES_OFFSET + mirror.length, member);
        return length;
    }

    /**
     * @param length bytes of the frame in {@code buffer}, as its length field says.
     * @return the request.
     * @throws ShipperException MALFORMED_FRAME naming what is wrong.
     */
    public static ArbiterRequest decodeRequest(final UnsafeBuffer buffer, final int length)
    {
        checkHeader(buffer, length, TYPE_REQUEST, REQUEST_NAMES_OFFSET);
        final Kind kind = Kind.of(buffer.getInt(REQUEST_KIND_OFFSET, ByteOrder.LITTLE_ENDIAN));
        if (null == kind)
        {
            throw malformed("unknown request kind: kind=" +
                buffer.getInt(REQUEST_KIND_OFFSET, ByteOrder.LITTLE_ENDIAN));
        }
        final int mirrorLength = buffer.getShort(REQUEST_MIRROR_NAME_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int memberLength = buffer.getShort(REQUEST_MEMBER_NAME_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (mirrorLength == 0 || memberLength == 0 || mirrorLength > MAX_NAME_LENGTH ||
            memberLength > MAX_NAME_LENGTH || REQUEST_NAMES_OFFSET + mirrorLength + memberLength != length)
        {
            throw malformed("names do not fit the frame: mirrorNameLength=" + mirrorLength + " memberNameLength=" +
                memberLength + " frameLength=" + length);
        }
        return new ArbiterRequest(
            kind,
            buffer.getStringWithoutLengthUtf8(REQUEST_NAMES_OFFSET, mirrorLength),
            buffer.getStringWithoutLengthUtf8(REQUEST_NAMES_OFFSET + mirrorLength, memberLength),
            buffer.getLong(REQUEST_EPOCH_OFFSET, ByteOrder.LITTLE_ENDIAN),
            buffer.getInt(REQUEST_FLAGS_OFFSET, ByteOrder.LITTLE_ENDIAN),
            buffer.getLong(REQUEST_LSN_OFFSET, ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * @return the encoded response frame's length.
     */
    public static int encodeResponse(final UnsafeBuffer buffer, final ArbiterResponse response)
    {
        final byte[] primary = bytes(response.primary());
        final byte[] backup = bytes(response.backup());
        byte[] message = bytes(response.message());
        if (message.length > MAX_MESSAGE_LENGTH)
        {
            message = java.util.Arrays.copyOf(message, MAX_MESSAGE_LENGTH);
        }
        checkName("primary", primary);
        checkName("backup", backup);
        final int length = RESPONSE_NAMES_OFFSET + primary.length + backup.length + message.length;
        buffer.setMemory(0, RESPONSE_NAMES_OFFSET, (byte)0);
        header(buffer, length, TYPE_RESPONSE);
        buffer.putInt(RESPONSE_VERDICT_OFFSET, response.isGranted() ? VERDICT_GRANTED : VERDICT_REFUSED,
            ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(RESPONSE_REASON_OFFSET, response.reason().code(), ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(RESPONSE_EPOCH_OFFSET, response.epoch(), ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(RESPONSE_PARTNER_SILENT_MS_OFFSET, response.partnerSilentMs(), ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(RESPONSE_NEXT_EPOCH_LSN_OFFSET, response.nextEpochLsn(), ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(RESPONSE_FLAGS_OFFSET, response.flags(), ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(RESPONSE_PRIMARY_NAME_LENGTH_OFFSET, (short)primary.length, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(RESPONSE_BACKUP_NAME_LENGTH_OFFSET, (short)backup.length, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(RESPONSE_MESSAGE_LENGTH_OFFSET, (short)message.length, ByteOrder.LITTLE_ENDIAN);
        buffer.putBytes(RESPONSE_NAMES_OFFSET, primary);
        buffer.putBytes(RESPONSE_NAMES_OFFSET + primary.length, backup);
        buffer.putBytes(RESPONSE_NAMES_OFFSET + primary.length + backup.length, message);
        return length;
    }

    /**
     * @param length bytes of the frame in {@code buffer}, as its length field says.
     * @return the response.
     * @throws ShipperException MALFORMED_FRAME naming what is wrong.
     */
    public static ArbiterResponse decodeResponse(final UnsafeBuffer buffer, final int length)
    {
        checkHeader(buffer, length, TYPE_RESPONSE, RESPONSE_NAMES_OFFSET);
        final int verdict = buffer.getInt(RESPONSE_VERDICT_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final Reason reason = Reason.of(buffer.getInt(RESPONSE_REASON_OFFSET, ByteOrder.LITTLE_ENDIAN));
        if ((verdict != VERDICT_GRANTED && verdict != VERDICT_REFUSED) || null == reason ||
            (verdict == VERDICT_GRANTED) != (reason == Reason.NONE))
        {
            throw malformed("bad verdict: verdict=" + verdict + " reason=" +
                buffer.getInt(RESPONSE_REASON_OFFSET, ByteOrder.LITTLE_ENDIAN));
        }
        final int primaryLength =
            buffer.getShort(RESPONSE_PRIMARY_NAME_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int backupLength = buffer.getShort(RESPONSE_BACKUP_NAME_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int messageLength = buffer.getShort(RESPONSE_MESSAGE_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (primaryLength > MAX_NAME_LENGTH || backupLength > MAX_NAME_LENGTH || messageLength > MAX_MESSAGE_LENGTH ||
            RESPONSE_NAMES_OFFSET + primaryLength + backupLength + messageLength != length)
        {
            throw malformed("names do not fit the frame: frameLength=" + length);
        }
        int offset = RESPONSE_NAMES_OFFSET;
        final String primary = primaryLength == 0 ? null : buffer.getStringWithoutLengthUtf8(offset, primaryLength);
        offset += primaryLength;
        final String backup = backupLength == 0 ? null : buffer.getStringWithoutLengthUtf8(offset, backupLength);
        offset += backupLength;
        final String message = buffer.getStringWithoutLengthUtf8(offset, messageLength);
        return new ArbiterResponse(reason, buffer.getLong(RESPONSE_EPOCH_OFFSET, ByteOrder.LITTLE_ENDIAN), primary,
            backup, buffer.getInt(RESPONSE_FLAGS_OFFSET, ByteOrder.LITTLE_ENDIAN),
            buffer.getLong(RESPONSE_PARTNER_SILENT_MS_OFFSET, ByteOrder.LITTLE_ENDIAN), message,
            buffer.getLong(RESPONSE_NEXT_EPOCH_LSN_OFFSET, ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * Check the length word read off the wire before reading the rest of a frame.
     *
     * @throws ShipperException MALFORMED_FRAME when it cannot be a frame of this protocol.
     */
    public static void checkFrameLength(final int length)
    {
        if (length < HEADER_LENGTH || length > MAX_FRAME_LENGTH)
        {
            throw malformed("bad frame length: frameLength=" + length + " max=" + MAX_FRAME_LENGTH);
        }
    }

    private static void header(final UnsafeBuffer buffer, final int length, final int type)
    {
        buffer.putInt(ProtocolDescriptor.FRAME_LENGTH_OFFSET, length, ByteOrder.LITTLE_ENDIAN);
        buffer.putByte(ProtocolDescriptor.TYPE_OFFSET, (byte)type);
        buffer.putByte(ProtocolDescriptor.VERSION_OFFSET, (byte)VERSION);
    }

    private static void checkHeader(final UnsafeBuffer buffer, final int length, final int type, final int minLength)
    {
        checkFrameLength(length);
        final int frameType = buffer.getByte(ProtocolDescriptor.TYPE_OFFSET);
        final int version = buffer.getByte(ProtocolDescriptor.VERSION_OFFSET);
        if (version != VERSION)
        {
            throw malformed("unsupported arbiter protocol version: version=" + version + " supported=" + VERSION);
        }
        if (frameType != type || length < minLength)
        {
            throw malformed("unexpected frame: type=" + frameType + " expected=" + type + " frameLength=" + length);
        }
    }

    private static byte[] bytes(final String s)
    {
        return null == s ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }

    private static void checkName(final String what, final byte[] name)
    {
        if (name.length > MAX_NAME_LENGTH)
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG, what + " too long: length=" +
                name.length + " max=" + MAX_NAME_LENGTH);
        }
    }

    private static ShipperException malformed(final String what)
    {
        return new ShipperException(ShipperException.Code.MALFORMED_FRAME, "arbiter frame: " + what);
    }
}
