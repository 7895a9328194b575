package io.jmirror.shipper;

import io.jmirror.shipper.ArbiterProtocol.Kind;
import io.jmirror.shipper.ArbiterProtocol.Reason;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The arbiter's wire: golden bytes of both frames, and who the server says is asking under mutual TLS.
 */
@Timeout(60)
class ArbiterServerTest
{
    @TempDir
    static Path pkiDir;
    private static TestPki pki;

    @BeforeAll
    static void createPki() throws Exception
    {
        pki = TestPki.create(pkiDir, "arbiter", "backup-1");
    }

    @AfterAll
    static void done()
    {
        pki = null;
    }

    @Test
    void aRequestEncodesToItsGoldenBytes()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = ArbiterProtocol.encodeRequest(buffer, new ArbiterRequest(
            Kind.TAKEOVER, "M", "b1", 0x0102030405060708L, ArbiterProtocol.FLAG_BACKUP_ACTIVE, 0x1000));
        final byte[] expected = {
            43, 0, 0, 0, 1, 1, 0, 0,            // length 43, REQUEST, version 1
            4, 0, 0, 0, 1, 0, 0, 0,             // TAKEOVER, flags: backup ACTIVE
            8, 7, 6, 5, 4, 3, 2, 1,             // epoch
            0, 0x10, 0, 0, 0, 0, 0, 0,          // lsn 4096
            1, 0, 2, 0, 0, 0, 0, 0,             // name lengths 1 and 2, reserved
            'M', 'b', '1'};
        assertArrayEquals(expected, java.util.Arrays.copyOf(buffer.byteArray(), length));
        assertEquals(new ArbiterRequest(Kind.TAKEOVER, "M", "b1", 0x0102030405060708L, 1, 0x1000),
            ArbiterProtocol.decodeRequest(buffer, length));
    }

    @Test
    void aResponseEncodesToItsGoldenBytes()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
        final ArbiterResponse response = new ArbiterResponse(Reason.PARTNER_ALIVE, 3, "a", "bb",
            ArbiterProtocol.FLAG_BACKUP_ACTIVE | ArbiterProtocol.FLAG_NO_FAILOVER, 250, "no", 0x2000);
        final int length = ArbiterProtocol.encodeResponse(buffer, response);
        final byte[] expected = {
            61, 0, 0, 0, 2, 1, 0, 0,            // length 61, RESPONSE, version 1
            2, 0, 0, 0, 6, 0, 0, 0,             // REFUSED, PARTNER_ALIVE
            3, 0, 0, 0, 0, 0, 0, 0,             // epoch 3
            (byte)250, 0, 0, 0, 0, 0, 0, 0,     // partner silent 250 ms
            0, 0x20, 0, 0, 0, 0, 0, 0,          // next epoch starts at 8192
            3, 0, 0, 0, 1, 0, 2, 0,             // flags, primary and backup name lengths
            2, 0, 0, 0, 0, 0, 0, 0,             // message length, reserved
            'a', 'b', 'b', 'n', 'o'};
        assertArrayEquals(expected, java.util.Arrays.copyOf(buffer.byteArray(), length));
        assertEquals(response, ArbiterProtocol.decodeResponse(buffer, length));
    }

    @Test
    void aGrantedResponseWithAReasonIsMalformed()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
        final int length = ArbiterProtocol.encodeResponse(buffer,
            new ArbiterResponse(Reason.NONE, 1, "a", null, 0, -1, ""));
        buffer.putInt(ArbiterProtocol.RESPONSE_REASON_OFFSET, Reason.PARTNER_ALIVE.code());
        final ShipperException ex = assertThrows(ShipperException.class,
            () -> ArbiterProtocol.decodeResponse(buffer, length));
        assertEquals(ShipperException.Code.MALFORMED_FRAME, ex.code());
    }

    @Test
    void underTlsTheServerNamesTheCertifiedMember()
    {
        final CopyOnWriteArrayList<String> certified = new CopyOnWriteArrayList<>();
        try (ArbiterServer server = ArbiterServer.start(new InetSocketAddress("127.0.0.1", 0),
            pki.config("arbiter"), (request, certifiedName) ->
            {
                certified.add(certifiedName);
                return new ArbiterResponse(Reason.NONE, 1, "a", null, 0, -1, "ok");
            });
            ArbiterClient client = new ArbiterClient(server.address(), pki.config("backup-1"), 10_000))
        {
            assertTrue(client.request(new ArbiterRequest(Kind.POLL, "M", "backup-1", 1, 0)).isGranted());
            assertEquals(java.util.List.of("backup-1"), certified);

            try (ArbiterClient intruder = new ArbiterClient(server.address(), pki.intruderConfig(), 10_000))
            {
                final ShipperException ex = assertThrows(ShipperException.class,
                    () -> intruder.request(new ArbiterRequest(Kind.TAKEOVER, "M", "backup-1", 1, 0)));
                assertEquals(ShipperException.Code.IO_ERROR, ex.code(), ex.getMessage());
            }
            assertEquals(1, certified.size(), "an untrusted certificate never reached the handler");
        }
    }

    @Test
    void withoutTlsTheServerListensOnLoopbackOnly()
    {
        final ShipperException ex = assertThrows(ShipperException.class, () -> ArbiterServer.start(
            new InetSocketAddress("0.0.0.0", 0), null, (request, name) -> null));
        assertTrue(ex.getMessage().contains("loopback only"), ex.getMessage());
    }
}
