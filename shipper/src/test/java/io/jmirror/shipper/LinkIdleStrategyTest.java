package io.jmirror.shipper;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jmirror.shipper.Await.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * An idle link agent blocks on its socket far longer than the tests wait, so every return here is a wake-up: a frame
 * arriving or {@link LinkIdleStrategy#wakeUp()}. The guard's answer is honoured: work waiting never blocks.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LinkIdleStrategyTest
{
    private static final long BLOCK_NS = TimeUnit.SECONDS.toNanos(20);

    private ServerSocketChannel server;
    private SocketChannel client;
    private SocketChannel accepted;
    private LinkIdleStrategy idle;

    @AfterEach
    void close() throws IOException
    {
        if (null != idle)
        {
            idle.close();
        }
        for (final AutoCloseable closeable : new AutoCloseable[] {client, accepted, server})
        {
            org.agrona.CloseHelper.quietClose(closeable);
        }
    }

    private void connect() throws IOException
    {
        server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        client = SocketChannel.open(server.getLocalAddress());
        accepted = server.accept();
        accepted.configureBlocking(false);
    }

    private static LinkIdleStrategy.BlockGuard guard(final int ops, final AtomicInteger afterBlocks)
    {
        return new LinkIdleStrategy.BlockGuard()
        {
            @Override
            public int beforeBlock()
            {
                return ops;
            }

            @Override
            public void afterBlock()
            {
                afterBlocks.incrementAndGet();
            }
        };
    }

    /** Connects, then has another thread block in one idle() on the accepted socket, counting its afterBlock calls. */
    private Thread blockOnAcceptedSocket(final AtomicInteger afterBlocks) throws IOException
    {
        connect();
        idle = new LinkIdleStrategy(0, 0, BLOCK_NS, TimeUnit.MICROSECONDS.toNanos(100));
        idle.guard(guard(SelectionKey.OP_READ, afterBlocks));
        idle.register(accepted);
        return idleOnce();
    }

    /** Runs one idle() on another thread; returns it so the test can wait for it to end. */
    private Thread idleOnce()
    {
        final Thread thread = new Thread(() -> idle.idle(0), "idle");
        thread.start();
        return thread;
    }

    @Test
    void aFrameArrivingWakesAnAgentBlockedOnItsSocket() throws Exception
    {
        final AtomicInteger afterBlocks = new AtomicInteger();
        final Thread thread = blockOnAcceptedSocket(afterBlocks);
        client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        thread.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(thread.isAlive(), "still blocked after the peer wrote");
        assertEquals(1, afterBlocks.get());
    }

    @Test
    void wakeUpFromAnotherThreadEndsABlock() throws Exception
    {
        final AtomicInteger afterBlocks = new AtomicInteger();
        final Thread thread = blockOnAcceptedSocket(afterBlocks);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.isAlive() && System.nanoTime() - deadline < 0)
        {
            idle.wakeUp(); // a wake-up before the thread blocks is a no-op, so repeat until it ends
            thread.join(1);
        }
        assertFalse(thread.isAlive(), "still blocked after wakeUp()");
    }

    @Test
    void wakeUpEndsAParkWhenThereIsNoSocket() throws Exception
    {
        idle = new LinkIdleStrategy(0, 0, BLOCK_NS, TimeUnit.SECONDS.toNanos(20));
        idle.guard(guard(LinkIdleStrategy.BlockGuard.PARK, new AtomicInteger()));
        final Thread thread = new Thread(() ->
        {
            for (int i = 0; i < 40; i++)
            {
                idle.idle(0); // the back-off grows to 20 s parks within these
            }
        }, "idle");
        thread.start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.isAlive() && System.nanoTime() - deadline < 0)
        {
            idle.wakeUp();
            thread.join(1);
        }
        assertFalse(thread.isAlive(), "parks were not ended by wakeUp()");
    }

    @Test
    void workWaitingNeverBlocks() throws Exception
    {
        connect();
        idle = new LinkIdleStrategy(0, 0, BLOCK_NS, TimeUnit.SECONDS.toNanos(20));
        final AtomicInteger afterBlocks = new AtomicInteger();
        idle.guard(guard(LinkIdleStrategy.BlockGuard.WORK_WAITING, afterBlocks));
        idle.register(accepted);
        final long start = System.nanoTime();
        for (int i = 0; i < 100; i++)
        {
            idle.idle(0);
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        assertEquals(100, afterBlocks.get(), "every block attempt disarms what it armed");
    }

    @Test
    void aClosedChannelIsReleasedWhenDeregistered() throws Exception
    {
        connect();
        idle = new LinkIdleStrategy(0, 0, BLOCK_NS, TimeUnit.MICROSECONDS.toNanos(100));
        idle.register(accepted);
        accepted.close();
        idle.deregister();
        client.configureBlocking(false);
        final ByteBuffer buffer = ByteBuffer.allocate(16);
        await(() ->
        {
            try
            {
                return client.read(buffer) < 0;
            }
            catch (final IOException ex)
            {
                return true;
            }
        }, 5_000, () -> "the peer never saw the close");
    }

    @Test
    void badTimesAreRefused()
    {
        assertThrows(ShipperException.class, () -> new LinkIdleStrategy(10, 5, BLOCK_NS, 1000));
        assertThrows(ShipperException.class, () -> new LinkIdleStrategy(0, 0, 0, 1000));
        assertThrows(ShipperException.class, () -> new LinkIdleStrategy(0, 0, BLOCK_NS, 10));
    }
}
