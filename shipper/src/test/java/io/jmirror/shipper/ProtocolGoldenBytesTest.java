package io.jmirror.shipper;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

import static io.jmirror.shipper.ProtocolDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The encoding of every frame of protocol version 3, byte for byte, against bytes written out by hand from the
 * diagrams in PROTOCOL.md; and the decoder's refusals of what does not fit them.
 */
class ProtocolGoldenBytesTest
{
    private final MessageEncoder encoder = new MessageEncoder();
    private final MessageDecoder decoder = new MessageDecoder();

    /** Bytes from hex groups, one group per field; spaces are ignored. */
    private static byte[] hex(final String... fields)
    {
        return HexFormat.of().parseHex(String.join("", fields).replace(" ", ""));
    }

    private static byte[] bytesOf(final ByteBuffer frame)
    {
        final ByteBuffer view = frame.duplicate();
        final byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }

    private static void assertFrame(final byte[] expected, final ByteBuffer actual)
    {
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(bytesOf(actual)));
    }

    private MessageDecoder decode(final byte[] frame)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(frame.length + 16)
            .order(ByteOrder.LITTLE_ENDIAN));
        buffer.putBytes(8, frame);
        return decoder.wrap(buffer, 8, frame.length, "test-peer");
    }

    /** Dirty the encoder's buffer with a long frame first, so a field an encode forgets to write shows. */
    private void dirty()
    {
        encoder.reject(RejectReason.UNKNOWN_MEMBER, -1, "x".repeat(200));
    }

    @Test
    void hello()
    {
        dirty();
        final byte[] expected = hex(
            "3b000000 01 03 0000",      // frame length 59, HELLO, version 3, reserved
            "0500000000000000",         // epoch 5 (the highest the member knows)
            "0807060504030201",         // journal id 0x0102030405060708
            "0010000000000000",         // resume LSN 4096
            "07000000",                 // codecs NONE|LZ4|ZSTD
            "01 00 0100",               // role BACKUP, reserved, mirror name length 1
            "0200 0000",                // member name length 2, reserved
            "00000000",                 // reserved
            "0400000000000000",         // journal epoch 4
            "4d",                       // "M"
            "6231");                    // "b1"
        assertFrame(expected, encoder.hello(5, "M", "b1", MemberRole.BACKUP, 0x0102030405060708L, 4, 4096, 7));
        final MessageDecoder hello = decode(expected);
        assertEquals(TYPE_HELLO, hello.type());
        assertEquals(5, hello.epoch());
        assertEquals(4, hello.helloJournalEpoch());
        assertEquals("M", hello.helloMirrorName());
        assertEquals("b1", hello.helloMemberName());
        assertEquals(4096, hello.helloResumeLsn());
    }

    @Test
    void welcome()
    {
        dirty();
        final byte[] expected = hex(
            "38000000 02 03 0000",      // frame length 56, WELCOME, version 3, reserved
            "0500000000000000",         // epoch 5
            "0807060504030201",         // journal id
            "0000040000000000",         // file length 256 KiB
            "0010000000000000",         // start LSN 4096
            "0020000000000000",         // primary tail LSN 8192
            "e8030000",                 // heartbeat 1000 ms
            "401f0000");                // QoS timeout 8000 ms
        assertFrame(expected, encoder.welcome(5, 0x0102030405060708L, 256 * 1024, 4096, 8192, 1000, 8000));
        final MessageDecoder welcome = decode(expected);
        assertEquals(5, welcome.epoch());
        assertEquals(8192, welcome.welcomeTailLsn());
        assertEquals(8000, welcome.welcomeQosTimeoutMs());
    }

    @Test
    void rejectHasNoEpoch()
    {
        final byte[] expected = hex(
            "1e000000 03 03 0000",      // frame length 30, REJECT, version 3, reserved
            "04000000",                 // reason LSN_PURGED
            "00000000",                 // reserved
            "0010000000000000",         // LSN 4096
            "02000000",                 // message length 2
            "6e6f");                    // "no"
        assertFrame(expected, encoder.reject(RejectReason.LSN_PURGED, 4096, "no"));
        assertEquals("no", decode(expected).rejectMessage());
    }

    @Test
    void batchHeader()
    {
        final byte[] expected = hex(
            "b0000000 04 03 0000",      // frame length 48 + 128 payload, BATCH, version 3, reserved
            "0500000000000000",         // epoch 5
            "0010000000000000",         // start LSN 4096
            "0011000000000000",         // end LSN 4352
            "01000000",                 // codec LZ4, reserved
            "00010000",                 // raw length 256
            "efbeadde",                 // CRC32C 0xdeadbeef
            "00000000");                // reserved
        assertFrame(expected, encoder.batchHeader(5, 4096, 4352, Codec.LZ4, 256, 0xdeadbeef, 128));
        assertEquals(48, BATCH_HEADER_LENGTH);
    }

    @Test
    void ack()
    {
        dirty();
        final byte[] expected = hex(
            "28000000 05 03 0000",      // frame length 40, ACK, version 3, reserved
            "0500000000000000",         // epoch 5
            "0011000000000000",         // received LSN 4352
            "0010000000000000",         // durable LSN 4096
            "ffffffffffffffff");        // applied LSN -1
        assertFrame(expected, encoder.ack(5, 4352, 4096, -1));
        final MessageDecoder ack = decode(expected);
        assertEquals(5, ack.epoch());
        assertEquals(-1, ack.ackAppliedLsn());
    }

    @Test
    void heartbeat()
    {
        dirty();
        final byte[] expected = hex(
            "20000000 06 03 0000",      // frame length 32, HEARTBEAT, version 3, reserved
            "0500000000000000",         // epoch 5
            "0068e5cf8b010000",         // sender time 1_700_000_000_000 ms
            "0010000000000000");        // LSN 4096
        assertFrame(expected, encoder.heartbeat(5, 1_700_000_000_000L, 4096));
        assertEquals(1_700_000_000_000L, decode(expected).heartbeatTimeMs());
    }

    @Test
    void staleEpoch()
    {
        dirty();
        final byte[] expected = hex(
            "1c000000 07 03 0000",      // frame length 28, STALE_EPOCH, version 3, reserved
            "0600000000000000",         // epoch 6
            "08000000",                 // primary name length 8
            "6261636b75702d31");        // "backup-1"
        assertFrame(expected, encoder.staleEpoch(6, "backup-1"));
        final MessageDecoder stale = decode(expected);
        assertEquals(TYPE_STALE_EPOCH, stale.type());
        assertEquals(6, stale.staleEpochEpoch());
        assertEquals("backup-1", stale.staleEpochPrimaryName());
    }

    @Test
    void staleEpochWithoutAPrimaryName()
    {
        dirty();
        final byte[] expected = hex(
            "14000000 07 03 0000",      // frame length 20, STALE_EPOCH, version 3, reserved
            "0600000000000000",         // epoch 6
            "00000000");                // primary name length 0: not known
        assertFrame(expected, encoder.staleEpoch(6, null));
        assertEquals("", decode(expected).staleEpochPrimaryName());
    }

    @Test
    void aVersionOneFrameIsRefused()
    {
        final byte[] versionOneHeartbeat = hex(
            "18000000 06 01 0000",      // frame length 24, HEARTBEAT, version 1
            "0068e5cf8b010000",         // sender time
            "0010000000000000");        // LSN
        final ShipperException ex = assertThrows(ShipperException.class, () -> decode(versionOneHeartbeat));
        assertEquals(ShipperException.Code.PROTOCOL, ex.code());
        assertTrue(ex.getMessage().contains("incompatible protocol version: version=1 supported=" + VERSION),
            ex.getMessage());
    }

    @Test
    void aStaleEpochWhosePrimaryNameLengthIsOutOfBoundsIsMalformed()
    {
        for (final String nameLength : new String[] {"ffffffff", "00010000", "05000000", "00000080"})
        {
            final byte[] frame = hex(
                "18000000 07 03 0000",  // frame length 24: room for 4 name bytes
                "0600000000000000",
                nameLength,             // -1, 256 (over 255), 5 (past the frame), huge
                "61626364");
            final ShipperException ex = assertThrows(ShipperException.class, () -> decode(frame), nameLength);
            assertEquals(ShipperException.Code.MALFORMED_FRAME, ex.code());
            assertTrue(ex.getMessage().contains("type=STALE_EPOCH"), ex.getMessage());
        }
        final byte[] tooShort = hex("10000000 07 03 0000", "0600000000000000");
        assertEquals(ShipperException.Code.MALFORMED_FRAME,
            assertThrows(ShipperException.class, () -> decode(tooShort)).code());
    }

    @Test
    void aPrimaryNameOverTheBoundIsSentAsNotKnown()
    {
        final MessageDecoder stale = decode(bytesOf(encoder.staleEpoch(9, "n".repeat(MAX_PRIMARY_NAME_LENGTH + 1))));
        assertEquals(9, stale.staleEpochEpoch());
        assertEquals("", stale.staleEpochPrimaryName());
        assertEquals("n".repeat(MAX_PRIMARY_NAME_LENGTH),
            decode(bytesOf(encoder.staleEpoch(9, "n".repeat(MAX_PRIMARY_NAME_LENGTH)))).staleEpochPrimaryName());
    }

    @Test
    void everyLongFieldIsEightByteAligned()
    {
        for (final int offset : new int[] {EPOCH_OFFSET, HELLO_JOURNAL_ID_OFFSET, HELLO_RESUME_LSN_OFFSET,
            WELCOME_JOURNAL_ID_OFFSET, WELCOME_FILE_LENGTH_OFFSET, WELCOME_START_LSN_OFFSET, WELCOME_TAIL_LSN_OFFSET,
            REJECT_LSN_OFFSET, BATCH_START_LSN_OFFSET, BATCH_END_LSN_OFFSET, BATCH_HEADER_LENGTH,
            ACK_RECEIVED_LSN_OFFSET, ACK_DURABLE_LSN_OFFSET, ACK_APPLIED_LSN_OFFSET, HEARTBEAT_TIME_OFFSET,
            HEARTBEAT_LSN_OFFSET, STALE_EPOCH_EPOCH_OFFSET})
        {
            assertEquals(0, offset % 8, "offset " + offset);
        }
    }
}
