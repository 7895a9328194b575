package io.jmirror.shipper;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Objects;

import static io.jmirror.shipper.ShipperException.Code.CLOSED;
import static io.jmirror.shipper.ShipperException.Code.IO_ERROR;

/**
 * Plain TCP: a thin veneer over a non-blocking {@link SocketChannel}, so that the protocol code can treat plain and
 * TLS connections alike. Reads and gathering writes go straight to the channel; nothing is buffered here, so
 * {@link #hasPendingWrites()} is always false.
 * <p>
 * TCP_NODELAY is set because the protocol sends small acks and heartbeats whose latency gates commits on the primary;
 * batching is done above, where the frames are built.
 */
public final class PlainTransport implements Transport
{
    /** Reads made by {@link #drainQuietly(SocketChannel, ByteBuffer)} before giving up on a talkative peer. */
    private static final int DRAIN_READS_MAX = 16;
    private static final int DRAIN_BUFFER_LENGTH = 4096;

    private final SocketChannel channel;
    private String peerAddress;
    private boolean isClosed;

    /**
     * Take ownership of a connected channel: it is put in non-blocking mode with TCP_NODELAY, and closed by
     * {@link #close()} (or here, if configuring it fails).
     *
     * @param channel a connected socket channel.
     * @throws ShipperException {@code IO_ERROR} when the channel cannot be configured.
     */
    public PlainTransport(final SocketChannel channel)
    {
        this.channel = Objects.requireNonNull(channel, "channel");
        configure(channel);
        peerAddress = describePeer(channel);
    }

    @Override
    public boolean handshake()
    {
        ensureOpen();
        return true;
    }

    @Override
    public int read(final ByteBuffer dst)
    {
        ensureOpen();
        try
        {
            return channel.read(dst);
        }
        catch (final IOException ex)
        {
            throw ioError("read", peerAddress(), ex);
        }
    }

    @Override
    public long write(final ByteBuffer[] srcs, final int offset, final int length)
    {
        ensureOpen();
        try
        {
            return channel.write(srcs, offset, length);
        }
        catch (final IOException ex)
        {
            throw ioError("write", peerAddress(), ex);
        }
    }

    @Override
    public boolean hasPendingWrites()
    {
        return false;
    }

    @Override
    public boolean flush()
    {
        ensureOpen();
        return true;
    }

    @Override
    public String peerSubject()
    {
        return null;
    }

    @Override
    public String peerAddress()
    {
        if (null == peerAddress)
        {
            peerAddress = describePeer(channel);
        }
        return null == peerAddress ? "unknown" : peerAddress;
    }

    @Override
    public SocketChannel channel()
    {
        return channel;
    }

    @Override
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            drainQuietly(channel, ByteBuffer.allocate(DRAIN_BUFFER_LENGTH));
            closeQuietly(channel);
        }
    }

    @Override
    public String toString()
    {
        return "PlainTransport{peer=" + peerAddress() + ", closed=" + isClosed + "}";
    }

    private void ensureOpen()
    {
        if (isClosed)
        {
            throw new ShipperException(CLOSED, "transport closed: peer=" + peerAddress());
        }
    }

    /**
     * Put a channel in non-blocking mode with TCP_NODELAY, closing it if that fails so the caller, which has no
     * transport yet, leaks nothing.
     */
    static void configure(final SocketChannel channel)
    {
        try
        {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, Boolean.TRUE);
        }
        catch (final IOException | RuntimeException ex)
        {
            final String peer = describePeer(channel);
            closeQuietly(channel);
            throw new ShipperException(IO_ERROR, "cannot configure channel: peer=" + peer + " reason=" + reason(ex),
                ex);
        }
    }

    /**
     * @return "host:port" of the channel's peer ("[v6]:port" for IPv6), or null when it is not connected.
     */
    static String describePeer(final SocketChannel channel)
    {
        try
        {
            final SocketAddress address = channel.getRemoteAddress();
            if (address instanceof InetSocketAddress)
            {
                final InetSocketAddress inet = (InetSocketAddress)address;
                if (null == inet.getAddress())
                {
                    return inet.getHostString() + ":" + inet.getPort();
                }
                final String host = inet.getAddress().getHostAddress();
                return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
            }
            return null == address ? null : address.toString();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * Read and discard what the peer has already sent, without blocking. Closing a TCP socket with unread bytes in
     * its receive queue makes the kernel send RST instead of FIN, and a RST can destroy the last bytes we sent
     * (a close_notify, an alert, a REJECT frame) before the peer reads them.
     */
    static void drainQuietly(final SocketChannel channel, final ByteBuffer scratch)
    {
        try
        {
            for (int i = 0; i < DRAIN_READS_MAX; i++)
            {
                scratch.clear();
                if (channel.read(scratch) <= 0)
                {
                    break;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // Best effort: the channel is closed next whatever happens here.
        }
    }

    static void closeQuietly(final SocketChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            // Nothing useful to do: the descriptor is released either way.
        }
    }

    static ShipperException ioError(final String operation, final String peer, final IOException ex)
    {
        return new ShipperException(IO_ERROR, operation + " failed: peer=" + peer + " reason=" + reason(ex), ex);
    }

    /**
     * @return the throwable's message, or its class name when it has none (e.g. {@code ClosedChannelException}).
     */
    static String reason(final Throwable ex)
    {
        final String message = ex.getMessage();
        return null == message ? ex.getClass().getSimpleName() : message;
    }
}
