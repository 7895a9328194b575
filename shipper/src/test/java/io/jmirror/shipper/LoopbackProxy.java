package io.jmirror.shipper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 between a member and the primary that injects faults: cut every link, stall
 * forwarding, or flip one byte of the primary-to-member stream. Test tool; blocking sockets and daemon threads.
 */
public final class LoopbackProxy implements AutoCloseable
{
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stalled = new AtomicBoolean();
    private final AtomicLong corruptAt = new AtomicLong(-1);
    private final AtomicInteger links = new AtomicInteger();
    private final AtomicInteger corruptions = new AtomicInteger();
    private final Thread acceptor;
    private volatile boolean isClosed;

    public LoopbackProxy(final InetSocketAddress target) throws IOException
    {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "loopback-proxy-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public InetSocketAddress address()
    {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** Close every current link; new connections are accepted as before. */
    public void cutAll()
    {
        for (final Socket socket : sockets)
        {
            closeQuietly(socket);
        }
        sockets.clear();
    }

    /** Stop or resume forwarding in both directions (a blackhole while true). */
    public void stall(final boolean stall)
    {
        stalled.set(stall);
    }

    /** Flip one bit of the byte this many bytes further into the primary-to-member stream of the current link. */
    void corruptAfter(final long bytes)
    {
        corruptAt.set(bytes);
    }

    int links()
    {
        return links.get();
    }

    int corruptions()
    {
        return corruptions.get();
    }

    private void acceptLoop()
    {
        while (!isClosed)
        {
            try
            {
                final Socket member = server.accept();
                final Socket primary = new Socket(target.getAddress(), target.getPort());
                member.setTcpNoDelay(true);
                primary.setTcpNoDelay(true);
                sockets.add(member);
                sockets.add(primary);
                links.incrementAndGet();
                pump(member, primary, false);
                pump(primary, member, true);
            }
            catch (final IOException ex)
            {
                if (isClosed)
                {
                    return;
                }
            }
        }
    }

    private void pump(final Socket from, final Socket to, final boolean mayCorrupt)
    {
        final Thread thread = new Thread(() ->
        {
            final byte[] buffer = new byte[16 * 1024];
            long forwarded = 0;
            try
            {
                final InputStream in = from.getInputStream();
                final OutputStream out = to.getOutputStream();
                while (!isClosed)
                {
                    final int read = in.read(buffer);
                    if (read < 0)
                    {
                        break;
                    }
                    while (stalled.get() && !isClosed && !from.isClosed())
                    {
                        Thread.onSpinWait();
                        Thread.yield();
                    }
                    if (mayCorrupt)
                    {
                        final long at = corruptAt.get();
                        if (at >= 0 && at < forwarded + read && corruptAt.compareAndSet(at, -1))
                        {
                            final int index = (int)Math.max(0, at - forwarded);
                            buffer[index] ^= 0x10;
                            corruptions.incrementAndGet();
                        }
                        else if (at >= 0)
                        {
                            corruptAt.compareAndSet(at, at - read);
                        }
                    }
                    out.write(buffer, 0, read);
                    forwarded += read;
                }
            }
            catch (final IOException ex)
            {
                // the link is cut: fall through and close both ends
            }
            closeQuietly(from);
            closeQuietly(to);
        }, "loopback-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(final Socket socket)
    {
        try
        {
            socket.close();
        }
        catch (final IOException ignore)
        {
            // closing anyway
        }
    }

    @Override
    public void close()
    {
        isClosed = true;
        try
        {
            server.close();
        }
        catch (final IOException ignore)
        {
            // closing anyway
        }
        cutAll();
    }
}
