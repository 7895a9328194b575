package io.jmirror.mirror;

import io.jmirror.shipper.ArbiterClient;
import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterProtocol.Kind;
import io.jmirror.shipper.ArbiterProtocol.Reason;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The arbiter as a process would run it: over loopback sockets, persisting before it answers, refusing what it
 * cannot read or trust.
 */
@Timeout(30)
class ArbiterTest
{
    private static final String MIRROR = "CLINIC";
    private static final long QOS = 1000;

    @TempDir
    Path dir;
    private final CachedEpochClock clock = new CachedEpochClock();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
    }

    private Arbiter startArbiter()
    {
        final Arbiter arbiter = Arbiter.start(context());
        closeables.add(arbiter);
        return arbiter;
    }

    private ArbiterContext context()
    {
        return new ArbiterContext().dir(dir).insecure(true).qosTimeoutMs(QOS).clock(clock)
            .member(MIRROR, "node-a").member(MIRROR, "node-b");
    }

    private ArbiterClient client(final Arbiter arbiter)
    {
        final ArbiterClient client = new ArbiterClient(arbiter.address(), null, 5000);
        closeables.add(client);
        return client;
    }

    private static ArbiterRequest request(final Kind kind, final String member, final long epoch, final int flags)
    {
        return new ArbiterRequest(kind, MIRROR, member, epoch, flags);
    }

    @Test
    void aTakeoverIsGrantedOnceThePrimaryIsSilentAndSurvivesARestart()
    {
        clock.update(10_000);
        Arbiter arbiter = startArbiter();
        final ArbiterClient a = client(arbiter);
        final ArbiterClient b = client(arbiter);
        assertTrue(a.request(request(Kind.CLAIM_PRIMARY, "node-a", 0, 0)).isGranted());
        assertEquals("node-b", b.request(request(Kind.POLL, "node-b", 1, 0)).backup());
        final ArbiterResponse active = a.request(request(Kind.POLL, "node-a", 1, ArbiterProtocol.FLAG_BACKUP_ACTIVE));
        assertTrue(active.isBackupActive());
        assertEquals(0, active.partnerSilentMs(), "the arbiter has just heard node-b");

        clock.advance(QOS / 2);
        final ArbiterResponse early = b.request(request(Kind.TAKEOVER, "node-b", 1, 0));
        assertEquals(Reason.PARTNER_ALIVE, early.reason());
        assertEquals(1, early.epoch());
        assertEquals("node-a", early.primary());

        clock.advance(QOS);
        final ArbiterResponse takeover = b.request(
            new ArbiterRequest(Kind.TAKEOVER, MIRROR, "node-b", 1, 0, 4096));
        assertTrue(takeover.isGranted(), takeover.toString());
        assertEquals(2, takeover.epoch());
        assertEquals("node-b", takeover.primary());

        // the old primary comes back: it learns the new epoch and primary, and cannot drop its "backup"
        final ArbiterResponse stale = a.request(request(Kind.REVOKE_BACKUP, "node-a", 1, 0));
        assertEquals(Reason.NOT_PRIMARY, stale.reason());
        assertEquals(2, stale.epoch());
        assertEquals("node-b", stale.primary());
        assertEquals(4096, stale.nextEpochLsn(), "where node-a's journal may part from node-b's");

        arbiter.close();
        arbiter = startArbiter();
        assertEquals(new ArbiterRecord(MIRROR, 2, "node-b", "node-a", false, false, false, false,
            List.of(new ArbiterRecord.Start(1, -1), new ArbiterRecord.Start(2, 4096))), arbiter.record(MIRROR));
        // a restarted arbiter has heard nobody: it waits a whole QoS timeout before it takes anyone for lost
        final ArbiterClient a2 = client(arbiter);
        clock.advance(QOS / 2);
        assertEquals(Reason.BACKUP_NOT_ACTIVE, a2.request(request(Kind.TAKEOVER, "node-a", 2, 0)).reason());
    }

    @Test
    void aDecisionThatCannotBePersistedIsRefused()
    {
        final ArbiterStore failing = new ArbiterStore()
        {
            @Override
            public Map<String, ArbiterRecord> load()
            {
                return Map.of();
            }

            @Override
            public void save(final Map<String, ArbiterRecord> records)
            {
                throw new IllegalStateException("disk full");
            }
        };
        final Arbiter arbiter = Arbiter.start(context().store(failing));
        closeables.add(arbiter);
        final ArbiterResponse response = client(arbiter).request(request(Kind.CLAIM_PRIMARY, "node-a", 0, 0));
        assertEquals(Reason.STORE_FAILED, response.reason());
        assertTrue(response.message().contains("disk full"), response.message());
        assertNull(arbiter.record(MIRROR), "nothing was decided");
    }

    @Test
    void anUnknownMemberIsRefusedAndLearnsNothing()
    {
        final Arbiter arbiter = startArbiter();
        final ArbiterClient client = client(arbiter);
        assertTrue(client.request(request(Kind.CLAIM_PRIMARY, "node-a", 0, 0)).isGranted());
        final ArbiterResponse refused = client.request(
            new ArbiterRequest(Kind.TAKEOVER, MIRROR, "intruder", 1, 0));
        assertEquals(Reason.UNAUTHORIZED, refused.reason());
        assertNull(refused.primary());
        assertEquals(0, refused.epoch());
        final ArbiterResponse otherMirror = client.request(
            new ArbiterRequest(Kind.POLL, "OTHER", "node-a", 1, 0));
        assertEquals(Reason.UNAUTHORIZED, otherMirror.reason());
    }

    @Test
    void aMalformedRequestIsRefusedAndOthersAreStillServed() throws Exception
    {
        final Arbiter arbiter = startArbiter();
        for (final byte[] garbage : List.of(
            frame(48, 1, 1, 99),              // unknown request kind
            frame(48, 1, 7, 1),               // another version
            frame(48, 2, 1, 1),               // a response where a request belongs
            frame(41, 1, 1, 1)))              // names that do not fit
        {
            try (Socket socket = new Socket())
            {
                socket.connect(arbiter.address(), 5000);
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(garbage);
                final DataInputStream in = new DataInputStream(socket.getInputStream());
                final int length = Integer.reverseBytes(in.readInt());
                final byte[] bytes = new byte[length];
                in.readFully(bytes, 4, length - 4);
                final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
                buffer.putInt(0, length);
                final ArbiterResponse response = ArbiterProtocol.decodeResponse(buffer, length);
                assertEquals(Reason.MALFORMED, response.reason(), response.toString());
                assertFalse(response.isGranted());
                assertEquals(-1, socket.getInputStream().read(), "the arbiter closes a malformed connection");
            }
        }
        assertEquals(4, arbiter.malformedFrames());
        assertTrue(client(arbiter).request(request(Kind.CLAIM_PRIMARY, "node-a", 0, 0)).isGranted());
    }

    /** A request frame of {@code length} bytes with a valid-looking header and names "CLINIC"/"node-a". */
    private static byte[] frame(final int length, final int type, final int version, final int kind)
    {
        final byte[] bytes = new byte[length];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        buffer.putInt(0, length);
        buffer.putByte(4, (byte)type);
        buffer.putByte(5, (byte)version);
        buffer.putInt(ArbiterProtocol.REQUEST_KIND_OFFSET, kind);
        buffer.putShort(ArbiterProtocol.REQUEST_MIRROR_NAME_LENGTH_OFFSET, (short)6);
        buffer.putShort(ArbiterProtocol.REQUEST_MEMBER_NAME_LENGTH_OFFSET, (short)2);
        if (length >= ArbiterProtocol.REQUEST_NAMES_OFFSET + 8)
        {
            buffer.putStringWithoutLengthUtf8(ArbiterProtocol.REQUEST_NAMES_OFFSET, "CLINICab");
        }
        return bytes;
    }

    @Test
    void aDamagedStateFileStopsTheArbiterNamingTheFile() throws Exception
    {
        final Arbiter arbiter = startArbiter();
        assertTrue(client(arbiter).request(request(Kind.CLAIM_PRIMARY, "node-a", 0, 0)).isGranted());
        arbiter.close();
        final Path state = dir.resolve(FileArbiterStore.FILE_NAME);
        Files.writeString(state, Files.readString(state, StandardCharsets.UTF_8).replace("epoch=1", "epoch=0"));
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> Arbiter.start(context()));
        assertTrue(ex.getMessage().contains("checksum differs"), ex.getMessage());
        assertTrue(ex.getMessage().contains(state.toString()), ex.getMessage());
    }

    @Test
    void insecureIsForLoopbackOnly()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> context().bindAddress(new InetSocketAddress("0.0.0.0", 0)).conclude());
        assertTrue(ex.getMessage().contains("loopback only"), ex.getMessage());
    }
}
