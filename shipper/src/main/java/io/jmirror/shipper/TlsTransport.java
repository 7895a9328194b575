package io.jmirror.shipper;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Objects;

import static io.jmirror.shipper.ShipperException.Code.CLOSED;
import static io.jmirror.shipper.ShipperException.Code.IO_ERROR;
import static io.jmirror.shipper.ShipperException.Code.TLS;

/**
 * TLS over a non-blocking {@link SocketChannel}, driven by an {@link SSLEngine} without ever blocking, so a member
 * session can run it from an agent's duty cycle next to plain connections.
 * <p>
 * Three buffers, each always kept in one mode so no method has to guess:
 * <pre>
 *   channel --read--> netIn  (write mode) --unwrap--> caller's dst, or appIn (read mode) when dst is too small
 *   caller's srcs --wrap--> netOut (read mode) --write--> channel
 * </pre>
 * {@code netIn} keeps bytes that arrived after the record being unwrapped (application data behind the last handshake
 * message, several records in one read). {@code netOut} keeps wrapped bytes the socket did not take, which is why
 * {@link #hasPendingWrites()} exists. The network buffers hold a few packets so a read or write moves several records
 * per system call; all three are sized from the session's packet and application sizes and grow only if the engine
 * asks for more. After the handshake no method here allocates (the engine allocates its own result objects).
 * <p>
 * The handshake is driven by the engine's handshake status (wrap, unwrap, delegated tasks run inline). The same
 * driver runs after the handshake when a read brings post-handshake messages: TLS 1.3 NewSessionTicket (consumed
 * silently) and KeyUpdate (which may ask us to wrap a reply). A peer that closes with close_notify, or just closes
 * the socket, reads as end of stream (-1), as with plain TCP: frames above carry their own lengths and checksums, so
 * a truncated stream is caught there.
 */
public final class TlsTransport implements Transport
{
    /** Network buffers hold this many packets, so one system call can move several records. */
    private static final int NETWORK_BUFFER_PACKETS = 4;
    /** Wraps tried when sending a close_notify or alert; one is normally enough. */
    private static final int CLOSING_WRAPS_MAX = 4;

    private final SocketChannel channel;
    private final SSLEngine engine;
    private final ByteBuffer[] noData = {ByteBuffer.allocate(0)};
    private ByteBuffer netIn;
    private ByteBuffer netOut;
    private ByteBuffer appIn;
    private String peerAddress;
    private String peerSubject;
    private ShipperException failure;
    private boolean isHandshakeStarted;
    private boolean isHandshakeComplete;
    private boolean isInboundDone;
    private boolean isClosed;

    /**
     * Take ownership of a connected channel: it is put in non-blocking mode with TCP_NODELAY, and closed by
     * {@link #close()} (or here, if configuring it fails).
     *
     * @param channel a connected socket channel.
     * @param engine  an engine from {@link TlsConfig#serverEngine()} or {@link TlsConfig#clientEngine(String, int)},
     *                not yet used.
     * @throws ShipperException {@code IO_ERROR} when the channel cannot be configured.
     */
    public TlsTransport(final SocketChannel channel, final SSLEngine engine)
    {
        this.channel = Objects.requireNonNull(channel, "channel");
        if (null == engine)
        {
            PlainTransport.closeQuietly(channel);
            throw new NullPointerException("engine");
        }
        this.engine = engine;
        PlainTransport.configure(channel);
        peerAddress = PlainTransport.describePeer(channel);
        final int packetLength = engine.getSession().getPacketBufferSize();
        netIn = ByteBuffer.allocateDirect(packetLength * NETWORK_BUFFER_PACKETS);
        netOut = ByteBuffer.allocateDirect(packetLength * NETWORK_BUFFER_PACKETS).flip();
        appIn = ByteBuffer.allocateDirect(engine.getSession().getApplicationBufferSize()).flip();
    }

    @Override
    public boolean handshake()
    {
        ensureUsable();
        if (isHandshakeComplete)
        {
            return true;
        }
        try
        {
            if (!isHandshakeStarted)
            {
                isHandshakeStarted = true;
                engine.beginHandshake();
            }
            // Report success only once our last flight has left: a member that then only reads would otherwise
            // leave its Finished in netOut and both sides would wait for ever.
            if (!driveHandshake() || netOut.hasRemaining())
            {
                return false;
            }
            completeHandshake();
            return true;
        }
        catch (final SSLException | RuntimeException ex)
        {
            throw fail("handshake failed", ex);
        }
    }

    @Override
    public int read(final ByteBuffer dst)
    {
        if (!handshake())
        {
            return 0;
        }
        try
        {
            return readApplicationData(dst);
        }
        catch (final SSLException | RuntimeException ex)
        {
            throw fail("read failed", ex);
        }
    }

    @Override
    public long write(final ByteBuffer[] srcs, final int offset, final int length)
    {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        if (!handshake())
        {
            return 0;
        }
        try
        {
            return writeApplicationData(srcs, offset, length);
        }
        catch (final SSLException | RuntimeException ex)
        {
            throw fail("write failed", ex);
        }
    }

    @Override
    public boolean hasPendingWrites()
    {
        return !isClosed && netOut.hasRemaining();
    }

    @Override
    public boolean flush()
    {
        ensureUsable();
        return flushNetOut();
    }

    @Override
    public String peerSubject()
    {
        return peerSubject;
    }

    @Override
    public String peerAddress()
    {
        if (null == peerAddress)
        {
            peerAddress = PlainTransport.describePeer(channel);
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
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        try
        {
            if (isHandshakeStarted && null == failure)
            {
                engine.closeOutbound();
                wrapClosingQuietly();
            }
        }
        finally
        {
            netIn.clear();
            PlainTransport.drainQuietly(channel, netIn);
            PlainTransport.closeQuietly(channel);
        }
    }

    @Override
    public String toString()
    {
        return "TlsTransport{peer=" + peerAddress() + ", subject=" + peerSubject + ", handshakeComplete=" +
            isHandshakeComplete + ", closed=" + isClosed + "}";
    }

    private int readApplicationData(final ByteBuffer dst) throws SSLException
    {
        if (HandshakeStatus.NOT_HANDSHAKING != engine.getHandshakeStatus())
        {
            driveHandshake();
        }
        int total = 0;
        while (dst.hasRemaining())
        {
            if (appIn.hasRemaining())
            {
                total += transfer(appIn, dst);
                continue;
            }
            if (isInboundDone)
            {
                break;
            }
            SSLEngineResult result = unwrap(dst);
            if (SSLEngineResult.Status.BUFFER_OVERFLOW == result.getStatus())
            {
                // dst is smaller than the next record: take the record into appIn and hand it out from there.
                result = unwrapIntoAppIn();
            }
            else
            {
                total += result.bytesProduced();
            }
            switch (result.getStatus())
            {
                case OK:
                    if (!afterUnwrap(result) && 0 == readNetIn())
                    {
                        return total;
                    }
                    break;

                case BUFFER_UNDERFLOW:
                    if (0 == readNetIn())
                    {
                        return total;
                    }
                    break;

                case BUFFER_OVERFLOW:
                    appIn = enlarge(appIn, engine.getSession().getApplicationBufferSize()).flip();
                    break;

                case CLOSED:
                    isInboundDone = true;
                    wrapClosingQuietly();
                    break;

                default:
                    throw new IllegalStateException("unexpected unwrap status: " + result.getStatus());
            }
        }
        return 0 == total && isInboundDone && !appIn.hasRemaining() ? -1 : total;
    }

    /**
     * Deal with what an unwrap that returned OK left to do: post-handshake messages may need delegated tasks or a
     * reply (KeyUpdate).
     *
     * @return true when the unwrap made progress, false when it consumed and produced nothing.
     */
    private boolean afterUnwrap(final SSLEngineResult result) throws SSLException
    {
        if (isHandshakeWork(result.getHandshakeStatus()))
        {
            driveHandshake();
            return true;
        }
        return result.bytesConsumed() > 0 || result.bytesProduced() > 0;
    }

    private long writeApplicationData(final ByteBuffer[] srcs, final int offset, final int length)
        throws SSLException
    {
        if (HandshakeStatus.NOT_HANDSHAKING != engine.getHandshakeStatus())
        {
            driveHandshake();
        }
        long consumed = 0;
        boolean isBlocked = false;
        while (!isBlocked && hasRemaining(srcs, offset, length))
        {
            final SSLEngineResult result = wrap(srcs, offset, length);
            switch (result.getStatus())
            {
                case OK:
                    consumed += result.bytesConsumed();
                    if (isHandshakeWork(result.getHandshakeStatus()))
                    {
                        driveHandshake();
                    }
                    else if (0 == result.bytesConsumed())
                    {
                        // The engine wants to unwrap first (a renegotiation under TLS 1.2): the next read will.
                        isBlocked = true;
                    }
                    break;

                case BUFFER_OVERFLOW:
                    isBlocked = !makeRoomInNetOut();
                    break;

                case CLOSED:
                    throw new ShipperException(IO_ERROR, "write failed: peer=" + peerAddress() +
                        " reason=TLS outbound closed");

                default:
                    throw new IllegalStateException("unexpected wrap status: " + result.getStatus());
            }
        }
        flushNetOut();
        return consumed;
    }

    /**
     * Run the engine's handshake state machine as far as the socket allows, then try to send what it wrapped
     * (the peer cannot answer a flight that is still in netOut).
     *
     * @return true when the engine is no longer handshaking, false when it waits for the network.
     */
    private boolean driveHandshake() throws SSLException
    {
        final boolean isDone = stepHandshake();
        flushNetOut();
        return isDone;
    }

    private boolean stepHandshake() throws SSLException
    {
        while (true)
        {
            final HandshakeStatus status = engine.getHandshakeStatus();
            switch (status)
            {
                case NOT_HANDSHAKING:
                case FINISHED:
                    return true;

                case NEED_TASK:
                    runDelegatedTasks();
                    break;

                case NEED_WRAP:
                    if (!wrapHandshake())
                    {
                        return false;
                    }
                    break;

                case NEED_UNWRAP:
                case NEED_UNWRAP_AGAIN:
                    if (!unwrapHandshake())
                    {
                        return false;
                    }
                    break;

                default:
                    throw new IllegalStateException("unexpected handshake status: " + status);
            }
        }
    }

    /**
     * @return true when the wrap made progress, false when netOut is full and the socket takes nothing.
     */
    private boolean wrapHandshake() throws SSLException
    {
        final SSLEngineResult result = wrap(noData, 0, 1);
        switch (result.getStatus())
        {
            case OK:
                return true;

            case BUFFER_OVERFLOW:
                return makeRoomInNetOut();

            case CLOSED:
                flushNetOut();
                throw new ShipperException(TLS, "engine closed during handshake: peer=" + peerAddress());

            default:
                throw new IllegalStateException("unexpected wrap status: " + result.getStatus());
        }
    }

    /**
     * @return true when the unwrap made progress, false when it needs bytes the socket does not have yet.
     */
    private boolean unwrapHandshake() throws SSLException
    {
        final SSLEngineResult result = unwrapIntoAppIn();
        switch (result.getStatus())
        {
            case OK:
                return true;

            case BUFFER_UNDERFLOW:
                final int read = readNetIn();
                return read > 0 || read < 0 && peerClosedDuringHandshake();

            case BUFFER_OVERFLOW:
                appIn = enlarge(appIn, engine.getSession().getApplicationBufferSize()).flip();
                return true;

            case CLOSED:
                isInboundDone = true;
                return peerClosedDuringHandshake();

            default:
                throw new IllegalStateException("unexpected unwrap status: " + result.getStatus());
        }
    }

    private boolean peerClosedDuringHandshake()
    {
        if (isHandshakeComplete)
        {
            // A post-handshake unwrap hit end of stream; the read loop reports it as -1.
            return false;
        }
        throw new ShipperException(TLS, "peer closed the connection during the handshake: peer=" + peerAddress());
    }

    private SSLEngineResult wrap(final ByteBuffer[] srcs, final int offset, final int length) throws SSLException
    {
        netOut.compact();
        try
        {
            return engine.wrap(srcs, offset, length, netOut);
        }
        finally
        {
            netOut.flip();
        }
    }

    private SSLEngineResult unwrap(final ByteBuffer dst) throws SSLException
    {
        netIn.flip();
        try
        {
            return engine.unwrap(netIn, dst);
        }
        finally
        {
            netIn.compact();
        }
    }

    private SSLEngineResult unwrapIntoAppIn() throws SSLException
    {
        appIn.compact();
        try
        {
            return unwrap(appIn);
        }
        finally
        {
            appIn.flip();
        }
    }

    /**
     * Read from the channel into netIn. At end of stream mark the inbound side done: a peer that closes without
     * close_notify reads as end of stream, as plain TCP would (the engine is not told, it would only turn that into
     * a fatal error and an alert nobody reads).
     *
     * @return bytes read, 0 when nothing is available now, -1 at end of stream.
     */
    private int readNetIn()
    {
        if (!netIn.hasRemaining())
        {
            // A record larger than the whole buffer: only if the session grew its packet size.
            netIn = enlarge(netIn.flip(), engine.getSession().getPacketBufferSize());
        }
        final int read;
        try
        {
            read = channel.read(netIn);
        }
        catch (final IOException ex)
        {
            throw PlainTransport.ioError("read", peerAddress(), ex);
        }
        if (read < 0)
        {
            isInboundDone = true;
        }
        return read;
    }

    /**
     * Make room for the next wrap: send what netOut holds or, when it is empty yet still too small, grow it.
     *
     * @return true when there is more room than before.
     */
    private boolean makeRoomInNetOut()
    {
        if (netOut.hasRemaining())
        {
            final int pending = netOut.remaining();
            flushNetOut();
            return netOut.remaining() < pending;
        }
        netOut = enlarge(netOut, engine.getSession().getPacketBufferSize()).flip();
        return true;
    }

    /**
     * @return true when netOut is empty.
     */
    private boolean flushNetOut()
    {
        try
        {
            while (netOut.hasRemaining())
            {
                if (0 == channel.write(netOut))
                {
                    return false;
                }
            }
            return true;
        }
        catch (final IOException ex)
        {
            throw PlainTransport.ioError("write", peerAddress(), ex);
        }
    }

    private void runDelegatedTasks()
    {
        Runnable task;
        while (null != (task = engine.getDelegatedTask()))
        {
            task.run();
        }
    }

    private void completeHandshake()
    {
        isHandshakeComplete = true;
        try
        {
            peerSubject = engine.getSession().getPeerPrincipal().getName();
        }
        catch (final SSLPeerUnverifiedException ex)
        {
            peerSubject = null;
        }
        final int packetLength = engine.getSession().getPacketBufferSize();
        if (netOut.capacity() < packetLength)
        {
            netOut = enlarge(netOut, packetLength * NETWORK_BUFFER_PACKETS).flip();
        }
        if (netIn.capacity() < packetLength)
        {
            netIn = enlarge(netIn.flip(), packetLength * NETWORK_BUFFER_PACKETS);
        }
        final int applicationLength = engine.getSession().getApplicationBufferSize();
        if (appIn.capacity() < applicationLength)
        {
            appIn = enlarge(appIn, applicationLength).flip();
        }
    }

    /**
     * Best effort, without blocking: wrap what the closing engine has to say (close_notify, or the alert after a
     * failure) and try once to send it.
     */
    private void wrapClosingQuietly()
    {
        try
        {
            for (int i = 0; i < CLOSING_WRAPS_MAX && HandshakeStatus.NEED_WRAP == engine.getHandshakeStatus(); i++)
            {
                if (0 == wrap(noData, 0, 1).bytesProduced())
                {
                    break;
                }
            }
            flushNetOut();
        }
        catch (final SSLException | RuntimeException ex)
        {
            // Best effort: the peer learns of the end from the closed socket instead.
        }
    }

    /**
     * Remember the failure so every later call reports it, send the engine's alert if it has one, and return the
     * exception to throw.
     */
    private ShipperException fail(final String what, final Exception ex)
    {
        if (null == failure)
        {
            if (ex instanceof ShipperException)
            {
                failure = (ShipperException)ex;
            }
            else
            {
                failure = new ShipperException(ex instanceof SSLException ? TLS : IO_ERROR, what + ": peer=" +
                    peerAddress() + " reason=" + PlainTransport.reason(ex), ex);
            }
            engine.closeOutbound();
            wrapClosingQuietly();
        }
        return failure;
    }

    private void ensureUsable()
    {
        if (isClosed)
        {
            throw new ShipperException(CLOSED, "transport closed: peer=" + peerAddress());
        }
        if (null != failure)
        {
            throw failure;
        }
    }

    /**
     * @return true for the statuses this side can act on at once: a task to run or a message to wrap.
     */
    private static boolean isHandshakeWork(final HandshakeStatus status)
    {
        return HandshakeStatus.NEED_TASK == status || HandshakeStatus.NEED_WRAP == status;
    }

    private static boolean hasRemaining(final ByteBuffer[] srcs, final int offset, final int length)
    {
        for (int i = offset, end = offset + length; i < end; i++)
        {
            if (srcs[i].hasRemaining())
            {
                return true;
            }
        }
        return false;
    }

    private static int transfer(final ByteBuffer src, final ByteBuffer dst)
    {
        final int length = Math.min(src.remaining(), dst.remaining());
        final int limit = src.limit();
        src.limit(src.position() + length);
        dst.put(src);
        src.limit(limit);
        return length;
    }

    /**
     * @param readMode bytes to keep, from position to limit.
     * @param capacity the size the engine asked for; the new buffer is at least this and twice the old one.
     * @return a larger direct buffer in write mode holding the kept bytes.
     */
    private static ByteBuffer enlarge(final ByteBuffer readMode, final int capacity)
    {
        final ByteBuffer larger = ByteBuffer.allocateDirect(Math.max(capacity, readMode.capacity() * 2));
        larger.put(readMode);
        return larger;
    }
}
