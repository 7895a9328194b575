package io.jmirror.harness;

import com.sun.net.httpserver.HttpExchange;
import io.jmirror.dejournal.GlobalDigest;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.SubscriptKey;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node's store over HTTP, on the node's metrics port, for {@code jmirror check http://127.0.0.1:PORT}
 * ({@link HttpStoreReader}): its per-global digests and the nodes of a global, each tied to one applied LSN.
 * <p>
 * The store is written by the node's workers while it is read, so every answer follows one rule: read where the node
 * stands ({@link LiveStore.Position}), read the store, read where it stands again. The answer holds only if the
 * applied LSN equals the end of the node's journal (nothing on its way to the store) and nothing moved meanwhile;
 * otherwise the node answers {@code busy} and the check asks again. A read of a global's nodes names the LSN the
 * digests were taken at, and is busy unless the node is still there. Answers are text, one item a line:
 * <pre>
 * GET /store/digests
 *     jmirror-store 1
 *     &#64;g DATABASE GLOBAL COUNT SUM XOR   one line per global that has nodes, as the control channel's digests
 *     ok lsn=LSN globals=N
 *
 * GET /store/nodes?database=D&amp;global=G&amp;lsn=LSN[&amp;prefix=KEY]
 *     jmirror-store 1
 *     n KEY VALUE                         the node's encoded subscripts and value, in collation order
 *     ok lsn=LSN nodes=N
 *
 * either ends instead with
 *     busy applied=A end=E                the store is not at one applied LSN (or not at LSN): ask again
 *     error TEXT                          the store cannot be read (HTTP 400 for a bad request)
 * </pre>
 * KEY and VALUE are base64url without padding, {@value #EMPTY} for no bytes (the root node's key). Served only on
 * a loopback address: it hands out the data itself.
 */
final class StoreEndpoint
{
    /** The first line of every answer: the protocol and its version. */
    static final String HEADER = "jmirror-store 1";
    static final String PATH = "/store/";
    static final String DIGESTS_PATH = PATH + "digests";
    static final String NODES_PATH = PATH + "nodes";
    /** Stands for no bytes, which base64 would write as nothing. */
    static final String EMPTY = ".";
    static final String CONTENT_TYPE = "text/plain; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(StoreEndpoint.class);

    private final LiveStore store;

    private StoreEndpoint(final LiveStore store)
    {
        this.store = store;
    }

    /**
     * Serve the store on the metrics endpoint's port, if the endpoint listens on loopback.
     *
     * @param endpoint the node's metrics endpoint, or null when it serves none.
     * @param store    the node's store.
     * @return whether the store is served.
     */
    static boolean serve(final MetricsEndpoint endpoint, final LiveStore store)
    {
        if (null == endpoint)
        {
            return false;
        }
        if (!endpoint.address().getAddress().isLoopbackAddress())
        {
            LOG.warn("store endpoint not served: the metrics endpoint is not on loopback: address={}",
                endpoint.address());
            return false;
        }
        final StoreEndpoint handler = new StoreEndpoint(store);
        endpoint.handle(PATH, handler::serve);
        return true;
    }

    /**
     * @return the base URL {@code jmirror check} takes for the store served at this endpoint.
     */
    static String url(final MetricsEndpoint endpoint)
    {
        return "http://" + endpoint.address().getAddress().getHostAddress() + ":" + endpoint.address().getPort();
    }

    private void serve(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            final String path = exchange.getRequestURI().getPath();
            if (!"GET".equals(exchange.getRequestMethod()) ||
                !(DIGESTS_PATH.equals(path) || NODES_PATH.equals(path)))
            {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            final Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            if (DIGESTS_PATH.equals(path))
            {
                exchange.sendResponseHeaders(200, 0);
                try (Writer out = writer(exchange))
                {
                    digests(out);
                }
                return;
            }
            final String database = query.get("database");
            final String global = query.get("global");
            final long lsn = parseLong(query.get("lsn"));
            final byte[] prefix = null == query.get("prefix") ? new byte[0] : decode(query.get("prefix"));
            if (null == database || null == global || lsn < 0 || null == prefix)
            {
                exchange.sendResponseHeaders(400, 0);
                try (Writer out = writer(exchange))
                {
                    out.write(HEADER + "\nerror bad request: expected database=D&global=G&lsn=LSN[&prefix=KEY]: " +
                        exchange.getRequestURI().getRawQuery() + "\n");
                }
                return;
            }
            exchange.sendResponseHeaders(200, 0);
            try (Writer out = writer(exchange))
            {
                nodes(database, global, new SubscriptKey().set(new UnsafeBuffer(prefix), 0, prefix.length), lsn, out);
            }
        }
        catch (final IOException | UncheckedIOException ex)
        {
            // the checker went away or gave up: nothing to answer
            LOG.debug("store request ended early: uri={} reason={}", exchange.getRequestURI(), ex.toString());
        }
    }

    private void digests(final Writer out) throws IOException
    {
        out.write(HEADER + "\n");
        final LiveStore.Position before = store.position().get();
        if (!before.isSettled())
        {
            busy(before, out);
            return;
        }
        final Map<GlobalName, GlobalDigest> digests;
        try
        {
            digests = store.reader().digests();
        }
        catch (final RuntimeException ex)
        {
            error(ex, out);
            return;
        }
        if (hasMovedSince(before, out))
        {
            return;
        }
        for (final Map.Entry<GlobalName, GlobalDigest> entry : digests.entrySet())
        {
            final GlobalDigest digest = entry.getValue();
            out.write("@g " + entry.getKey().database() + " " + entry.getKey().global() + " " + digest.count() + " " +
                digest.sum() + " " + digest.xor() + "\n");
        }
        out.write("ok lsn=" + before.appliedLsn() + " globals=" + digests.size() + "\n");
    }

    private void nodes(final String database, final String global, final SubscriptKey prefix, final long lsn,
        final Writer out) throws IOException
    {
        out.write(HEADER + "\n");
        final LiveStore.Position before = store.position().get();
        if (!before.isSettled() || before.appliedLsn() != lsn)
        {
            busy(before, out);
            return;
        }
        final long[] nodes = new long[1];
        try
        {
            final StringBuilder line = new StringBuilder();
            store.reader().query(database, global, prefix,
                (key, keyOffset, keyLength, value, valueOffset, valueLength) ->
                {
                    line.setLength(0);
                    line.append("n ").append(encode(key, keyOffset, keyLength)).append(' ')
                        .append(encode(value, valueOffset, valueLength)).append('\n');
                    try
                    {
                        out.append(line);
                    }
                    catch (final IOException ex)
                    {
                        throw new UncheckedIOException(ex);
                    }
                    nodes[0]++;
                    return true;
                });
        }
        catch (final UncheckedIOException ex)
        {
            throw ex; // the connection, not the store: ends the answer
        }
        catch (final RuntimeException ex)
        {
            error(ex, out);
            return;
        }
        if (hasMovedSince(before, out))
        {
            return;
        }
        out.write("ok lsn=" + lsn + " nodes=" + nodes[0] + "\n");
    }

    /**
     * After a read: answers busy when the node stands elsewhere than before it, so the read is of no one LSN.
     *
     * @return whether it moved (and busy was answered).
     */
    private boolean hasMovedSince(final LiveStore.Position before, final Writer out) throws IOException
    {
        final LiveStore.Position after = store.position().get();
        if (before.isSameAs(after))
        {
            return false;
        }
        busy(after, out);
        return true;
    }

    private static void busy(final LiveStore.Position position, final Writer out) throws IOException
    {
        out.write("busy applied=" + position.appliedLsn() + " end=" + position.endLsn() + "\n");
    }

    private static void error(final RuntimeException ex, final Writer out) throws IOException
    {
        LOG.warn("store read failed", ex);
        out.write("error " + String.valueOf(ex).replace('\n', ' ') + "\n");
    }

    private static Writer writer(final HttpExchange exchange)
    {
        return new BufferedWriter(new OutputStreamWriter(exchange.getResponseBody(), StandardCharsets.UTF_8),
            64 * 1024);
    }

    static String encode(final DirectBuffer buffer, final int offset, final int length)
    {
        if (0 == length)
        {
            return EMPTY;
        }
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * @return the bytes, or null if the text is not base64url.
     */
    static byte[] decode(final String text)
    {
        if (EMPTY.equals(text))
        {
            return new byte[0];
        }
        try
        {
            return Base64.getUrlDecoder().decode(text);
        }
        catch (final IllegalArgumentException ex)
        {
            return null;
        }
    }

    private static Map<String, String> query(final String rawQuery)
    {
        final Map<String, String> parameters = new HashMap<>();
        if (null == rawQuery)
        {
            return parameters;
        }
        for (final String pair : rawQuery.split("&"))
        {
            final int equals = pair.indexOf('=');
            if (equals > 0)
            {
                parameters.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return parameters;
    }

    private static long parseLong(final String text)
    {
        try
        {
            return null == text ? -1 : Long.parseLong(text);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }
}
