package io.jmirror.harness;

import io.jmirror.dejournal.Dejournaler;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.Journal;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.mirror.Member;
import io.jmirror.mirror.MemberContext;
import io.jmirror.mirror.MemberMeterBinder;
import io.jmirror.journal.JournalContext;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.ReceiverContext;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.agrona.concurrent.status.AtomicCounter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A member node: a {@link Member} applying to its store through an {@link OrderCheckingTarget}. With
 * {@code --store rocksdb} (the default) the store is a RocksDB database in the node's {@code store/} directory and a
 * restart resumes at its last checkpoint; with {@code --store memory} it is an in-memory store that starts empty, so
 * the dejournaler replays the member's whole local journal. {@code --isolated-readers} hides open transactions from
 * read views of a RocksDB store (see {@code DejournalContext.isolatedReaders}). Commands:
 * {@code digests}, {@code stall on|off}, {@code stop}. Order violations are published in the status file as
 * {@code harness=NAME orderViolations}. With {@code --metrics-port} on loopback the port also serves the store to
 * {@code jmirror check http://127.0.0.1:PORT} ({@link StoreEndpoint}).
 */
@Command(name = "member", description = "Run a member with a RocksDB or in-memory store (driven by demo/soak).",
    mixinStandardHelpOptions = true)
final class MemberNode implements Callable<Integer>
{
    @Option(names = "--dir", required = true, description = "Node directory: journal/ and the status file.")
    Path dir;

    @Option(names = "--name", required = true, description = "Member name.")
    String name;

    @Option(names = "--role", defaultValue = "BACKUP", description = "BACKUP, DR_ASYNC or REPORTING_ASYNC.")
    MemberRole role;

    @Option(names = "--primary-port", required = true, description = "Port of the primary (or its proxy) on "
        + "127.0.0.1.")
    int primaryPort;

    @Option(names = "--mirror", defaultValue = "JMIRROR", description = "Mirror name.")
    String mirror;

    @Option(names = "--workers", defaultValue = "2", description = "Dejournal workers.")
    int workers;

    @Option(names = "--qos-timeout-ms", defaultValue = "8000", description = "QoS timeout.")
    long qosTimeoutMs;

    @Option(names = "--file-size", defaultValue = "67108864", description = "Journal file size in bytes.")
    long fileSize;

    @Option(names = "--store", defaultValue = "rocksdb", description = "rocksdb (in DIR/store) or memory.")
    String store;

    @Option(names = "--isolated-readers", description = "Read views of the RocksDB store never show part of a "
        + "transaction: its records are hidden until its TCOMMIT or TROLLBACK is applied (RocksDB store only; default: "
        + "off, as on an IRIS member).")
    boolean isolatedReaders;

    @Mixin
    MetricsOptions metrics = new MetricsOptions();

    @Option(names = "--skip-every", defaultValue = "0", hidden = true,
        description = "Drop every n-th SET: a broken member, for testing that verification catches it.")
    long skipEvery;

    @Override
    public Integer call() throws Exception
    {
        final PrintStream out = System.out;
        final StoreKind kind = StoreKind.fromOptionName(store);
        if (isolatedReaders && kind != StoreKind.ROCKSDB)
        {
            throw new IllegalArgumentException("--isolated-readers needs --store rocksdb: it hides open transactions "
                + "from read views of a RocksDB store, and an in-memory store has none: --store " + store);
        }
        try (MemberStore memberStore = MemberStore.open(kind, dir))
        {
            run(memberStore, new OrderCheckingTarget(memberStore, skipEvery), out);
        }
        out.println("@ok stopped");
        out.flush();
        return 0;
    }

    /**
     * @param target the store's target, wrapped in the order check.
     * @return the member's configuration from the options.
     */
    MemberContext context(final Target target)
    {
        return new MemberContext()
            .target(target)
            .workers(workers)
            .isolatedReaders(isolatedReaders)
            .receiverContext(new ReceiverContext()
                .memberName(name).role(role).mirrorName(mirror)
                .primaryAddress(new InetSocketAddress("127.0.0.1", primaryPort))
                .insecure(true)
                .statusDir(dir)
                .qosTimeoutMs(qosTimeoutMs)
                .journalContext(new JournalContext().journalDir(dir.resolve("journal")).mirrorName(mirror)
                    .fileLength(fileSize)));
    }

    /**
     * Runs the member until the {@code stop} command; the store outlives it, so the member's last checkpoint reaches
     * the store before the store closes.
     */
    @SuppressWarnings("try") // the metrics endpoint serves for as long as the member runs
    private void run(final MemberStore memberStore, final OrderCheckingTarget target, final PrintStream out)
        throws IOException
    {
        try (Member member = Member.start(context(target));
            MetricsEndpoint endpoint = metrics.start(new MemberMeterBinder(member)))
        {
            final boolean isStoreServed = StoreEndpoint.serve(endpoint,
                new LiveStore(memberStore.reader(), () -> LiveStore.of(member)));
            final AtomicCounter violations = member.receiver().statusFile()
                .newCounter(StatusCounterType.HARNESS_ORDER_VIOLATIONS, name);
            final Thread publisher = new Thread(() ->
            {
                while (!Thread.currentThread().isInterrupted())
                {
                    violations.setRelease(target.violations());
                    final Journal journal = member.receiver().journal();
                    if (!target.isChecking() && null != journal)
                    {
                        target.replayEnds(journal.completeLsn());
                    }
                    try
                    {
                        Thread.sleep(100);
                    }
                    catch (final InterruptedException ex)
                    {
                        return;
                    }
                }
            }, "jmirror-harness-violations");
            publisher.setDaemon(true);
            publisher.start();
            // the store's URL, for jmirror check, when it is served
            final String ready = "member=" + name + (isStoreServed ? " store=" + StoreEndpoint.url(endpoint) : "");
            NodeControl.serve(ready, (command, args, printer) ->
            {
                switch (command)
                {
                    case "digests":
                        final Dejournaler dejournaler = member.dejournaler();
                        final int globals = DigestLines.write(memberStore.digests(), printer);
                        return "globals=" + globals + " appliedLsn=" + (null == dejournaler ? -1 :
                            dejournaler.appliedLsn()) + " violations=" + target.violations() +
                            (null == target.firstViolation() ? "" : " first=" +
                            target.firstViolation().replace(' ', '_'));
                    case "stall":
                        member.receiver().stallAcks("on".equals(args));
                        return "stall=" + args;
                    default:
                        return null;
                }
            }, out);
            publisher.interrupt();
        }
    }
}
