package io.jmirror.harness;

import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * {@code --metrics-port} and {@code --metrics-bind}, shared by the commands that run a node: where to serve the
 * node's meters as Prometheus text ({@link MetricsEndpoint}). Without {@code --metrics-port} nothing is served.
 */
final class MetricsOptions
{
    @Option(names = "--metrics-port", description = "Serve the node's meters as Prometheus text at "
        + "http://BIND:PORT/metrics; 0 picks a free port (logged). Default: not served.")
    Integer port;

    @Option(names = "--metrics-bind", defaultValue = "127.0.0.1",
        description = "Address the metrics endpoint listens on (default: ${DEFAULT-VALUE}).")
    String bind;

    /**
     * @return the running endpoint, or null when no {@code --metrics-port} was given.
     */
    MetricsEndpoint start(final MeterBinder... binders) throws IOException
    {
        return null == port ? null : announce(MetricsEndpoint.start(MetricsEndpoint.address(bind, port), binders));
    }

    /**
     * @return the running endpoint serving what the node's current parts show, or null when no
     * {@code --metrics-port} was given.
     */
    MetricsEndpoint start(final Supplier<List<?>> parts, final Function<List<?>, List<MeterBinder>> binders)
        throws IOException
    {
        return null == port ? null :
            announce(MetricsEndpoint.start(MetricsEndpoint.address(bind, port), parts, binders));
    }

    /**
     * Say where the meters are on standard output (with port 0 the operator learns the port here; the CLI logs
     * warnings only).
     */
    private static MetricsEndpoint announce(final MetricsEndpoint endpoint)
    {
        System.out.println("metrics endpoint listening: url=" + endpoint.url());
        System.out.flush();
        return endpoint;
    }
}
