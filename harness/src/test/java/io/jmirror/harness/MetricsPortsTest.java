package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsPortsTest
{
    @Test
    void nodesGetConsecutivePortsInTheOrderNamedAndKeepThem()
    {
        final MetricsPorts ports = new MetricsPorts(9400).assign(List.of("node-a", "node-b", "dr1", "arbiter"));
        assertEquals(List.of("--metrics-port", "9401"), ports.arguments("node-b"));
        assertEquals(List.of("--metrics-port", "9403"), ports.arguments("arbiter"));
        // a node restarted by a fault asks again: same port
        assertEquals(List.of("--metrics-port", "9401"), ports.arguments("node-b"));
        assertEquals(List.of("metrics: node-a http://127.0.0.1:9400/metrics",
            "metrics: node-b http://127.0.0.1:9401/metrics", "metrics: dr1 http://127.0.0.1:9402/metrics",
            "metrics: arbiter http://127.0.0.1:9403/metrics"), ports.urls());
    }

    @Test
    void withoutABasePortNoNodeServesMetrics()
    {
        final MetricsPorts ports = MetricsPorts.none().assign(List.of("primary", "backup"));
        assertEquals(List.of(), ports.arguments("primary"));
        assertEquals(List.of(), ports.urls());
        assertThrows(IllegalArgumentException.class, () -> new MetricsPorts(0));
    }
}
