package io.jmirror.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.agrona.CloseHelper;

/**
 * A TCP proxy on 127.0.0.1 between a member and the primary (or the arbiter), for injecting link faults: drop (close
 * every connection), blackhole (hold all bytes in both directions; the peers see a silent link), hold one direction
 * only (a one-way partition), isolate (drop every connection and refuse new ones: a partition) and delay (hold each
 * chunk before passing it on). Two copying threads per connection; it carries test traffic, not production traffic.
 */
final class FaultProxy implements AutoCloseable
{
    private static final int CHUNK = 64 * 1024;

    private final String name;
    private volatile InetSocketAddress target;
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean holdUp;
    private volatile boolean holdDown;
    private volatile boolean isolated;
    private volatile long delayMs;
    private volatile boolean isClosed;

    FaultProxy(final String name, final InetSocketAddress target) throws IOException
    {
        this.name = name;
        this.target = target;
        this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "jmirror-proxy-" + name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port()
    {
        return server.getLocalPort();
    }

    private void accept()
    {
        while (!isClosed)
        {
            try
            {
                final Socket downstream = server.accept();
                if (isolated)
                {
                    CloseHelper.quietClose(downstream);
                    continue;
                }
                final Socket upstream;
                try
                {
                    final InetSocketAddress to = target;
                    upstream = new Socket(to.getAddress(), to.getPort());
                }
                catch (final IOException ex)
                {
                    CloseHelper.quietClose(downstream);
                    continue;
                }
                downstream.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(downstream);
                sockets.add(upstream);
                start(downstream, upstream, true);
                start(upstream, downstream, false);
            }
            catch (final IOException ex)
            {
                if (!isClosed)
                {
                    sleep(10);
                }
            }
        }
    }

    private void start(final Socket from, final Socket to, final boolean up)
    {
        final Thread thread = new Thread(() -> copy(from, to, up), "jmirror-proxy-" + name + (up ? "-up" : "-down"));
        thread.setDaemon(true);
        thread.start();
    }

    private void copy(final Socket from, final Socket to, final boolean up)
    {
        final byte[] chunk = new byte[CHUNK];
        try
        {
            final InputStream in = from.getInputStream();
            final OutputStream out = to.getOutputStream();
            int read;
            while ((read = in.read(chunk)) >= 0)
            {
                while ((up ? holdUp : holdDown) && !from.isClosed())
                {
                    sleep(5);
                }
                final long delay = delayMs;
                if (delay > 0)
                {
                    sleep(delay);
                }
                out.write(chunk, 0, read);
            }
        }
        catch (final IOException ignore)
        {
            // one side closed or the link was dropped: close both below
        }
        finally
        {
            CloseHelper.quietClose(from);
            CloseHelper.quietClose(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    /**
     * Close every open connection; new ones are accepted.
     *
     * @return connections closed.
     */
    int drop()
    {
        int dropped = 0;
        for (final Socket socket : sockets)
        {
            CloseHelper.quietClose(socket);
            dropped++;
        }
        return dropped / 2;
    }

    void blackhole(final boolean on)
    {
        holdUp = on;
        holdDown = on;
    }

    /**
     * @param up   hold the bytes going to the target.
     * @param down hold the bytes coming back.
     */
    void hold(final boolean up, final boolean down)
    {
        holdUp = up;
        holdDown = down;
    }

    /**
     * A partition: while on, every connection is dropped and new ones are closed as soon as accepted.
     */
    void isolate(final boolean on)
    {
        isolated = on;
        if (on)
        {
            drop();
        }
    }

    /**
     * Send new connections to another address: the node behind the proxy restarted on a new port.
     */
    void target(final InetSocketAddress newTarget)
    {
        target = newTarget;
    }

    void delayMs(final long delay)
    {
        delayMs = delay;
    }

    private static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close()
    {
        isClosed = true;
        holdUp = false;
        holdDown = false;
        CloseHelper.quietClose(server);
        drop();
        try
        {
            acceptor.join(1000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
