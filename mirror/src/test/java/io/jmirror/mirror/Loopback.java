package io.jmirror.mirror;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the mirror's system tests share: free ports on 127.0.0.1 for their nodes, and bounded waits.
 */
final class Loopback
{
    private static final long WAIT_SECONDS = 30;

    private Loopback()
    {
    }

    /**
     * @return an address on 127.0.0.1 whose port was free a moment ago.
     */
    static InetSocketAddress freeAddress()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return new InetSocketAddress("127.0.0.1", socket.getLocalPort());
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Polls {@code condition} every 10 ms for up to 30 s, failing the test with {@code what} when it never holds.
     */
    static void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
