package io.jmirror.harness;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.jmirror.mirror.Member;
import io.jmirror.mirror.MemberMeterBinder;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryMeterBinder;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's meters as Prometheus text over HTTP ({@code GET /metrics}), for the monitoring an operator already runs.
 * The meters are jmirror's Micrometer binders in a Prometheus registry. A failover node changes role, and with it
 * what it has to show (a primary's members, or its own receiving and applying): the endpoint asks for the binders
 * again whenever the node's parts change, and binds them into a fresh registry. Two threads serve requests, so a
 * long read of another path on the same port ({@link #handle}, a data check reading a store) does not hold up a
 * scrape; scrapes themselves take turns.
 */
final class MetricsEndpoint implements AutoCloseable
{
    /** Prometheus text exposition format 0.0.4. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String PATH = "/metrics";
    /** Threads that serve requests: a scrape and one long read of another path at the same time. */
    static final int SERVING_THREADS = 2;
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final Supplier<List<?>> parts;
    private final Function<List<?>, List<MeterBinder>> binders;
    private final AtomicBoolean isClosed = new AtomicBoolean();
    private List<?> boundParts;
    private PrometheusMeterRegistry registry;
    private long scrapes;
    private long errors;

    private MetricsEndpoint(final HttpServer server, final Supplier<List<?>> parts,
        final Function<List<?>, List<MeterBinder>> binders)
    {
        this.server = server;
        this.parts = parts;
        this.binders = binders;
        final AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(SERVING_THREADS, (runnable) ->
        {
            final Thread thread = new Thread(runnable, "jmirror-metrics-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.createContext(PATH, this::serve);
        server.setExecutor(executor);
    }

    /**
     * Serve binders that do not change.
     *
     * @param address where to listen (port 0 picks a free one).
     * @param binders the node's meters.
     * @return the running endpoint.
     */
    static MetricsEndpoint start(final InetSocketAddress address, final MeterBinder... binders) throws IOException
    {
        final List<MeterBinder> fixed = List.of(binders);
        return start(address, List::of, (parts) -> fixed);
    }

    /**
     * Serve binders that follow the node's parts.
     *
     * @param address where to listen (port 0 picks a free one).
     * @param parts   the node's current parts (its primary, its member; null while absent), compared by identity.
     * @param binders the meters of the given parts, asked for again when the parts change.
     * @return the running endpoint.
     */
    static MetricsEndpoint start(final InetSocketAddress address, final Supplier<List<?>> parts,
        final Function<List<?>, List<MeterBinder>> binders) throws IOException
    {
        final HttpServer server = HttpServer.create(address, 0);
        final MetricsEndpoint endpoint = new MetricsEndpoint(server, parts, binders);
        server.start();
        LOG.info("metrics endpoint listening: url={}", endpoint.url());
        if (!address.getAddress().isLoopbackAddress())
        {
            LOG.warn("metrics endpoint is not on loopback: address={}", address);
        }
        return endpoint;
    }

    /**
     * @param bind the address a {@code --metrics-bind} option gave.
     * @param port the port a {@code --metrics-port} option gave.
     * @return where to listen.
     */
    static InetSocketAddress address(final String bind, final int port) throws IOException
    {
        return new InetSocketAddress(InetAddress.getByName(bind), port);
    }

    /**
     * Serve more than the meters on the same port: {@code handler} answers every request under {@code path}, on the
     * endpoint's threads, at the same time as a scrape; it must be safe to call from two threads at once.
     */
    void handle(final String path, final HttpHandler handler)
    {
        server.createContext(path, handler);
    }

    /**
     * @return the URL a scraper reads.
     */
    String url()
    {
        return "http://" + address().getAddress().getHostAddress() + ":" + address().getPort() + PATH;
    }

    /**
     * @return where it listens.
     */
    InetSocketAddress address()
    {
        return server.getAddress();
    }

    /**
     * @return the text a scrape returns now: the current parts' meters, bound afresh if the parts changed.
     */
    synchronized String scrape()
    {
        final List<?> current = parts.get();
        if (null == registry || !sameParts(current, boundParts))
        {
            final PrometheusMeterRegistry fresh = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            for (final MeterBinder binder : binders.apply(current))
            {
                binder.bindTo(fresh);
            }
            if (null != registry)
            {
                registry.close();
            }
            registry = fresh;
            boundParts = current;
        }
        scrapes++;
        return registry.scrape();
    }

    private static boolean sameParts(final List<?> current, final List<?> bound)
    {
        if (current.size() != bound.size())
        {
            return false;
        }
        for (int i = 0; i < current.size(); i++)
        {
            if (current.get(i) != bound.get(i))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return a list of parts that may hold nulls, for {@link #start(InetSocketAddress, Supplier, Function)}.
     */
    static List<?> parts(final Object... parts)
    {
        return Arrays.asList(parts);
    }

    /**
     * @return the meters of a node's parts: a primary's, a member's; nulls (parts not running) show nothing.
     */
    static List<MeterBinder> bindersOf(final List<?> parts)
    {
        final List<MeterBinder> binders = new ArrayList<>();
        for (final Object part : parts)
        {
            if (part instanceof Primary)
            {
                binders.add(new PrimaryMeterBinder((Primary)part));
            }
            else if (part instanceof Member)
            {
                binders.add(new MemberMeterBinder((Member)part));
            }
            else if (null != part)
            {
                throw new IllegalArgumentException("no meters for a part of type " + part.getClass().getName());
            }
        }
        return binders;
    }

    private void serve(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            if (!"GET".equals(exchange.getRequestMethod()) || !PATH.equals(exchange.getRequestURI().getPath()))
            {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            final byte[] body;
            try
            {
                body = scrape().getBytes(StandardCharsets.UTF_8);
            }
            catch (final RuntimeException | LinkageError ex) // a binder's bug or a missing class: say so, serve on
            {
                countError();
                LOG.error("metrics scrape failed: url={}", exchange.getRequestURI(), ex);
                final byte[] message = ("scrape failed: " + ex + "\n").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(500, message.length);
                exchange.getResponseBody().write(message);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(body);
            }
        }
    }

    private synchronized void countError()
    {
        errors++;
    }

    /**
     * @return scrapes served.
     */
    synchronized long scrapes()
    {
        return scrapes;
    }

    /**
     * @return scrapes that failed (answered 500 and logged).
     */
    synchronized long errors()
    {
        return errors;
    }

    /**
     * Stop serving; a scrape in progress gets up to a second to finish. Safe to call twice.
     */
    @Override
    public void close()
    {
        if (!isClosed.compareAndSet(false, true))
        {
            return;
        }
        server.stop(1);
        executor.shutdownNow();
        try
        {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS))
            {
                LOG.warn("metrics endpoint thread did not stop in 5 s");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        synchronized (this)
        {
            if (null != registry)
            {
                registry.close();
            }
        }
    }
}
