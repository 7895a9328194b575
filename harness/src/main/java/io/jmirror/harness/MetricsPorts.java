package io.jmirror.harness;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics ports of the node processes {@code demo} and {@code soak} start ({@code --metrics-base-port P}): the
 * nodes get {@code P}, {@code P+1}, ... in the order they are named, and a node restarted by a fault keeps its port,
 * so a Prometheus scraping the printed URLs finds it again. Without a base port no node serves metrics.
 */
final class MetricsPorts
{
    private final Integer basePort;
    private final Map<String, Integer> ports = new LinkedHashMap<>();

    /**
     * @param basePort the first port, or null for none.
     */
    MetricsPorts(final Integer basePort)
    {
        if (null != basePort && (basePort < 1 || basePort > 65_000))
        {
            throw new IllegalArgumentException("--metrics-base-port must be 1 to 65000: " + basePort);
        }
        this.basePort = basePort;
    }

    static MetricsPorts none()
    {
        return new MetricsPorts(null);
    }

    /**
     * Give each node its port now, in this order, so the ports do not depend on which starts first.
     *
     * @return this.
     */
    synchronized MetricsPorts assign(final List<String> nodes)
    {
        for (final String node : nodes)
        {
            port(node);
        }
        return this;
    }

    /**
     * @return the node's port, assigned on first use; -1 without a base port.
     */
    synchronized int port(final String node)
    {
        if (null == basePort)
        {
            return -1;
        }
        return ports.computeIfAbsent(node, (n) -> basePort + ports.size());
    }

    /**
     * @return the arguments that make the node serve its meters: empty without a base port.
     */
    List<String> arguments(final String node)
    {
        final int port = port(node);
        return port < 0 ? List.of() : List.of("--metrics-port", Integer.toString(port));
    }

    /**
     * @return one line per node: {@code metrics: NODE http://127.0.0.1:PORT/metrics}; none without a base port.
     */
    synchronized List<String> urls()
    {
        return ports.entrySet().stream().map((e) -> "metrics: " + e.getKey() + " http://127.0.0.1:" + e.getValue() +
            "/metrics").toList();
    }
}
