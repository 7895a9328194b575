package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.StoreReader;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running node's store read by {@code jmirror check http://127.0.0.1:PORT}: stores served in this process, each
 * with a position the test moves, so that the rule "one applied LSN, nothing in flight, nothing moved" is exercised
 * without a cluster ({@code LiveCheckSystemTest} runs one).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StoreEndpointTest
{
    private static final Object SOURCE = new Object();

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws InterruptedException
    {
        // in parallel: an HTTP server on this JDK takes its whole stop delay (1 s) to stop
        final List<Thread> closers = new ArrayList<>();
        for (final AutoCloseable closeable : closeables)
        {
            if (closeable instanceof MetricsEndpoint)
            {
                final Thread closer = new Thread(() -> CloseHelper.quietClose(closeable), "test-endpoint-close");
                closer.start();
                closers.add(closer);
            }
        }
        for (final Thread closer : closers)
        {
            closer.join();
        }
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(closeables.get(i));
        }
    }

    @Test
    void twoNodesAtTheSameAppliedLsnAreEqualAndADamagedOneNamesTheRange() throws IOException
    {
        final String left = serve(store(0), () -> settled(100));
        final String same = serve(store(0), () -> settled(100));
        final String damaged = serve(store(7), () -> settled(100));

        final String equal = CheckCommandTest.check(0, left, same);
        assertTrue(equal.contains("check: " + left + " vs " + same + ", both at applied LSN 100"), equal);
        assertTrue(equal.trim().endsWith("EQUAL"), equal);

        final String different = CheckCommandTest.check(1, left, damaged);
        assertTrue(different.contains("differs: DB ^G2 from (7) to (7): 1 nodes (0 only left, 0 only right, 1 "
            + "different values)"), different);
        assertTrue(different.contains("differs: DB ^G3 from (1000) to (1004): 5 nodes (0 only left, 5 only right, "
            + "0 different values)"), different);
        assertTrue(different.trim().endsWith("DIFFERENT globals=2"), different);
    }

    @Test
    void aNodeWithRecordsInFlightIsBusyAndTheCheckWaitsThenGivesUpNamingTheSide() throws IOException
    {
        final String left = serve(store(0), () -> settled(100));
        final String inFlight = serve(store(0), () -> new LiveStore.Position(100, 164, SOURCE));
        final String text = CheckCommandTest.check(2, left, inFlight, "--wait", "300ms");
        assertTrue(text.contains("right side " + inFlight + ": not at one applied LSN (busy applied=100 end=164)"),
            text);
    }

    @Test
    void twoNodesAtDifferentLsnsAreComparedOnceTheyMeet() throws IOException
    {
        // settled at 64 for two digests reads (two readings each), then at 100
        final AtomicInteger readings = new AtomicInteger();
        final String left = serve(store(0), () -> settled(100));
        final String right = serve(store(0), () -> settled(readings.getAndIncrement() < 4 ? 64 : 100));
        final String text = CheckCommandTest.check(0, left, right, "--wait", "30s");
        assertTrue(text.contains("both at applied LSN 100"), text);

        final String never = serve(store(0), () -> settled(64));
        final String refused = CheckCommandTest.check(2, left, never, "--wait", "300ms");
        assertTrue(refused.contains("the nodes are at different applied LSNs: left=100 right=64"), refused);
    }

    @Test
    void aNodeThatMovesWhileItsNodesAreReadIsReadAgain() throws IOException
    {
        // Position readings: 2 for the digests at 100, then the range read finds 200; from then on it stays at 200.
        final AtomicInteger readings = new AtomicInteger();
        final String left = serve(store(0), () -> settled(readings.get() < 2 ? 100 : 200));
        final String right = serve(store(7), () -> settled(readings.getAndIncrement() < 2 ? 100 : 200));
        final String text = CheckCommandTest.check(1, left, right, "--wait", "30s");
        assertTrue(text.contains("both at applied LSN 200"), text);
        assertFalse(text.contains("both at applied LSN 100"), text);
    }

    @Test
    void theEndpointAnswersBusyWhenTheNodeMovedDuringARead() throws IOException
    {
        final AtomicLong applied = new AtomicLong(100);
        final String url = serve(store(0), () -> settled(applied.getAndAdd(8)));
        final HttpStoreReader reader = new HttpStoreReader("left", HttpStoreReader.parse("left", url));
        final HttpStoreReader.Busy busy = assertThrows(HttpStoreReader.Busy.class, reader::snapshot);
        assertTrue(busy.getMessage().contains("busy applied=108 end=108"), busy.getMessage());
    }

    @Test
    void aLiveNodeIsComparedWithAJournalReplayedToItsAppliedLsnAndReadsValues() throws IOException
    {
        final Path journalDir = dir.resolve("journal");
        final long end = write(journalDir);
        final GlobalStore memory = new GlobalStore();
        final long lsn = replayInto(journalDir, memory);
        assertEquals(end, lsn);
        final String url = serve(memory, () -> settled(end));
        final String text = CheckCommandTest.check(0, "journal:" + journalDir, url);
        assertTrue(text.contains("check: " + url + " (applied LSN " + end + ") vs journal:" + journalDir +
            " replayed to LSN " + end), text);
        assertTrue(text.trim().endsWith("EQUAL"), text);

        final HttpStoreReader reader = new HttpStoreReader("left", HttpStoreReader.parse("left", url + "/metrics"));
        reader.snapshot();
        assertEquals(end, reader.appliedLsn());
        assertArrayEquals(memory.get("DB", "G1", SubscriptKey.of(6)), reader.get("DB", "G1", SubscriptKey.of(6)));
        assertNull(reader.get("DB", "G1", SubscriptKey.of(7)), "^G1(7) has no value (7 % 5 = 2)");
    }

    @Test
    void aRocksDbBackedNodeIsReadAtTheAppliedLsnItServesNotAtItsCheckpoint() throws IOException
    {
        final Path journalDir = dir.resolve("journal");
        final long end = write(journalDir);
        final RocksDbTarget target = RocksDbTarget.open(dir.resolve("store"));
        closeables.add(target);
        replayInto(journalDir, target);
        target.checkpoint(8); // far behind: a read-only open would be at 8
        final String url = serve(target, () -> settled(end));
        final String text = CheckCommandTest.check(0, url, serve(store(0), () -> settled(end)));
        assertTrue(text.contains("both at applied LSN " + end), text);
        assertTrue(text.trim().endsWith("EQUAL"), text);
    }

    @Test
    void aBadUrlARefusedConnectionAndAnAnswerThatIsNotJmirrorsAreNamedWithTheirSide() throws IOException
    {
        final String left = serve(store(0), () -> settled(100));

        final String notLoopback = CheckCommandTest.check(2, left, "http://192.0.2.1:9400");
        assertTrue(notLoopback.contains("jmirror check: right side http://192.0.2.1:9400: not a loopback address"),
            notLoopback);
        final String noPort = CheckCommandTest.check(2, "http://127.0.0.1", left);
        assertTrue(noPort.contains("left side http://127.0.0.1: expected http://127.0.0.1:PORT"), noPort);
        final String otherPath = CheckCommandTest.check(2, left, "http://127.0.0.1:9400/store/x");
        assertTrue(otherPath.contains("right side http://127.0.0.1:9400/store/x: expected http://127.0.0.1:PORT"),
            otherPath);
        final String https = CheckCommandTest.check(2, left, "https://127.0.0.1:9400");
        assertTrue(https.contains("right side https://127.0.0.1:9400: expected http://127.0.0.1:PORT"), https);

        final int closedPort = closedPort();
        final String refused = CheckCommandTest.check(2, left, "http://127.0.0.1:" + closedPort);
        assertTrue(refused.contains("right side http://127.0.0.1:" + closedPort + ": cannot connect"), refused);
        assertTrue(refused.contains("--metrics-port " + closedPort), refused);

        // a node that serves metrics only (its endpoint not on loopback, or an older jmirror): 404 on /store/
        final MetricsEndpoint metricsOnly = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(metricsOnly);
        final String notServed = CheckCommandTest.check(2, StoreEndpoint.url(metricsOnly), left);
        assertTrue(notServed.contains("left side " + StoreEndpoint.url(metricsOnly) + ": not a jmirror node's store "
            + "endpoint (HTTP 404)"), notServed);

        // something else that answers 200
        final HttpServer other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/", (exchange) ->
        {
            final byte[] body = "<html>hello</html>\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        other.start();
        closeables.add(() -> other.stop(0));
        final String url = "http://127.0.0.1:" + other.getAddress().getPort();
        final String html = CheckCommandTest.check(2, left, url);
        assertTrue(html.contains("right side " + url + ": not a jmirror node's store endpoint (HTTP 200, first "
            + "line: <html>hello</html>)"), html);
    }

    @Test
    void theStoreIsServedOnLoopbackOnly() throws IOException
    {
        final MetricsEndpoint loopback = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(loopback);
        assertTrue(StoreEndpoint.serve(loopback, new LiveStore(store(0), () -> settled(1))));
        assertFalse(StoreEndpoint.serve(null, new LiveStore(store(0), () -> settled(1))), "no metrics port");
        final MetricsEndpoint anyAddress = MetricsEndpoint.start(new InetSocketAddress("0.0.0.0", 0));
        closeables.add(anyAddress);
        assertFalse(StoreEndpoint.serve(anyAddress, new LiveStore(store(0), () -> settled(1))));
    }

    @Test
    void aSettledPositionHasNothingInFlight()
    {
        assertTrue(settled(5).isSettled());
        assertFalse(new LiveStore.Position(5, 6, SOURCE).isSettled(), "a record on its way to the store");
        assertFalse(LiveStore.Position.NONE.isSettled(), "not applying");
        assertFalse(settled(5).isSameAs(new LiveStore.Position(5, 5, new Object())), "another member, same LSN");
        assertEquals(LiveStore.Position.NONE, LiveStore.of(null));
    }

    private static LiveStore.Position settled(final long lsn)
    {
        return new LiveStore.Position(lsn, lsn, SOURCE);
    }

    /**
     * @return the base URL of the store served at its own endpoint.
     */
    private String serve(final StoreReader reader, final Supplier<LiveStore.Position> position) throws IOException
    {
        final MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(endpoint);
        assertTrue(StoreEndpoint.serve(endpoint, new LiveStore(reader, position)));
        return StoreEndpoint.url(endpoint);
    }

    /**
     * @param damage 0 for the store of {@link #write}, else a key of ^G2 whose value differs, plus ^G3(1000..1004).
     */
    private static GlobalStore store(final int damage)
    {
        final GlobalStore store = new GlobalStore();
        for (int i = 0; i < 500; i++)
        {
            final byte[] value = new byte[16];
            value[0] = (byte)(i == damage && damage != 0 ? 1 : 0);
            store.set("DB", "G" + (i % 5), SubscriptKey.of(i), value);
        }
        if (damage != 0)
        {
            for (int i = 1000; i < 1005; i++)
            {
                store.set("DB", "G3", SubscriptKey.of(i), new byte[16]);
            }
        }
        return store;
    }

    /**
     * Journal the records of {@link #store(int)}'s undamaged store.
     *
     * @return the journal's end.
     */
    private static long write(final Path journalDir)
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(journalDir).fileLength(1024 * 1024)
            .mirrorName("C").syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = journal.newAppender();
            for (int i = 0; i < 500; i++)
            {
                appender.set(0, GlobalName.of("DB", "G" + (i % 5)), SubscriptKey.of(i), new byte[16]);
            }
            return journal.completeLsn();
        }
    }

    /**
     * @return the LSN replayed to: the journal's end.
     */
    private static long replayInto(final Path journalDir, final Object store)
    {
        try (Journal journal = Journal.openReadOnly(journalDir);
            JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) ->
            {
                if (store instanceof GlobalStore)
                {
                    ((GlobalStore)store).apply(record);
                }
                else
                {
                    ((RocksDbTarget)store).apply(record, 0);
                }
            }, 1000) > 0)
            {
                // drain
            }
            return journal.completeLsn();
        }
    }

    private static int closedPort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
