package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The link faults, over an echo server on 127.0.0.1.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FaultProxyTest
{
    private ServerSocket echo;
    private FaultProxy proxy;

    @BeforeEach
    void start() throws IOException
    {
        echo = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        final Thread server = new Thread(() ->
        {
            while (!echo.isClosed())
            {
                try
                {
                    final Socket socket = echo.accept();
                    final Thread copier = new Thread(() ->
                    {
                        try (socket)
                        {
                            socket.getInputStream().transferTo(socket.getOutputStream());
                        }
                        catch (final IOException ignore)
                        {
                            // closed
                        }
                    });
                    copier.setDaemon(true);
                    copier.start();
                }
                catch (final IOException ex)
                {
                    return;
                }
            }
        });
        server.setDaemon(true);
        server.start();
        proxy = new FaultProxy("test", new InetSocketAddress("127.0.0.1", echo.getLocalPort()));
    }

    @AfterEach
    void stop() throws IOException
    {
        proxy.close();
        echo.close();
    }

    @Test
    void bytesPassAndABlackholeHoldsThemUntilLifted() throws IOException
    {
        try (Socket socket = connect())
        {
            assertEquals("one", roundTrip(socket, "one"));
            proxy.blackhole(true);
            socket.getOutputStream().write("two".getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, () -> socket.getInputStream().read());
            proxy.blackhole(false);
            socket.setSoTimeout(5000);
            assertArrayEquals("two".getBytes(StandardCharsets.US_ASCII), socket.getInputStream().readNBytes(3));
        }
    }

    @Test
    void aDelayHoldsEachChunk() throws IOException
    {
        try (Socket socket = connect())
        {
            proxy.delayMs(150);
            final long start = System.nanoTime();
            assertEquals("late", roundTrip(socket, "late"));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(290), "held both ways");
        }
    }

    @Test
    void aDropClosesTheConnectionAndNewOnesAreAccepted() throws IOException
    {
        try (Socket socket = connect())
        {
            assertEquals("a", roundTrip(socket, "a"));
            assertEquals(1, proxy.drop());
            socket.setSoTimeout(5000);
            final InputStream in = socket.getInputStream();
            int read;
            try
            {
                read = in.read();
            }
            catch (final IOException ex)
            {
                read = -1; // reset: closed as well
            }
            assertEquals(-1, read);
        }
        try (Socket again = connect())
        {
            assertEquals("b", roundTrip(again, "b"));
        }
    }

    @Test
    void aOneWayHoldStopsOneDirectionOnly() throws Exception
    {
        try (ServerSocket sink = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            FaultProxy oneWay = new FaultProxy("one-way", new InetSocketAddress("127.0.0.1", sink.getLocalPort()));
            Socket client = new Socket(InetAddress.getLoopbackAddress(), oneWay.port());
            Socket server = sink.accept())
        {
            client.setSoTimeout(300);
            server.setSoTimeout(300);
            oneWay.hold(true, false);
            client.getOutputStream().write('u');
            assertThrows(SocketTimeoutException.class, () -> server.getInputStream().read(), "up held");
            server.getOutputStream().write('d');
            assertEquals('d', client.getInputStream().read(), "down passes");
            oneWay.hold(false, true);
            assertEquals('u', server.getInputStream().read(), "up released");
            server.getOutputStream().write('e');
            assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read(), "down held");
            client.getOutputStream().write('v');
            assertEquals('v', server.getInputStream().read(), "up passes");
            oneWay.hold(false, false);
            client.setSoTimeout(5000);
            assertEquals('e', client.getInputStream().read(), "down released");
        }
    }

    @Test
    void anIsolatedLinkDropsItsConnectionsAndRefusesNewOnesUntilHealed() throws IOException
    {
        try (Socket socket = connect())
        {
            assertEquals("a", roundTrip(socket, "a"));
            proxy.isolate(true);
            assertEquals(-1, readOrEnd(socket));
        }
        try (Socket refused = connect())
        {
            assertEquals(-1, readOrEnd(refused), "closed as soon as accepted");
        }
        proxy.isolate(false);
        try (Socket again = connect())
        {
            assertEquals("b", roundTrip(again, "b"));
        }
    }

    @Test
    void aNewTargetTakesNewConnections() throws IOException
    {
        try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            proxy.target(new InetSocketAddress("127.0.0.1", other.getLocalPort()));
            try (Socket client = connect(); Socket server = other.accept())
            {
                client.getOutputStream().write('t');
                server.setSoTimeout(5000);
                assertEquals('t', server.getInputStream().read());
            }
        }
    }

    private static int readOrEnd(final Socket socket)
    {
        try
        {
            return socket.getInputStream().read();
        }
        catch (final IOException ex)
        {
            return -1; // reset: closed as well
        }
    }

    private Socket connect() throws IOException
    {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        socket.setSoTimeout(5000);
        return socket;
    }

    private static String roundTrip(final Socket socket, final String text) throws IOException
    {
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        socket.getOutputStream().write(bytes);
        return new String(socket.getInputStream().readNBytes(bytes.length), StandardCharsets.US_ASCII);
    }
}
