package io.jmirror.shipper;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static io.jmirror.shipper.ProtocolDescriptor.*;

/**
 * Writes protocol frames into a reused direct buffer. Each encode returns a view of the frame, valid until the
 * next encode; nothing is allocated per frame except the UTF-8 bytes of names in the rare HELLO, REJECT and
 * STALE_EPOCH. Every frame but REJECT carries the sender's epoch. Not thread-safe: one per session.
 */
final class MessageEncoder
{
    private static final int CAPACITY = 2048;

    private final ByteBuffer byteBuffer = ByteBuffer.allocateDirect(CAPACITY).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer buffer = new UnsafeBuffer(byteBuffer);
    private final ByteBuffer batchHeader =
        ByteBuffer.allocateDirect(BATCH_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer batchHeaderBuffer = new UnsafeBuffer(batchHeader);

    private ByteBuffer frame(final int length)
    {
        return byteBuffer.limit(length).position(0);
    }

    private static void header(final UnsafeBuffer buffer, final int type, final int length)
    {
        buffer.putInt(FRAME_LENGTH_OFFSET, length);
        buffer.putByte(TYPE_OFFSET, (byte)type);
        buffer.putByte(VERSION_OFFSET, (byte)VERSION);
        buffer.putShort(VERSION_OFFSET + 1, (short)0);
    }

    ByteBuffer hello(
        final long epoch,
        final String mirrorName,
        final String memberName,
        final MemberRole role,
        final long journalId,
        final long journalEpoch,
        final long resumeLsn,
        final int codecs)
    {
        final byte[] mirror = mirrorName.getBytes(StandardCharsets.UTF_8);
        final byte[] member = memberName.getBytes(StandardCharsets.UTF_8);
        final int length = HELLO_NAMES_OFFSET + mirror.length + member.length;
        buffer.setMemory(0, HELLO_NAMES_OFFSET, (byte)0);
        header(buffer, TYPE_HELLO, length);
        buffer.putLong(HELLO_EPOCH_OFFSET, epoch);
        buffer.putLong(HELLO_JOURNAL_ID_OFFSET, journalId);
        buffer.putLong(HELLO_JOURNAL_EPOCH_OFFSET, journalEpoch);
        buffer.putLong(HELLO_RESUME_LSN_OFFSET, resumeLsn);
        buffer.putInt(HELLO_CODECS_OFFSET, codecs);
        buffer.putByte(HELLO_ROLE_OFFSET, role.code());
        buffer.putShort(HELLO_MIRROR_NAME_LENGTH_OFFSET, (short)mirror.length);
        buffer.putShort(HELLO_MEMBER_NAME_LENGTH_OFFSET, (short)member.length);
        buffer.putBytes(HELLO_NAMES_OFFSET, mirror);
        buffer.putBytes(HELLO_NAMES_OFFSET + mirror.length, member);
        return frame(length);
    }

    ByteBuffer welcome(
        final long epoch,
        final long journalId,
        final long fileLength,
        final long startLsn,
        final long tailLsn,
        final int heartbeatMs,
        final int qosTimeoutMs)
    {
        header(buffer, TYPE_WELCOME, WELCOME_LENGTH);
        buffer.putLong(WELCOME_EPOCH_OFFSET, epoch);
        buffer.putLong(WELCOME_JOURNAL_ID_OFFSET, journalId);
        buffer.putLong(WELCOME_FILE_LENGTH_OFFSET, fileLength);
        buffer.putLong(WELCOME_START_LSN_OFFSET, startLsn);
        buffer.putLong(WELCOME_TAIL_LSN_OFFSET, tailLsn);
        buffer.putInt(WELCOME_HEARTBEAT_MS_OFFSET, heartbeatMs);
        buffer.putInt(WELCOME_QOS_TIMEOUT_MS_OFFSET, qosTimeoutMs);
        return frame(WELCOME_LENGTH);
    }

    ByteBuffer reject(final RejectReason reason, final long lsn, final String message)
    {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        if (text.length > MAX_REJECT_MESSAGE_LENGTH)
        {
            text = java.util.Arrays.copyOf(text, MAX_REJECT_MESSAGE_LENGTH);
        }
        final int length = REJECT_MESSAGE_OFFSET + text.length;
        header(buffer, TYPE_REJECT, length);
        buffer.putInt(REJECT_REASON_OFFSET + 4, 0);
        buffer.putInt(REJECT_REASON_OFFSET, reason.code());
        buffer.putLong(REJECT_LSN_OFFSET, lsn);
        buffer.putInt(REJECT_MESSAGE_LENGTH_OFFSET, text.length);
        buffer.putBytes(REJECT_MESSAGE_OFFSET, text);
        return frame(length);
    }

    ByteBuffer ack(final long epoch, final long receivedLsn, final long durableLsn, final long appliedLsn)
    {
        header(buffer, TYPE_ACK, ACK_LENGTH);
        buffer.putLong(ACK_EPOCH_OFFSET, epoch);
        buffer.putLong(ACK_RECEIVED_LSN_OFFSET, receivedLsn);
        buffer.putLong(ACK_DURABLE_LSN_OFFSET, durableLsn);
        buffer.putLong(ACK_APPLIED_LSN_OFFSET, appliedLsn);
        return frame(ACK_LENGTH);
    }

    ByteBuffer heartbeat(final long epoch, final long timeMs, final long lsn)
    {
        header(buffer, TYPE_HEARTBEAT, HEARTBEAT_LENGTH);
        buffer.putLong(HEARTBEAT_EPOCH_OFFSET, epoch);
        buffer.putLong(HEARTBEAT_TIME_OFFSET, timeMs);
        buffer.putLong(HEARTBEAT_LSN_OFFSET, lsn);
        return frame(HEARTBEAT_LENGTH);
    }

    /**
     * @return the 48-byte header of a BATCH whose payload follows it on the wire.
     */
    ByteBuffer batchHeader(
        final long epoch,
        final long startLsn,
        final long endLsn,
        final Codec codec,
        final int rawLength,
        final int checksum,
        final int payloadLength)
    {
        header(batchHeaderBuffer, TYPE_BATCH, BATCH_HEADER_LENGTH + payloadLength);
        batchHeaderBuffer.putLong(BATCH_EPOCH_OFFSET, epoch);
        batchHeaderBuffer.putLong(BATCH_START_LSN_OFFSET, startLsn);
        batchHeaderBuffer.putLong(BATCH_END_LSN_OFFSET, endLsn);
        batchHeaderBuffer.putInt(BATCH_CODEC_OFFSET, codec.code() & 0xFF);
        batchHeaderBuffer.putInt(BATCH_RAW_LENGTH_OFFSET, rawLength);
        batchHeaderBuffer.putInt(BATCH_CHECKSUM_OFFSET, checksum);
        batchHeaderBuffer.putInt(BATCH_CHECKSUM_OFFSET + 4, 0);
        return batchHeader.limit(BATCH_HEADER_LENGTH).position(0);
    }

    /**
     * @param epoch       the current epoch as the sender knows it.
     * @param primaryName the member that is primary in it; null or empty when not known. A name longer than
     *                    {@link ProtocolDescriptor#MAX_PRIMARY_NAME_LENGTH} bytes (no journal holds one) is sent as
     *                    not known rather than cut inside a character.
     */
    ByteBuffer staleEpoch(final long epoch, final String primaryName)
    {
        byte[] name = null == primaryName ? new byte[0] : primaryName.getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_PRIMARY_NAME_LENGTH)
        {
            name = new byte[0];
        }
        final int length = STALE_EPOCH_NAME_OFFSET + name.length;
        header(buffer, TYPE_STALE_EPOCH, length);
        buffer.putLong(STALE_EPOCH_EPOCH_OFFSET, epoch);
        buffer.putInt(STALE_EPOCH_NAME_LENGTH_OFFSET, name.length);
        buffer.putBytes(STALE_EPOCH_NAME_OFFSET, name);
        return frame(length);
    }
}
