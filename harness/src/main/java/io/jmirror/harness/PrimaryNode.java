package io.jmirror.harness;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.JournalReader;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.PrimaryMeterBinder;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The primary node: a journal, a {@link Primary} on 127.0.0.1, and the synthetic application ({@link Workload}),
 * which starts paused. Commands: {@code resume}, {@code pause}, {@code digests}, {@code cut MEMBER},
 * {@code count FROM_LSN}, {@code stop}.
 */
@Command(name = "primary", description = "Run a primary with the synthetic workload (driven by demo/soak).",
    mixinStandardHelpOptions = true)
final class PrimaryNode implements Callable<Integer>
{
    @Option(names = "--dir", required = true, description = "Node directory: journal/ and the status file.")
    Path dir;

    @Option(names = "--port", defaultValue = "0", description = "Port on 127.0.0.1; 0 picks a free one.")
    int port;

    @Option(names = "--mirror", defaultValue = "JMIRROR", description = "Mirror name.")
    String mirror;

    @Option(names = "--member", description = "An allowed member, NAME:ROLE (BACKUP, DR_ASYNC, REPORTING_ASYNC).")
    List<String> members = new ArrayList<>();

    @Option(names = "--qos-timeout-ms", defaultValue = "8000", description = "QoS timeout.")
    long qosTimeoutMs;

    @Option(names = "--file-size", defaultValue = "67108864", description = "Journal file size in bytes.")
    long fileSize;

    @Mixin
    WorkloadOptions workload;

    @Mixin
    MetricsOptions metrics = new MetricsOptions();

    @Override
    @SuppressWarnings("try") // the metrics endpoint serves for as long as the node runs
    public Integer call() throws Exception
    {
        final PrintStream out = System.out;
        final PrimaryContext ctx = new PrimaryContext()
            .bindAddress(new InetSocketAddress("127.0.0.1", port))
            .insecure(true)
            .statusDir(dir)
            .qosTimeoutMs(qosTimeoutMs);
        for (final String member : members)
        {
            final int colon = member.indexOf(':');
            if (colon < 0)
            {
                throw new IllegalArgumentException("--member must be NAME:ROLE: " + member);
            }
            ctx.member(AllowedMember.of(member.substring(0, colon), MemberRole.valueOf(member.substring(colon + 1))));
        }
        final GlobalStore store = new GlobalStore();
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal"))
            .mirrorName(mirror).fileLength(fileSize));
            Primary primary = Primary.start(ctx.journal(journal));
            Workload app = new Workload(journal, primary, store, workload,
                primary.status().newCounter(StatusCounterType.HARNESS_WORKLOAD_RECORDS, "primary"),
                primary.status().newCounter(
                    StatusCounterType.HARNESS_WORKLOAD_COMMIT_TIMEOUTS, "primary"), 3 * qosTimeoutMs);
            MetricsEndpoint endpoint = metrics.start(new PrimaryMeterBinder(primary)))
        {
            NodeControl.serve("port=" + primary.address().getPort(), (command, args, printer) ->
            {
                switch (command)
                {
                    case "resume":
                        app.resume();
                        return "resumed";
                    case "pause":
                        final long lsn = app.pause();
                        final org.HdrHistogram.Histogram commits = app.commitLatencyMicros();
                        return "lsn=" + lsn + " records=" + app.records() + " commits=" + commits.getTotalCount() +
                            " commitP50us=" + commits.getValueAtPercentile(50) + " commitP99us=" +
                            commits.getValueAtPercentile(99) + failure(app);
                    case "digests":
                        final int globals = DigestLines.write(store, printer);
                        return "globals=" + globals + " lsn=" + journal.completeLsn();
                    case "cut":
                        return "cut=" + primary.disconnect(args, "cut by the soak's fault plan");
                    case "count":
                        return "count=" + count(journal, Long.parseLong(args));
                    default:
                        return null;
                }
            }, out);
        }
        out.println("@ok stopped");
        out.flush();
        return 0;
    }

    private static String failure(final Workload app)
    {
        final Throwable failure = app.failure();
        return null == failure ? "" : " failure=" + failure.toString().replace(' ', '_');
    }

    private static long count(final Journal journal, final long fromLsn)
    {
        final long end = journal.completeLsn();
        final long[] records = new long[1];
        try (JournalReader reader = journal.reader(fromLsn))
        {
            while (reader.position() < end && reader.poll((record) -> records[0]++, 4096) > 0)
            {
                // count
            }
        }
        return records[0];
    }
}
