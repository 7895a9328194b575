package io.jmirror.shipper;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A failover member's (or the operator's) connection to the arbiter: one request, one answer, with a timeout. It
 * reconnects on the next request after any failure. Not thread-safe.
 */
public final class ArbiterClient implements AutoCloseable
{
    private final InetSocketAddress arbiterAddress;
    private final TlsConfig tls;
    private final int timeoutMs;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ArbiterProtocol.MAX_FRAME_LENGTH]);
    private Socket socket;

    /**
     * @param arbiterAddress where the arbiter listens.
     * @param tls            mutual TLS, or null for plain TCP to a loopback arbiter.
     * @param timeoutMs      longest wait for connecting and for an answer.
     */
    public ArbiterClient(final InetSocketAddress arbiterAddress, final TlsConfig tls, final int timeoutMs)
    {
        if (null == tls && !arbiterAddress.getAddress().isLoopbackAddress())
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG, "an arbiter without TLS is reached on " +
                "loopback only: arbiterAddress=" + arbiterAddress);
        }
        this.arbiterAddress = arbiterAddress;
        this.tls = tls;
        this.timeoutMs = timeoutMs;
    }

    /**
     * @return the arbiter's answer.
     * @throws ShipperException IO_ERROR when the arbiter cannot be reached or does not answer in time (the caller
     *                          treats the arbiter as lost), MALFORMED_FRAME when its answer cannot be read.
     */
    public ArbiterResponse request(final ArbiterRequest request)
    {
        try
        {
            if (null == socket)
            {
                socket = connect();
            }
            final int length = ArbiterProtocol.encodeRequest(buffer, request);
            socket.getOutputStream().write(buffer.byteArray(), 0, length);
            socket.getOutputStream().flush();
            return ArbiterProtocol.decodeResponse(buffer, ArbiterServer.readFrame(socket.getInputStream(), buffer));
        }
        catch (final IOException | RuntimeException ex)
        {
            disconnect();
            if (ex instanceof ShipperException)
            {
                throw (ShipperException)ex;
            }
            throw new ShipperException(ShipperException.Code.IO_ERROR, "arbiter unreachable: arbiter=" +
                arbiterAddress + " request=" + request.kind() + " reason=" + ex, ex);
        }
    }

    private Socket connect() throws IOException
    {
        final Socket connected = null != tls ? tls.sslContext().getSocketFactory().createSocket() : new Socket();
        try
        {
            connected.connect(arbiterAddress, timeoutMs);
            connected.setSoTimeout(timeoutMs);
            connected.setTcpNoDelay(true);
            if (connected instanceof SSLSocket)
            {
                ((SSLSocket)connected).setEnabledProtocols(tls.protocols());
                ((SSLSocket)connected).startHandshake();
            }
            return connected;
        }
        catch (final IOException ex)
        {
            CloseHelper.quietClose(connected);
            throw ex;
        }
    }

    private void disconnect()
    {
        CloseHelper.quietClose(socket);
        socket = null;
    }

    /**
     * Close the connection. Safe to call twice.
     */
    @Override
    public void close()
    {
        disconnect();
    }
}
