package io.jmirror.harness;

import io.jmirror.dejournal.GlobalDigest;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreReader;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.SubscriptKey;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One side of {@code jmirror check}: a running node's store read over HTTP from its {@link StoreEndpoint}
 * ({@code http://127.0.0.1:PORT}, the node's {@code --metrics-port}). {@link #snapshot()} takes the node's digests at
 * one applied LSN; the nodes of a global are then read at that LSN, and a node that has moved on since answers
 * {@link Busy}, so the check starts again. Loopback only; every connection and read is bounded in time.
 */
final class HttpStoreReader implements StoreReader
{
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Long enough for a node to scan a large RocksDB store for its digests, which it sends only at the end. */
    static final Duration READ_TIMEOUT = Duration.ofMinutes(2);

    private final String side;
    private final URI base;
    private long lsn = -1;
    private Map<GlobalName, GlobalDigest> digests = Collections.emptyMap();

    /**
     * The node is not at one applied LSN now, or no longer at the one asked for: ask again later.
     */
    static final class Busy extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        Busy(final String message)
        {
            super(message, null, false, false);
        }
    }

    /**
     * @param side what to call the side in messages ({@code left http://127.0.0.1:9401}).
     * @param base the node's base URL, checked by {@link #parse}.
     */
    HttpStoreReader(final String side, final URI base)
    {
        this.side = side;
        this.base = base;
    }

    /**
     * @param side what to call the side in messages.
     * @param text {@code http://127.0.0.1:PORT}, also with {@code localhost}, {@code [::1]}, a trailing {@code /} or
     *             the {@code /metrics} path a node prints.
     * @return the node's base URL.
     * @throws IllegalArgumentException naming the side, for anything else.
     */
    static URI parse(final String side, final String text)
    {
        final URI uri;
        try
        {
            uri = new URI(text);
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalArgumentException(side + " side " + text + ": not a URL: " + ex.getMessage());
        }
        final String path = null == uri.getRawPath() ? "" : uri.getRawPath();
        final boolean isNodeUrl = "http".equals(uri.getScheme()) && null != uri.getHost() && uri.getPort() > 0 &&
            null == uri.getRawQuery() && (path.isEmpty() || "/".equals(path) || MetricsEndpoint.PATH.equals(path));
        if (!isNodeUrl)
        {
            throw new IllegalArgumentException(side + " side " + text + ": expected http://127.0.0.1:PORT, the "
                + "node's --metrics-port");
        }
        try
        {
            if (!InetAddress.getByName(uri.getHost()).isLoopbackAddress())
            {
                throw new IllegalArgumentException(side + " side " + text + ": not a loopback address: a node "
                    + "serves its store on 127.0.0.1 only");
            }
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(side + " side " + text + ": unknown host " + uri.getHost());
        }
        return URI.create("http://" + uri.getRawAuthority());
    }

    /**
     * Read the node's digests, if it is at one applied LSN.
     *
     * @throws Busy when it is not: ask again.
     * @throws IllegalStateException naming the side, when the node cannot be asked or is no jmirror node.
     */
    void snapshot()
    {
        final Map<GlobalName, GlobalDigest> read = new LinkedHashMap<>();
        final String end = request(StoreEndpoint.DIGESTS_PATH, (line) ->
        {
            final String[] parts = line.split(" ");
            if (!line.startsWith("@g ") || parts.length != 6)
            {
                throw notJmirror("unexpected line: " + line);
            }
            read.put(GlobalName.of(parts[1], parts[2]), new GlobalDigest(Long.parseLong(parts[3]),
                Long.parseLong(parts[4]), Long.parseLong(parts[5])));
            return true;
        });
        final String applied = NodeProcess.field(end, "lsn");
        try
        {
            lsn = Long.parseLong(String.valueOf(applied));
        }
        catch (final NumberFormatException ex)
        {
            throw notJmirror("no applied LSN in: " + end);
        }
        digests = Collections.unmodifiableMap(read);
    }

    /**
     * @return the applied LSN of the last {@link #snapshot()}.
     */
    long appliedLsn()
    {
        return lsn;
    }

    /**
     * @return the digests of the last {@link #snapshot()}.
     */
    @Override
    public Map<GlobalName, GlobalDigest> digests()
    {
        return digests;
    }

    /**
     * Read the nodes from the running node, at the applied LSN of the last {@link #snapshot()}.
     *
     * @throws Busy when the node has moved on since: the walk so far is void.
     */
    @Override
    public void query(final String database, final String global, final SubscriptKey prefix,
        final GlobalStore.NodeVisitor visitor)
    {
        final UnsafeBuffer key = new UnsafeBuffer(0, 0);
        final UnsafeBuffer value = new UnsafeBuffer(0, 0);
        request(StoreEndpoint.NODES_PATH + "?database=" + encode(database) + "&global=" + encode(global) + "&lsn=" +
            lsn + "&prefix=" + StoreEndpoint.encode(prefix.buffer(), 0, prefix.length()), (line) ->
            {
                final String[] parts = line.split(" ");
                final byte[] keyBytes = parts.length == 3 && "n".equals(parts[0]) ? StoreEndpoint.decode(parts[1]) :
                    null;
                final byte[] valueBytes = null == keyBytes ? null : StoreEndpoint.decode(parts[2]);
                if (null == valueBytes)
                {
                    throw notJmirror("unexpected line: " + line);
                }
                key.wrap(keyBytes);
                value.wrap(valueBytes);
                return visitor.onNode(key, 0, keyBytes.length, value, 0, valueBytes.length);
            });
    }

    /**
     * @return the value at the node's key, read from the running node as a walk that stops at its first node.
     */
    @Override
    public byte[] get(final String database, final String global, final DirectBuffer keyBuffer, final int keyOffset,
        final int keyLength)
    {
        final byte[] wanted = new byte[keyLength];
        keyBuffer.getBytes(keyOffset, wanted);
        final byte[][] found = new byte[1][];
        query(database, global, new SubscriptKey().set(keyBuffer, keyOffset, keyLength),
            (key, ko, kl, value, vo, vl) ->
            {
                final byte[] seen = new byte[kl];
                key.getBytes(ko, seen);
                if (Arrays.equals(seen, wanted))
                {
                    found[0] = new byte[vl];
                    value.getBytes(vo, found[0]);
                }
                return false;
            });
        return found[0];
    }

    /**
     * Takes a data line; false to stop reading.
     */
    @FunctionalInterface
    private interface LineHandler
    {
        boolean onLine(String line);
    }

    /**
     * @return the closing {@code ok} line.
     */
    private String request(final String pathAndQuery, final LineHandler handler)
    {
        final URI uri = base.resolve(pathAndQuery);
        HttpURLConnection connection = null;
        try
        {
            connection = (HttpURLConnection)uri.toURL().openConnection(Proxy.NO_PROXY);
            connection.setConnectTimeout((int)CONNECT_TIMEOUT.toMillis());
            connection.setReadTimeout((int)READ_TIMEOUT.toMillis());
            connection.setInstanceFollowRedirects(false);
            final int status = connection.getResponseCode();
            final InputStream body = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            if (null == body || (status != 200 && status != 400))
            {
                throw notJmirror("HTTP " + status);
            }
            try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8)))
            {
                final String header = in.readLine();
                if (!StoreEndpoint.HEADER.equals(header))
                {
                    throw notJmirror("HTTP " + status + ", first line: " + (null == header ? "(none)" :
                        header.substring(0, Math.min(80, header.length()))));
                }
                String line;
                while (null != (line = in.readLine()))
                {
                    if (line.startsWith("ok "))
                    {
                        return line;
                    }
                    if (line.startsWith("busy "))
                    {
                        throw new Busy(side + " side " + base + ": not at one applied LSN (" + line +
                            (lsn < 0 ? "" : ", digests taken at " + lsn) + ")");
                    }
                    if (line.startsWith("error "))
                    {
                        throw new IllegalStateException(side + " side " + base + ": the node cannot answer: " +
                            line.substring("error ".length()));
                    }
                    if (!handler.onLine(line))
                    {
                        return "ok";
                    }
                }
                throw new IllegalStateException(side + " side " + base + ": the answer to " + uri + " ended early");
            }
        }
        catch (final ConnectException ex)
        {
            throw new IllegalStateException(side + " side " + base + ": cannot connect (" + ex.getMessage() +
                "): is the node running with --metrics-port " + base.getPort() + "?");
        }
        catch (final SocketTimeoutException ex)
        {
            throw new IllegalStateException(side + " side " + base + ": no answer within " +
                DurationConverter.format(READ_TIMEOUT) + " to " + uri + " (" + ex.getMessage() + ")");
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(side + " side " + base + ": cannot read " + uri + ": " + ex);
        }
        catch (final NumberFormatException ex)
        {
            throw notJmirror("a number expected: " + ex.getMessage());
        }
        finally
        {
            if (null != connection)
            {
                connection.disconnect();
            }
        }
    }

    private IllegalStateException notJmirror(final String what)
    {
        return new IllegalStateException(side + " side " + base + ": not a jmirror node's store endpoint (" + what +
            "): give the --metrics-port of a member or failover node on 127.0.0.1");
    }

    private static String encode(final String text)
    {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
