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
