package io.jmirror.harness;

import io.jmirror.mirror.Arbiter;
import io.jmirror.mirror.ArbiterContext;
import io.jmirror.mirror.ArbiterMeterBinder;
import io.jmirror.mirror.ArbiterRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The arbiter as a process the soak can kill -9 and restart: it persists its record in {@code --dir}, so a restart
 * takes up the epoch where it was. Commands: {@code record} (epoch, primary, backup, ACTIVE), {@code stop}. Serves its
 * meters with {@code --metrics-port}, as {@code soak --metrics-base-port} asks.
 */
@Command(name = "arbiter", description = "Run an arbiter (driven by soak).", mixinStandardHelpOptions = true)
final class ClusterArbiterNode implements Callable<Integer>
{
    @Option(names = "--dir", required = true, description = "Where the arbiter keeps its record.")
    Path dir;

    @Option(names = "--mirror", defaultValue = "JMIRROR", description = "Mirror name.")
    String mirror;

    @Option(names = "--member", required = true, description = "A failover member's name (give both).")
    List<String> members;

    @Option(names = "--async", description = "An async (DR) member's name (repeat).")
    List<String> asyncs = new java.util.ArrayList<>();

    @Option(names = "--qos-timeout-ms", defaultValue = "8000", description = "QoS timeout.")
    long qosTimeoutMs;

    @Mixin
    MetricsOptions metrics = new MetricsOptions();

    @Override
    @SuppressWarnings("try") // the metrics endpoint serves for as long as the arbiter runs
    public Integer call() throws Exception
    {
        final PrintStream out = System.out;
        final ArbiterContext ctx = new ArbiterContext().dir(dir).insecure(true).qosTimeoutMs(qosTimeoutMs);
        for (final String member : members)
        {
            ctx.member(mirror, member);
        }
        for (final String member : asyncs)
        {
            ctx.asyncMember(mirror, member);
        }
        try (Arbiter arbiter = Arbiter.start(ctx);
            MetricsEndpoint endpoint = metrics.start(new ArbiterMeterBinder(arbiter, List.of(mirror))))
        {
            NodeControl.serve("port=" + arbiter.address().getPort(), (command, args, printer) ->
            {
                if (!"record".equals(command))
                {
                    return null;
                }
                final ArbiterRecord record = arbiter.record(mirror);
                return null == record ? "epoch=0" : "epoch=" + record.epoch() + " primary=" + record.primary() +
                    " backup=" + record.backup() + " backupActive=" + record.backupActive();
            }, out);
        }
        out.println("@ok stopped");
        out.flush();
        return 0;
    }
}
