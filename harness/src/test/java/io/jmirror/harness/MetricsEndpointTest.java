package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.mirror.Member;
import io.jmirror.mirror.MemberContext;
import io.jmirror.mirror.MemberMeterBinder;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.PrimaryMeterBinder;
import io.jmirror.shipper.ReceiverContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A node's meters scraped as Prometheus text over HTTP on 127.0.0.1, while a primary replicates to a backup: the
 * transfer rates (raw and compressed), the lag in bytes and in ms on the primary, the apply rate and lag on the
 * member.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MetricsEndpointTest
{
    private static final long WAIT_MS = 30_000;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aScrapeFindsTheLagAndRateSeriesWhileReplicating() throws Exception
    {
        final Path memberDir = dir.resolve("backup");
        final AtomicBoolean writing = new AtomicBoolean(true);
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(4 * 1024 * 1024).mirrorName("S").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("backup", MemberRole.BACKUP))
                .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
            Member member = Member.start(new MemberContext().target(new StoreTarget(new GlobalStore())).workers(2)
                .receiverContext(new ReceiverContext().memberName("backup").role(MemberRole.BACKUP).mirrorName("S")
                    .primaryAddress(primary.address()).insecure(true)
                    .journalContext(new JournalContext().journalDir(memberDir).mirrorName("S")
                        .syncPolicy(SyncPolicy.NONE))));
            MetricsEndpoint primaryMetrics = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0),
                new PrimaryMeterBinder(primary));
            MetricsEndpoint memberMetrics = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0),
                new MemberMeterBinder(member)))
        {
            assertTrue(primaryMetrics.address().getAddress().isLoopbackAddress());
            final Thread writer = new Thread(() -> write(journal, writing), "test-writer");
            writer.start();
            try
            {
                final Map<String, Double> atPrimary = awaitScrape(primaryMetrics, (series) ->
                    value(series, "jmirror_member_transfer_rate{bytes=\"raw\",member=\"backup\"}") > 0 &&
                    value(series, "jmirror_member_transfer_rate{bytes=\"sent\",member=\"backup\"}") > 0 &&
                    value(series, "jmirror_member_lag_ms{member=\"backup\"}") >= 0);
                final double raw = value(atPrimary, "jmirror_member_transfer_rate{bytes=\"raw\",member=\"backup\"}");
                final double sent = value(atPrimary,
                    "jmirror_member_transfer_rate{bytes=\"sent\",member=\"backup\"}");
                assertTrue(raw < 1e9 && sent < 1e9, "a test writer on a small machine ships below 1 GB/s: " +
                    atPrimary);
                final double lagBytes = value(atPrimary, "jmirror_member_lag_bytes{member=\"backup\"}");
                assertTrue(lagBytes >= 0 && lagBytes <= journal.tailLsn(), "lag bytes " + lagBytes);
                assertTrue(value(atPrimary, "jmirror_member_lag_ms{member=\"backup\"}") < WAIT_MS,
                    atPrimary.toString());
                assertEquals(1, value(atPrimary, "jmirror_member_up{member=\"backup\"}"));
                assertEquals(0, value(atPrimary, "jmirror_member_up{member=\"dr-1\"}"), "a DOWN member is listed");
                assertTrue(value(atPrimary, "jmirror_member_transfer_bytes_total{bytes=\"raw\",member=\"backup\"}")
                    > 0, atPrimary.toString());

                final Map<String, Double> atMember = awaitScrape(memberMetrics, (series) ->
                    value(series, "jmirror_dejournal_apply_rate{member=\"backup\"}") > 0);
                assertTrue(value(atMember, "jmirror_dejournal_lag_bytes{member=\"backup\"}") >= 0,
                    atMember.toString());
                assertTrue(value(atMember, "jmirror_dejournal_lag_ms{member=\"backup\"}") >= 0, atMember.toString());
                assertTrue(value(atMember, "jmirror_receiver_bytes_total{member=\"backup\"}") > 0,
                    atMember.toString());
                assertNotNull(atMember.get("jmirror_dejournal_worker_queue_depth{member=\"backup\",worker=\"1\"}"),
                    atMember.toString());
            }
            finally
            {
                writing.set(false);
                writer.join(TimeUnit.SECONDS.toMillis(10));
            }
            final long end = journal.tailLsn();
            final Map<String, Double> caughtUp = awaitScrape(memberMetrics, (series) ->
                value(series, "jmirror_dejournal_applied_lsn{member=\"backup\"}") == end);
            assertEquals(0, value(caughtUp, "jmirror_dejournal_lag_bytes{member=\"backup\"}"));
            assertTrue(primaryMetrics.scrapes() > 0 && memberMetrics.scrapes() > 0);
            assertEquals(0, primaryMetrics.errors() + memberMetrics.errors());
        }
    }

    @Test
    void aFailoverNodesMetersFollowItsRole() throws Exception
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(1024 * 1024).mirrorName("S").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("backup", MemberRole.BACKUP))))
        {
            final AtomicReference<Primary> current = new AtomicReference<>();
            try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0),
                () -> MetricsEndpoint.parts(current.get()), MetricsEndpoint::bindersOf))
            {
                assertNull(scrape(endpoint).get("jmirror_primary_epoch"), "no primary yet: no primary series");
                current.set(primary);
                final Map<String, Double> asPrimary = scrape(endpoint);
                assertEquals(primary.epoch(), value(asPrimary, "jmirror_primary_epoch"));
                assertEquals(0, value(asPrimary, "jmirror_member_up{member=\"backup\"}"));
                current.set(null);
                assertNull(scrape(endpoint).get("jmirror_primary_epoch"), "the series went with the role");
            }
        }
    }

    @Test
    void onlyMetricsIsServed() throws Exception
    {
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0)))
        {
            final HttpResponse<String> other = get(endpoint, "/other");
            assertEquals(404, other.statusCode());
            final HttpResponse<String> metrics = get(endpoint, MetricsEndpoint.PATH);
            assertEquals(200, metrics.statusCode());
            assertEquals(MetricsEndpoint.CONTENT_TYPE, metrics.headers().firstValue("Content-Type").orElse(null));
        }
    }

    @Test
    void aScrapeIsAnsweredWhileAnotherPathIsStillBeingRead() throws Exception
    {
        final CountDownLatch reading = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0)))
        {
            endpoint.handle("/slow", (exchange) ->
            {
                reading.countDown();
                try
                {
                    // A long store read: it ends only when the test lets it.
                    release.await(60, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            final CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.address().getPort() + "/slow"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(reading.await(30, TimeUnit.SECONDS), "the slow read started");
            try
            {
                final HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(endpoint.url()))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, metrics.statusCode(), "the scrape did not wait for the slow read");
            }
            finally
            {
                release.countDown();
            }
            assertEquals(204, slow.get(30, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void theNodeCommandsAndTheArbiterTakeTheMetricsOptionsAndListenOnLoopbackByDefault()
    {
        for (final Object node : new Object[] {new PrimaryNode(), new MemberNode(), new FailoverNode(),
            new ArbiterCommand(), new ClusterArbiterNode()})
        {
            final CommandLine commandLine = new CommandLine(node);
            commandLine.parseArgs(requiredOptions(node, "--metrics-port", "0"));
            final MetricsOptions options = commandLine.getCommandSpec().mixins().values().stream()
                .map((mixin) -> mixin.userObject()).filter(MetricsOptions.class::isInstance)
                .map(MetricsOptions.class::cast).findFirst().orElseThrow();
            assertEquals(0, options.port, node.getClass().getSimpleName());
            assertEquals("127.0.0.1", options.bind, node.getClass().getSimpleName());
        }
        final MetricsOptions none = new MetricsOptions();
        new CommandLine(none).parseArgs();
        assertNull(none.port, "not served unless asked for");
    }

    @Test
    void anArbiterProcessServesItsMetersAtTheMetricsPort() throws Exception
    {
        final Process process = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            JmirrorCli.class.getName(), "arbiter", "--dir", dir.toString(), "--insecure",
            "--member", "CLINIC:node-a", "--member", "CLINIC:node-b", "--metrics-port", "0")
            .redirectErrorStream(true).start();
        // Ends the process, so the read below ends, if it never says where its metrics are.
        java.util.concurrent.CompletableFuture.delayedExecutor(30, TimeUnit.SECONDS).execute(process::destroyForcibly);
        try
        {
            final java.io.BufferedReader out = new java.io.BufferedReader(
                new java.io.InputStreamReader(process.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            final java.util.regex.Pattern url = java.util.regex.Pattern.compile(
                "metrics endpoint listening: url=http://127\\.0\\.0\\.1:(\\d+)/metrics");
            final List<String> lines = new java.util.ArrayList<>();
            int port = -1;
            String line;
            while (port < 0 && null != (line = out.readLine()))
            {
                lines.add(line);
                final java.util.regex.Matcher matcher = url.matcher(line);
                if (matcher.find())
                {
                    port = Integer.parseInt(matcher.group(1));
                }
            }
            assertTrue(port > 0, "the arbiter never said where its metrics are: " + lines);
            final URI uri = URI.create("http://127.0.0.1:" + port + MetricsEndpoint.PATH);
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertTrue(response.body().contains("jmirror_arbiter_epoch{mirror=\"CLINIC\"}"), response.body());
            assertTrue(response.body().contains("jmirror_arbiter_grants_total 0"), response.body());
        }
        finally
        {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                fail("the arbiter did not stop on SIGTERM");
            }
        }
    }

    private static String[] requiredOptions(final Object node, final String... extra)
    {
        final List<String> args = new java.util.ArrayList<>(List.of("--dir", "x"));
        if (node instanceof MemberNode)
        {
            args.addAll(List.of("--name", "m", "--primary-port", "1"));
        }
        if (node instanceof ArbiterCommand)
        {
            args.addAll(List.of("--member", "M:a"));
        }
        if (node instanceof ClusterArbiterNode)
        {
            args.addAll(List.of("--member", "a"));
        }
        if (node instanceof FailoverNode)
        {
            args.addAll(List.of("--name", "m", "--member", "m:1", "--arbiter-port", "2"));
        }
        args.addAll(List.of(extra));
        return args.toArray(new String[0]);
    }

    private static void write(final Journal journal, final AtomicBoolean writing)
    {
        final JournalAppender appender = journal.newAppender();
        final byte[] value = new byte[100];
        for (int i = 0; writing.get(); i++)
        {
            appender.set(0, GlobalName.of("DB", "G" + (i % 7)), SubscriptKey.of(i % 10_000), value);
            if (0 == i % 200)
            {
                try
                {
                    Thread.sleep(2); // about 100,000 records/s at most: a steady stream, not a flood
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
        }
    }

    private Map<String, Double> awaitScrape(final MetricsEndpoint endpoint, final Predicate<Map<String, Double>> done)
        throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        Map<String, Double> series = scrape(endpoint);
        while (!done.test(series))
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out; last scrape: " + series);
            }
            Thread.sleep(100);
            series = scrape(endpoint);
        }
        return series;
    }

    /**
     * @return every sample of a scrape, by its series (name and labels as Prometheus prints them).
     */
    private Map<String, Double> scrape(final MetricsEndpoint endpoint) throws IOException, InterruptedException
    {
        final HttpResponse<String> response = get(endpoint, MetricsEndpoint.PATH);
        assertEquals(200, response.statusCode(), response.body());
        final Map<String, Double> series = new LinkedHashMap<>();
        for (final String line : response.body().split("\n"))
        {
            if (line.isBlank() || line.startsWith("#"))
            {
                continue;
            }
            final int space = line.lastIndexOf(' ');
            series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        assertFalse(series.isEmpty() && !response.body().isEmpty(), "unparsed: " + response.body());
        return series;
    }

    private HttpResponse<String> get(final MetricsEndpoint endpoint, final String path)
        throws IOException, InterruptedException
    {
        final URI uri = URI.create("http://127.0.0.1:" + endpoint.address().getPort() + path);
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static double value(final Map<String, Double> series, final String name)
    {
        final Double value = series.get(name);
        return null == value ? Double.NaN : value;
    }
}
