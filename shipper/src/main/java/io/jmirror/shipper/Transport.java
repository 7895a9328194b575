package io.jmirror.shipper;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A connected byte stream in non-blocking mode: plain TCP or TLS over a {@link SocketChannel}.
 * <p>
 * Sessions are driven from an agent's duty cycle, so no method here blocks: each does what the socket allows now
 * and says how far it got. The two implementations behave the same to the caller, which lets the protocol code be
 * written once and lets TLS be a configuration choice rather than a second code path:
 * <ul>
 *     <li>call {@link #handshake()} until it returns true before expecting data to flow (plain: at once);</li>
 *     <li>{@link #read(ByteBuffer)} returns 0 when nothing is available and -1 once the peer has closed;</li>
 *     <li>{@link #write(ByteBuffer[], int, int)} may accept fewer bytes than offered; bytes it accepted may still
 *     sit inside the transport, so call {@link #flush()} while {@link #hasPendingWrites()};</li>
 *     <li>once {@link #close()} has been called every other operation throws {@link ShipperException.Code#CLOSED},
 *     except the accessors.</li>
 * </ul>
 * A transport owns its channel: closing the transport closes the channel. A transport is used by one thread at a
 * time.
 */
public interface Transport extends AutoCloseable
{
    /**
     * Advance the handshake without blocking.
     *
     * @return true once application data may flow (plain: always true).
     * @throws ShipperException {@code TLS} with {@code peer=host:port reason=...} when the handshake fails
     *                          (untrusted certificate, no client certificate, ...); {@code IO_ERROR} when the socket
     *                          fails.
     */
    boolean handshake();

    /**
     * Read what is available now into {@code dst}.
     *
     * @param dst receives application bytes from its position up to its limit.
     * @return bytes read, 0 when nothing is available now (or before the handshake is complete), -1 at end of
     * stream.
     * @throws ShipperException {@code IO_ERROR} when the socket fails, {@code TLS} when the peer sends bad records
     *                          or a fatal alert.
     */
    int read(ByteBuffer dst);

    /**
     * Write as much of {@code srcs[offset, offset + length)} as possible without blocking. For TLS, bytes consumed
     * may sit in the transport's own network buffer: see {@link #hasPendingWrites()} and {@link #flush()}.
     *
     * @param srcs   buffers whose remaining bytes are written in order; their positions advance.
     * @param offset index of the first buffer to write.
     * @param length number of buffers to write.
     * @return application bytes consumed from {@code srcs}, 0 before the handshake is complete.
     * @throws ShipperException {@code IO_ERROR} when the socket fails or the peer has closed.
     */
    long write(ByteBuffer[] srcs, int offset, int length);

    /**
     * @return true while bytes accepted by {@link #write(ByteBuffer[], int, int)} are still buffered inside the
     * transport.
     */
    boolean hasPendingWrites();

    /**
     * Try to send bytes buffered inside the transport, without blocking.
     *
     * @return true when none remain.
     */
    boolean flush();

    /**
     * @return subject DN of the authenticated peer certificate in RFC 2253 form (e.g. {@code "CN=backup-1,O=jmirror"}),
     * or null without TLS. Valid after {@link #handshake()} returned true.
     */
    String peerSubject();

    /**
     * @return {@code "127.0.0.1:54321"} of the peer, for messages.
     */
    String peerAddress();

    /**
     * @return the channel this transport owns, for registration with a selector.
     */
    SocketChannel channel();

    /**
     * Close quietly; safe to call twice. TLS sends a best-effort close_notify without blocking.
     */
    @Override
    void close();
}
