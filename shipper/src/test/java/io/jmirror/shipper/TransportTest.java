package io.jmirror.shipper;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.jmirror.shipper.ShipperException.Code.CLOSED;
import static io.jmirror.shipper.ShipperException.Code.INVALID_CONFIG;
import static io.jmirror.shipper.ShipperException.Code.TLS;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Plain and TLS transports over loopback, both ends driven without blocking from the test thread, as a member
 * session's agent would drive them: every loop calls handshake/read/write/flush and spins until a deadline.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TransportTest
{
    private static final int TEN_MB = 10 * 1024 * 1024;
    private static final int MAX_CHUNK = 128 * 1024;
    private static final int MAX_READ = 64 * 1024;
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(40);
    private static final InetAddress LOOPBACK = loopback();

    @TempDir
    static Path pkiDir;
    private static TestPki pki;
    private static TlsConfig primaryConfig;
    private static TlsConfig backupConfig;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    enum Kind
    {
        PLAIN, TLS
    }

    private record Pair(Transport client, Transport server)
    {
    }

    @BeforeAll
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    static void createPki() throws Exception
    {
        pki = TestPki.create(pkiDir, "primary", "backup-1");
        primaryConfig = pki.config("primary");
        backupConfig = pki.config("backup-1");
    }

    @AfterEach
    void closeAll()
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            try
            {
                closeables.get(i).close();
            }
            catch (final Exception ex)
            {
                // Closing what is left of a test; the test has already passed or failed.
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void echoOfTenMegabytesInRandomSizedWritesArrivesIntactAndInOrder(final Kind kind) throws IOException
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final byte[] data = randomBytes(random, TEN_MB);
        final Pair pair = connect(kind);
        handshake(pair);

        final Sender sender = new Sender(pair.client(), data, random, seed);
        final Receiver receiver = new Receiver(pair.client(), data, random, seed);
        final Echo echo = new Echo(pair.server(), random, seed);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (!sender.isDone() || !receiver.isDone())
        {
            final boolean progress = sender.doWork() | echo.doWork() | receiver.doWork();
            awaitProgress(progress, deadline, "echo: sent=" + sender.position + " received=" + receiver.position +
                " seed=" + seed);
        }
        assertEquals(TEN_MB, echo.echoed, "seed=" + seed);
        assertNothingMoreToRead(pair.client());
        assertNothingMoreToRead(pair.server());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void tenMegabytesEachWaySimultaneouslyArriveIntact(final Kind kind) throws IOException
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final byte[] clientToServer = randomBytes(random, TEN_MB);
        final byte[] serverToClient = randomBytes(random, TEN_MB);
        final Pair pair = connect(kind);
        handshake(pair);

        final Sender clientSender = new Sender(pair.client(), clientToServer, random, seed);
        final Sender serverSender = new Sender(pair.server(), serverToClient, random, seed);
        final Receiver serverReceiver = new Receiver(pair.server(), clientToServer, random, seed);
        final Receiver clientReceiver = new Receiver(pair.client(), serverToClient, random, seed);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (!clientSender.isDone() || !serverSender.isDone() || !serverReceiver.isDone() ||
            !clientReceiver.isDone())
        {
            final boolean progress = clientSender.doWork() | serverSender.doWork() | serverReceiver.doWork() |
                clientReceiver.doWork();
            awaitProgress(progress, deadline, "both ways: received by server=" + serverReceiver.position +
                " by client=" + clientReceiver.position + " seed=" + seed);
        }
        assertNothingMoreToRead(pair.client());
        assertNothingMoreToRead(pair.server());
    }

    @Test
    void mutualHandshakeLetsEachSideSeeTheOthersSubject() throws IOException
    {
        final Pair pair = connect(Kind.TLS);
        assertNull(pair.server().peerSubject(), "no subject before the handshake");
        handshake(pair);

        assertEquals("CN=backup-1,O=jmirror", pair.server().peerSubject());
        assertEquals("CN=primary,O=jmirror", pair.client().peerSubject());
        assertEquals("backup-1", TlsConfig.commonName(pair.server().peerSubject()));
        assertEquals("primary", TlsConfig.commonName(pair.client().peerSubject()));
        assertEquals(address(pair.client().channel().getLocalAddress()), pair.server().peerAddress());
        assertEquals(address(pair.server().channel().getLocalAddress()), pair.client().peerAddress());
        assertTrue(pair.client().handshake(), "handshake() stays true");
        assertTrue(pair.server().handshake(), "handshake() stays true");
    }

    @Test
    void plainTransportHasNoSubjectAndIsReadyAtOnce() throws IOException
    {
        final Pair pair = connect(Kind.PLAIN);
        assertTrue(pair.client().handshake());
        assertTrue(pair.server().handshake());
        assertNull(pair.server().peerSubject());
        assertFalse(pair.client().hasPendingWrites());
        assertTrue(pair.client().flush());
        assertEquals(address(pair.client().channel().getLocalAddress()), pair.server().peerAddress());
        assertFalse(pair.client().channel().isBlocking());
    }

    @Test
    void reconnectingWithTheSameConfigsAuthenticatesBothSidesAgain() throws IOException
    {
        // A member reconnects to the same primary address with the same TlsConfig, so TLS 1.3 may resume the
        // session from the ticket it was given: the subjects must still be there, as authorization depends on them.
        final TlsConfig server = pki.config("primary");
        final TlsConfig client = pki.config("backup-1");
        try (ServerSocketChannel acceptor = listen())
        {
            for (int i = 0; i < 3; i++)
            {
                final Pair pair = connect(acceptor, server, client);
                handshake(pair);
                exchangeGreeting(pair);
                assertEquals("CN=backup-1,O=jmirror", pair.server().peerSubject(), "connection " + i);
                assertEquals("CN=primary,O=jmirror", pair.client().peerSubject(), "connection " + i);
                pair.client().close();
                pair.server().close();
            }
        }
    }

    @Test
    void tls12HandshakeDataAndCloseWorkToo() throws IOException
    {
        // TLS 1.2 has the other handshake shape (the server finishes last and may send data at once) and a duplex
        // close (close_notify is answered), so it takes other paths through the engine driver.
        final Pair pair = connect(
            new TlsConfig().keyStore(pki.keyStore("primary"), TestPki.password())
                .trustStore(pki.trustStore(), TestPki.password()).protocols("TLSv1.2").conclude(),
            new TlsConfig().keyStore(pki.keyStore("backup-1"), TestPki.password())
                .trustStore(pki.trustStore(), TestPki.password()).protocols("TLSv1.2").conclude());
        handshake(pair);
        assertEquals("CN=backup-1,O=jmirror", pair.server().peerSubject());
        assertEquals("CN=primary,O=jmirror", pair.client().peerSubject());

        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final byte[] clientToServer = randomBytes(random, 1024 * 1024);
        final byte[] serverToClient = randomBytes(random, 1024 * 1024);
        final Sender clientSender = new Sender(pair.client(), clientToServer, random, seed);
        final Sender serverSender = new Sender(pair.server(), serverToClient, random, seed);
        final Receiver serverReceiver = new Receiver(pair.server(), clientToServer, random, seed);
        final Receiver clientReceiver = new Receiver(pair.client(), serverToClient, random, seed);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (!clientSender.isDone() || !serverSender.isDone() || !serverReceiver.isDone() ||
            !clientReceiver.isDone())
        {
            final boolean progress = clientSender.doWork() | serverSender.doWork() | serverReceiver.doWork() |
                clientReceiver.doWork();
            awaitProgress(progress, deadline, "TLS 1.2 both ways, seed=" + seed);
        }

        pair.client().close();
        assertEquals(-1, readUntilEndOfStream(pair.server(), new byte[0]));
    }

    @Test
    void applicationDataThatArrivesWithTheLastHandshakeMessageIsDelivered() throws IOException
    {
        final Pair pair = connect(Kind.TLS);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        // Under TLS 1.3 the client is done once its Finished has left; the server is not, until it reads it.
        while (!pair.client().handshake())
        {
            assertFalse(pair.server().handshake(), "the server cannot finish before the client's Finished");
            awaitProgress(false, deadline, "client handshake");
        }
        final byte[] greeting = "hello behind Finished".getBytes(StandardCharsets.US_ASCII);
        writeFully(pair.client(), greeting, deadline);

        // Now the server's socket holds the client's Finished and the greeting: one read takes both.
        while (!pair.server().handshake())
        {
            awaitProgress(false, deadline, "server handshake");
        }
        assertArrayEquals(greeting, readExactly(pair.server(), greeting.length, deadline));
        assertEquals("CN=backup-1,O=jmirror", pair.server().peerSubject());
    }

    @Test
    void clientWithoutCertificateIsRefusedByTheServersHandshake() throws IOException
    {
        final Pair pair = connect(primaryConfig, pki.withoutCertificateConfig());

        final ShipperException refusal = awaitHandshakeFailure(pair.server(), pair.client());
        assertEquals(TLS, refusal.code(), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("peer=" + address(pair.client().channel().getLocalAddress())),
            refusal.getMessage());
        assertTrue(refusal.getMessage().contains("reason="), refusal.getMessage());
        assertNull(pair.server().peerSubject());
        assertFalse(hasCause(refusal, CertificateException.class), "no certificate to reject: " + refusal);
        assertSame(refusal, assertThrows(ShipperException.class, () -> pair.server().handshake()),
            "a failed handshake stays failed");

        final ShipperException clientSide = awaitFailure(pair.client());
        assertEquals(TLS, clientSide.code(), "the client learns why from the server's alert: " + clientSide);
    }

    @Test
    void intruderCertificateFromAnotherCaIsRefusedByTheServer() throws IOException
    {
        final Pair pair = connect(primaryConfig, pki.intruderConfig());

        final ShipperException refusal = awaitHandshakeFailure(pair.server(), pair.client());
        assertEquals(TLS, refusal.code(), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("peer=" + address(pair.client().channel().getLocalAddress())),
            refusal.getMessage());
        // The intruder did present its certificate (rather than an empty chain) and the trust manager rejected it.
        assertTrue(hasCause(refusal, CertificateException.class), "the certificate itself is refused: " + refusal);
        assertNull(pair.server().peerSubject());
        assertEquals(TLS, awaitFailure(pair.client()).code());
    }

    @Test
    void intruderServerIsRefusedByTheClient() throws IOException
    {
        final Pair pair = connect(pki.intruderConfig(), backupConfig);

        final ShipperException refusal = awaitHandshakeFailure(pair.client(), pair.server());
        assertEquals(TLS, refusal.code(), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("peer=" + address(pair.server().channel().getLocalAddress())),
            refusal.getMessage());
        assertTrue(hasCause(refusal, CertificateException.class), "the certificate itself is refused: " + refusal);
        assertNull(pair.client().peerSubject());
        assertEquals(TLS, awaitFailure(pair.server()).code());
    }

    @Test
    void wrongKeyStorePasswordIsInvalidConfigNamingTheFile()
    {
        final Path keyStore = pki.keyStore("backup-1");
        final TlsConfig config = new TlsConfig()
            .keyStore(keyStore, "not-the-password".toCharArray())
            .trustStore(pki.trustStore(), TestPki.password());

        final ShipperException ex = assertThrows(ShipperException.class, config::conclude);
        assertEquals(INVALID_CONFIG, ex.code());
        assertTrue(ex.getMessage().contains("keyStore=" + keyStore), ex.getMessage());
        assertTrue(ex.getMessage().contains("password"), ex.getMessage());
        assertFalse(config.isConcluded());
    }

    @Test
    void missingTrustStoreIsInvalidConfigNamingTheFile()
    {
        final Path missing = pkiDir.resolve("no-such-trust.p12");
        final TlsConfig config = new TlsConfig()
            .keyStore(pki.keyStore("backup-1"), TestPki.password())
            .trustStore(missing, TestPki.password());

        final ShipperException ex = assertThrows(ShipperException.class, config::conclude);
        assertEquals(INVALID_CONFIG, ex.code());
        assertTrue(ex.getMessage().contains("trustStore=" + missing), ex.getMessage());

        final ShipperException none = assertThrows(ShipperException.class, () -> new TlsConfig().conclude());
        assertEquals(INVALID_CONFIG, none.code());
        assertTrue(none.getMessage().contains("trustStore"), none.getMessage());
    }

    @Test
    void configRefusesMisuse()
    {
        final ShipperException serverWithoutKey = assertThrows(ShipperException.class,
            () -> pki.withoutCertificateConfig().serverEngine());
        assertEquals(INVALID_CONFIG, serverWithoutKey.code());

        final ShipperException notConcluded = assertThrows(ShipperException.class,
            () -> new TlsConfig().clientEngine("127.0.0.1", 1));
        assertEquals(INVALID_CONFIG, notConcluded.code());

        final ShipperException badProtocol = assertThrows(ShipperException.class, () -> new TlsConfig()
            .trustStore(pki.trustStore(), TestPki.password()).protocols("TLSv0.9").conclude());
        assertEquals(INVALID_CONFIG, badProtocol.code());
        assertTrue(badProtocol.getMessage().contains("TLSv0.9"), badProtocol.getMessage());

        assertEquals(INVALID_CONFIG, assertThrows(ShipperException.class,
            () -> primaryConfig.protocols("TLSv1.2")).code(), "a concluded config is frozen");
        assertSame(primaryConfig, primaryConfig.conclude(), "conclude twice is harmless");
        assertArrayEquals(new String[] {"TLSv1.3"}, primaryConfig.protocols());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void closeTwiceIsSafeAndLaterCallsSayClosed(final Kind kind) throws IOException
    {
        final Pair pair = connect(kind);
        handshake(pair);
        final Transport client = pair.client();

        client.close();
        client.close();

        assertFalse(client.channel().isOpen());
        assertFalse(client.hasPendingWrites());
        assertNotNull(client.peerAddress());
        final ByteBuffer buffer = ByteBuffer.allocate(16);
        final ByteBuffer[] buffers = {ByteBuffer.allocate(16)};
        assertEquals(CLOSED, assertThrows(ShipperException.class, () -> client.read(buffer)).code());
        assertEquals(CLOSED, assertThrows(ShipperException.class, () -> client.write(buffers, 0, 1)).code());
        assertEquals(CLOSED, assertThrows(ShipperException.class, client::handshake).code());
        assertEquals(CLOSED, assertThrows(ShipperException.class, client::flush).code());
        assertEquals(-1, readUntilEndOfStream(pair.server(), new byte[0]));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void readingAfterThePeerClosesReturnsEndOfStream(final Kind kind) throws IOException
    {
        final Pair pair = connect(kind);
        handshake(pair);
        final byte[] farewell = "last words".getBytes(StandardCharsets.US_ASCII);

        // Written and closed at once: close sends what write accepted (then close_notify) before the socket goes.
        final long written = pair.client().write(new ByteBuffer[] {ByteBuffer.wrap(farewell)}, 0, 1);
        assertEquals(farewell.length, written);
        pair.client().close();

        assertEquals(-1, readUntilEndOfStream(pair.server(), farewell));
        final ByteBuffer buffer = ByteBuffer.allocate(16);
        assertEquals(-1, pair.server().read(buffer), "end of stream stays end of stream");
        assertEquals(-1, pair.server().read(buffer), "end of stream stays end of stream");
    }

    @Test
    void tlsPeerThatVanishesWithoutCloseNotifyReadsAsEndOfStream() throws IOException
    {
        final Pair pair = connect(Kind.TLS);
        handshake(pair);
        exchangeGreeting(pair);

        pair.client().channel().close();

        assertEquals(-1, readUntilEndOfStream(pair.server(), new byte[0]));
    }

    @Test
    void commonNameIsTakenFromTheSubject()
    {
        assertEquals("backup-1", TlsConfig.commonName("CN=backup-1,O=jmirror"));
        assertEquals("dr-1", TlsConfig.commonName("O=jmirror,CN=dr-1"));
        assertEquals("a,b", TlsConfig.commonName("CN=a\\,b,O=jmirror"));
        assertEquals("primary", TlsConfig.commonName("cn=primary, ou=mirror, o=jmirror"));
        assertNull(TlsConfig.commonName("O=jmirror"));
        assertNull(TlsConfig.commonName("not a dn"));
        assertNull(TlsConfig.commonName(null));
    }

    private Pair connect(final Kind kind) throws IOException
    {
        return Kind.PLAIN == kind ? connect(null, null) : connect(primaryConfig, backupConfig);
    }

    /**
     * @return a connected pair over loopback; TLS when both configs are given, plain when both are null.
     */
    private Pair connect(final TlsConfig serverConfig, final TlsConfig clientConfig) throws IOException
    {
        try (ServerSocketChannel acceptor = listen())
        {
            return connect(acceptor, serverConfig, clientConfig);
        }
    }

    private static ServerSocketChannel listen() throws IOException
    {
        final ServerSocketChannel acceptor = ServerSocketChannel.open();
        try
        {
            acceptor.bind(new InetSocketAddress(LOOPBACK, 0));
            return acceptor;
        }
        catch (final IOException ex)
        {
            acceptor.close();
            throw ex;
        }
    }

    private Pair connect(final ServerSocketChannel acceptor, final TlsConfig serverConfig,
        final TlsConfig clientConfig) throws IOException
    {
        final InetSocketAddress address = (InetSocketAddress)acceptor.getLocalAddress();
        final SocketChannel clientChannel = SocketChannel.open(address);
        closeables.add(clientChannel);
        final SocketChannel serverChannel = acceptor.accept();
        closeables.add(serverChannel);

        final Transport server = null == serverConfig ?
            new PlainTransport(serverChannel) : new TlsTransport(serverChannel, serverConfig.serverEngine());
        closeables.add(server);
        final Transport client = null == clientConfig ?
            new PlainTransport(clientChannel) :
            new TlsTransport(clientChannel, clientConfig.clientEngine(address.getHostString(), address.getPort()));
        closeables.add(client);
        return new Pair(client, server);
    }

    private static void handshake(final Pair pair)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        boolean isClientDone = false;
        boolean isServerDone = false;
        while (!isClientDone || !isServerDone)
        {
            isClientDone = pair.client().handshake();
            isServerDone = pair.server().handshake();
            awaitProgress(false, deadline, "handshake");
        }
    }

    /**
     * Drive both sides until {@code refuser}'s handshake throws. The other side is driven too (handshake, then
     * reads) and may fail as well when the alert arrives; that is checked separately.
     */
    private static ShipperException awaitHandshakeFailure(final Transport refuser, final Transport other)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        final ByteBuffer buffer = ByteBuffer.allocate(64);
        boolean isOtherFailed = false;
        while (true)
        {
            try
            {
                refuser.handshake();
            }
            catch (final ShipperException ex)
            {
                return ex;
            }
            if (!isOtherFailed)
            {
                try
                {
                    if (other.handshake())
                    {
                        assertEquals(0, other.read(buffer), "no data may arrive on a refused connection");
                    }
                }
                catch (final ShipperException ex)
                {
                    isOtherFailed = true;
                }
            }
            awaitProgress(false, deadline, "handshake failure of " + refuser);
        }
    }

    /**
     * @return the exception the transport throws once the peer's alert arrives (reading after a handshake that
     * looked complete from this side, as a TLS 1.3 client's does before the server checks its certificate).
     */
    private static ShipperException awaitFailure(final Transport transport)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        final ByteBuffer buffer = ByteBuffer.allocate(64);
        while (true)
        {
            try
            {
                if (transport.handshake() && transport.read(buffer) < 0)
                {
                    fail("end of stream instead of a TLS alert: " + transport);
                }
            }
            catch (final ShipperException ex)
            {
                return ex;
            }
            awaitProgress(false, deadline, "failure of " + transport);
        }
    }

    private static boolean hasCause(final Throwable ex, final Class<? extends Throwable> type)
    {
        for (Throwable cause = ex; null != cause; cause = cause.getCause())
        {
            if (type.isInstance(cause))
            {
                return true;
            }
        }
        return false;
    }

    private static void exchangeGreeting(final Pair pair)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        final byte[] greeting = "hello".getBytes(StandardCharsets.US_ASCII);
        writeFully(pair.client(), greeting, deadline);
        assertArrayEquals(greeting, readExactly(pair.server(), greeting.length, deadline));
        writeFully(pair.server(), greeting, deadline);
        assertArrayEquals(greeting, readExactly(pair.client(), greeting.length, deadline));
    }

    private static void writeFully(final Transport transport, final byte[] bytes, final long deadline)
    {
        final ByteBuffer[] buffers = {ByteBuffer.wrap(bytes)};
        while (buffers[0].hasRemaining() || transport.hasPendingWrites())
        {
            final boolean progress = buffers[0].hasRemaining() ?
                transport.write(buffers, 0, 1) > 0 : transport.flush();
            awaitProgress(progress, deadline, "write " + transport);
        }
    }

    private static byte[] readExactly(final Transport transport, final int length, final long deadline)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining())
        {
            final int read = transport.read(buffer);
            assertTrue(read >= 0, "end of stream after " + buffer.position() + " of " + length);
            awaitProgress(read > 0, deadline, "read " + transport);
        }
        return buffer.array();
    }

    /**
     * Read until end of stream, checking that exactly {@code expected} arrives first.
     *
     * @return the last value read returned, -1 unless the deadline failed the test.
     */
    private static int readUntilEndOfStream(final Transport transport, final byte[] expected)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        final ByteBuffer buffer = ByteBuffer.allocate(expected.length + 64);
        int read;
        while (0 <= (read = transport.read(buffer)))
        {
            awaitProgress(read > 0, deadline, "end of stream on " + transport);
        }
        assertArrayEquals(expected, Arrays.copyOf(buffer.array(), buffer.position()));
        return read;
    }

    private static void assertNothingMoreToRead(final Transport transport)
    {
        assertEquals(0, transport.read(ByteBuffer.allocate(64)), "no extra bytes on " + transport);
        assertFalse(transport.hasPendingWrites());
    }

    private static void awaitProgress(final boolean progress, final long deadline, final String what)
    {
        if (!progress)
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out: " + what);
            }
            Thread.onSpinWait();
        }
    }

    private static byte[] randomBytes(final Random random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String address(final java.net.SocketAddress address)
    {
        final InetSocketAddress inet = (InetSocketAddress)address;
        return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }

    private static InetAddress loopback()
    {
        try
        {
            return InetAddress.getByName("127.0.0.1");
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Writes a byte array in random-sized chunks, each spread over up to three buffers (some empty, some direct) at
     * a random offset in the buffer array, checking that write reports exactly what it consumed.
     */
    private static final class Sender
    {
        private final Transport transport;
        private final byte[] data;
        private final Random random;
        private final long seed;
        private final ByteBuffer[] slots = new ByteBuffer[6];
        private int offset;
        private int count;
        private int position;
        private int chunkEnd;

        Sender(final Transport transport, final byte[] data, final Random random, final long seed)
        {
            this.transport = transport;
            this.data = data;
            this.random = random;
            this.seed = seed;
        }

        boolean doWork()
        {
            if (position == chunkEnd && chunkEnd < data.length)
            {
                nextChunk();
            }
            if (position < chunkEnd)
            {
                final long before = remaining();
                final long written = transport.write(slots, offset, count);
                assertEquals(before - remaining(), written, "write must report what it consumed, seed=" + seed);
                position += (int)written;
                return written > 0;
            }
            return transport.hasPendingWrites() && transport.flush();
        }

        boolean isDone()
        {
            return position == data.length && !transport.hasPendingWrites();
        }

        private void nextChunk()
        {
            final int length = Math.min(data.length - position, 1 + random.nextInt(MAX_CHUNK));
            offset = random.nextInt(3);
            count = 1 + random.nextInt(3);
            Arrays.fill(slots, null);
            final int last = position + length;
            int start = position;
            for (int i = 0; i < count; i++)
            {
                final int end = i == count - 1 ? last : start + random.nextInt(last - start + 1);
                if (random.nextInt(4) == 0)
                {
                    slots[offset + i] = ByteBuffer.allocateDirect(end - start).put(data, start, end - start).flip();
                }
                else
                {
                    slots[offset + i] = ByteBuffer.wrap(data, start, end - start);
                }
                start = end;
            }
            chunkEnd = last;
        }

        private long remaining()
        {
            long remaining = 0;
            for (int i = offset; i < offset + count; i++)
            {
                remaining += slots[i].remaining();
            }
            return remaining;
        }
    }

    /**
     * Reads into heap or direct buffers of random size (often tiny, so records are handed out in pieces) and checks
     * every byte against what was sent.
     */
    private static final class Receiver
    {
        private final Transport transport;
        private final byte[] expected;
        private final Random random;
        private final long seed;
        private final ByteBuffer heap = ByteBuffer.allocate(MAX_READ);
        private final ByteBuffer direct = ByteBuffer.allocateDirect(MAX_READ);
        private final byte[] scratch = new byte[MAX_READ];
        private int position;

        Receiver(final Transport transport, final byte[] expected, final Random random, final long seed)
        {
            this.transport = transport;
            this.expected = expected;
            this.random = random;
            this.seed = seed;
        }

        boolean doWork()
        {
            if (isDone())
            {
                return false;
            }
            final ByteBuffer dst = random.nextBoolean() ? heap : direct;
            final int room = random.nextInt(8) == 0 ? 1 + random.nextInt(16) : 1 + random.nextInt(MAX_READ);
            dst.clear().limit(Math.min(room, expected.length - position));
            final int read = transport.read(dst);
            if (read < 0)
            {
                fail("end of stream after " + position + " of " + expected.length + " bytes, seed=" + seed);
            }
            assertEquals(dst.position(), read, "read must report what it put in dst, seed=" + seed);
            dst.flip().get(scratch, 0, read);
            final int mismatch = Arrays.mismatch(scratch, 0, read, expected, position, position + read);
            if (mismatch >= 0)
            {
                fail("byte " + (position + mismatch) + " differs from what was sent, seed=" + seed);
            }
            position += read;
            return read > 0;
        }

        boolean isDone()
        {
            return position == expected.length;
        }
    }

    /**
     * The server side of the echo: reads into a buffer of random size and writes back what it read.
     */
    private static final class Echo
    {
        private final Transport transport;
        private final Random random;
        private final long seed;
        private final ByteBuffer buffer = ByteBuffer.allocate(MAX_READ).flip();
        private final ByteBuffer[] buffers = {buffer};
        private long echoed;

        Echo(final Transport transport, final Random random, final long seed)
        {
            this.transport = transport;
            this.random = random;
            this.seed = seed;
        }

        boolean doWork()
        {
            boolean progress = false;
            if (!buffer.hasRemaining())
            {
                buffer.clear().limit(1 + random.nextInt(buffer.capacity()));
                final int read = transport.read(buffer);
                buffer.flip();
                assertTrue(read >= 0, "echo saw end of stream, seed=" + seed);
                progress = read > 0;
            }
            if (buffer.hasRemaining())
            {
                final long written = transport.write(buffers, 0, 1);
                echoed += written;
                progress |= written > 0;
            }
            else if (transport.hasPendingWrites())
            {
                progress |= transport.flush();
            }
            return progress;
        }
    }
}
