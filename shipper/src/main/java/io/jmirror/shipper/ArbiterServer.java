package io.jmirror.shipper;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The arbiter's listening side: accepts members' connections (mutual TLS, or plain TCP on loopback only), reads
 * requests, asks the {@link ArbiterHandler} and writes its answers. Bad frames are refused with
 * {@link ArbiterProtocol.Reason#MALFORMED}, counted, and end only their own connection.
 * <p>
 * Blocking sockets with a thread per connection, unlike the primary's agents: the arbiter serves a few members a
 * request per heartbeat each, and a blocking read with a timeout is the simplest correct way to do that.
 */
public final class ArbiterServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ArbiterServer.class);
    /** A connection that sends nothing for this long is closed: members poll every heartbeat. */
    private static final int IDLE_TIMEOUT_MS = 60_000;

    private final ArbiterHandler handler;
    private final TlsConfig tls;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean isClosed;

    private ArbiterServer(final InetSocketAddress bindAddress, final TlsConfig tls, final ArbiterHandler handler)
        throws IOException
    {
        this.handler = handler;
        this.tls = tls;
        if (null != tls)
        {
            final SSLServerSocket sslServer = (SSLServerSocket)tls.sslContext().getServerSocketFactory()
                .createServerSocket();
            sslServer.setNeedClientAuth(true);
            sslServer.setEnabledProtocols(tls.protocols());
            server = sslServer;
        }
        else
        {
            server = new ServerSocket();
        }
        server.setReuseAddress(true);
        server.bind(bindAddress);
        acceptor = new Thread(this::acceptLoop, "jmirror-arbiter-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * @param bindAddress where to listen; without TLS it must be a loopback address.
     * @param tls         mutual TLS, or null for plain TCP (loopback only).
     * @param handler     decides each request.
     * @return the listening server.
     */
    public static ArbiterServer start(final InetSocketAddress bindAddress, final TlsConfig tls,
        final ArbiterHandler handler)
    {
        if (null == tls && !bindAddress.getAddress().isLoopbackAddress())
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG, "an arbiter without TLS listens on " +
                "loopback only: bindAddress=" + bindAddress);
        }
        try
        {
            return new ArbiterServer(bindAddress, tls, handler);
        }
        catch (final IOException ex)
        {
            throw new ShipperException(ShipperException.Code.IO_ERROR, "arbiter cannot listen: bindAddress=" +
                bindAddress + " reason=" + ex, ex);
        }
    }

    /**
     * @return where the server listens.
     */
    public InetSocketAddress address()
    {
        return (InetSocketAddress)server.getLocalSocketAddress();
    }

    /**
     * @return frames refused as malformed since start.
     */
    public long malformedFrames()
    {
        return malformed.get();
    }

    /**
     * @return requests answered since start.
     */
    public long requests()
    {
        return requests.get();
    }

    private void acceptLoop()
    {
        while (!isClosed)
        {
            try
            {
                final Socket socket = server.accept();
                connections.add(socket);
                final Thread thread = new Thread(() -> serve(socket), "jmirror-arbiter-" + socket.getPort());
                thread.setDaemon(true);
                thread.start();
            }
            catch (final IOException ex)
            {
                if (!isClosed)
                {
                    LOG.warn("arbiter accept failed: address={} reason={}", address(), ex.toString());
                }
            }
        }
    }

    private void serve(final Socket socket)
    {
        final String peer = String.valueOf(socket.getRemoteSocketAddress());
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ArbiterProtocol.MAX_FRAME_LENGTH]);
        try (socket)
        {
            socket.setSoTimeout(IDLE_TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            String certifiedName = null;
            if (socket instanceof SSLSocket)
            {
                final SSLSocket ssl = (SSLSocket)socket;
                ssl.startHandshake();
                certifiedName = TlsConfig.commonName(
                    ((java.security.cert.X509Certificate)ssl.getSession().getPeerCertificates()[0])
                        .getSubjectX500Principal().getName());
            }
            final DataInputStream in = new DataInputStream(socket.getInputStream());
            final OutputStream out = socket.getOutputStream();
            while (!isClosed)
            {
                final int length;
                try
                {
                    length = Integer.reverseBytes(in.readInt());
                }
                catch (final EOFException ex)
                {
                    return;
                }
                ArbiterRequest request = null;
                ArbiterResponse response;
                try
                {
                    ArbiterProtocol.checkFrameLength(length);
                    buffer.putInt(0, length);
                    in.readFully(buffer.byteArray(), 4, length - 4);
                    request = ArbiterProtocol.decodeRequest(buffer, length);
                    response = handler.handle(request, certifiedName);
                }
                catch (final ShipperException ex)
                {
                    malformed.incrementAndGet();
                    LOG.warn("arbiter refused a malformed request: peer={} reason={}", peer, ex.getMessage());
                    response = ArbiterResponse.refusal(ArbiterProtocol.Reason.MALFORMED, ex.getMessage());
                }
                requests.incrementAndGet();
                write(out, buffer, response);
                if (null == request)
                {
                    return;
                }
            }
        }
        catch (final SocketTimeoutException ex)
        {
            LOG.debug("arbiter closed an idle connection: peer={}", peer);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (!isClosed)
            {
                LOG.warn("arbiter connection failed: peer={} reason={}", peer, ex.toString());
            }
        }
        finally
        {
            connections.remove(socket);
        }
    }

    private static void write(final OutputStream out, final UnsafeBuffer buffer, final ArbiterResponse response)
        throws IOException
    {
        final int length = ArbiterProtocol.encodeResponse(buffer, response);
        out.write(buffer.byteArray(), 0, length);
        out.flush();
    }

    /**
     * Read exactly one frame of at most {@link ArbiterProtocol#MAX_FRAME_LENGTH} bytes.
     *
     * @return its length; the frame is at the start of {@code buffer}.
     */
    static int readFrame(final InputStream input, final UnsafeBuffer buffer) throws IOException
    {
        final DataInputStream in = new DataInputStream(input);
        final int length = Integer.reverseBytes(in.readInt());
        ArbiterProtocol.checkFrameLength(length);
        buffer.putInt(0, length);
        in.readFully(buffer.byteArray(), 4, length - 4);
        return length;
    }

    /**
     * Stop listening and close every connection. Safe to call twice.
     */
    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        CloseHelper.quietClose(server);
        for (final Socket socket : connections)
        {
            CloseHelper.quietClose(socket);
        }
        try
        {
            acceptor.join(5_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
