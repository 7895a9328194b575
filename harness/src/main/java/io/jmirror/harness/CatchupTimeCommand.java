package io.jmirror.harness;

import io.jmirror.dejournal.GlobalDigest;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.mirror.Member;
import io.jmirror.mirror.MemberContext;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.ReceiverContext;
import org.agrona.IoUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code jmirror catchup-time}: how long a member that was stopped takes, once restarted, to catch up with a primary
 * that wrote {@code --records} records meanwhile: a primary and a backup in this process on 127.0.0.1. The backup
 * first follows the primary through a few records (so its store and journal are those of a running member, with a
 * checkpoint), stops, the primary writes the backlog, and the backup starts again with its store reopened: the clock
 * runs from that start until its applied LSN reaches the primary's journal end, receiving and applying at once. A
 * progress line every few seconds, a final line with the figures, and the member's store compared, digest by digest,
 * with what the primary wrote.
 */
@Command(name = "catchup-time", mixinStandardHelpOptions = true,
    description = {"Measure the catch-up time of a member restarted behind the primary: the primary writes --records "
        + "records while the member (a RocksDB store by default) is stopped, then the member starts again and the "
        + "time to apply up to the primary's journal end is measured, on 127.0.0.1 in this process.",
        "The last line starts with PASS (caught up, stores equal) or FAIL."})
final class CatchupTimeCommand implements Callable<Integer>
{
    private static final String MIRROR = "CATCHUP";
    private static final String MEMBER = "backup";
    private static final String DATABASE = "USER";
    private static final int GLOBALS = 16;
    private static final int WARM_UP_RECORDS = 1_000;
    private static final long WARM_UP_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

    @Option(names = "--records", defaultValue = "10000000", description = "SETs the primary writes while the member "
        + "is stopped (default: ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--store", defaultValue = "rocksdb", description = "The member's store: rocksdb or memory "
        + "(default: ${DEFAULT-VALUE}).")
    String store;

    @Option(names = "--workers", defaultValue = "2", description = "The member's dejournal workers (default: "
        + "${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--keys", defaultValue = "1000000", description = "Distinct nodes written, spread over "
        + GLOBALS + " globals; records beyond that overwrite (default: ${DEFAULT-VALUE}).")
    long keys;

    @Option(names = "--value-size", defaultValue = "100", description = "Bytes per value (default: ${DEFAULT-VALUE}).")
    int valueSize;

    @Option(names = "--txn-size", defaultValue = "10", description = "SETs per transaction (default: "
        + "${DEFAULT-VALUE}).")
    int txnSize;

    @Option(names = "--file-size", defaultValue = "268435456", description = "Journal file size in bytes (default: "
        + "${DEFAULT-VALUE}).")
    long fileSize;

    @Option(names = "--timeout", defaultValue = "60m", converter = DurationConverter.class,
        description = "Longest wait for the member to catch up (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--progress-every", defaultValue = "5s", converter = DurationConverter.class,
        description = "A progress line this often (default: ${DEFAULT-VALUE}).")
    Duration progressEvery;

    @Option(names = "--dir", description = "Working directory: the primary's journal and the member's journal and "
        + "store (default: a new temporary directory).")
    Path dir;

    @Option(names = "--keep", description = "Keep the working directory after the run.")
    boolean keep;

    private PrintStream out = System.out;

    CatchupTimeCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    @Override
    public Integer call() throws Exception
    {
        if (records < 1 || keys < 1 || valueSize < 1 || txnSize < 1)
        {
            throw new IllegalArgumentException("--records, --keys, --value-size and --txn-size must be >= 1: records=" +
                records + " keys=" + keys + " valueSize=" + valueSize + " txnSize=" + txnSize);
        }
        final StoreKind kind = StoreKind.fromOptionName(store);
        final Path root = null != dir ? Files.createDirectories(dir) : Files.createTempDirectory("jmirror-catchup-");
        String line;
        try
        {
            line = run(root, kind);
        }
        catch (final RuntimeException ex)
        {
            line = "FAIL " + ex.getMessage();
        }
        finally
        {
            if (!keep)
            {
                IoUtil.delete(root.toFile(), true);
            }
        }
        out.println(line);
        out.flush();
        return line.startsWith("PASS") ? 0 : 1;
    }

    private String run(final Path root, final StoreKind kind) throws IOException
    {
        final Path memberDir = root.resolve(MEMBER);
        final GlobalStore written = new GlobalStore();
        final Writer writer = new Writer(written);
        try (Journal journal = Journal.open(new JournalContext().journalDir(root.resolve("primary").resolve("journal"))
            .mirrorName(MIRROR).fileLength(fileSize));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .bindAddress(new InetSocketAddress("127.0.0.1", 0))
                .member(AllowedMember.of(MEMBER, MemberRole.BACKUP))))
        {
            final JournalAppender appender = journal.newAppender();
            out.println("catchup-time: primary on " + primary.address() + "; member " + MEMBER + " with a " +
                kind.optionName() + " store, " + workers + " workers; data in " + root);
            // The member's life before it falls behind: it follows, applies, checkpoints, stops.
            try (MemberStore memberStore = MemberStore.open(kind, memberDir);
                Member member = startMember(memberStore, primary, memberDir))
            {
                writer.write(appender, WARM_UP_RECORDS);
                if (!awaitApplied(member, journal.tailLsn(), System.nanoTime(), WARM_UP_TIMEOUT_NS, journal.tailLsn(),
                    false))
                {
                    throw new IllegalStateException("the member did not apply the first " + WARM_UP_RECORDS +
                        " records within " + TimeUnit.NANOSECONDS.toSeconds(WARM_UP_TIMEOUT_NS) + " s: " +
                        member.status());
                }
            }
            final long behindFrom = journal.tailLsn();
            final long writeStartNs = System.nanoTime();
            writer.write(appender, records);
            journal.awaitDurable(journal.tailLsn());
            final long tail = journal.tailLsn();
            final double journalMiB = (tail - behindFrom) / (1024.0 * 1024.0);
            out.println(String.format(Locale.ROOT, "catchup-time: the primary wrote %d records (%.1f MiB of journal) " +
                "in %.1f s while the member was stopped; starting the member", records, journalMiB,
                (System.nanoTime() - writeStartNs) / 1e9));

            final long startNs = System.nanoTime();
            final long caughtUpNs;
            final Map<GlobalName, GlobalDigest> memberDigests;
            final boolean caughtUp;
            try (MemberStore memberStore = MemberStore.open(kind, memberDir))
            {
                try (Member member = startMember(memberStore, primary, memberDir))
                {
                    caughtUp = awaitApplied(member, tail, startNs, timeout.toNanos(), behindFrom, true);
                    caughtUpNs = System.nanoTime();
                }
                memberDigests = memberStore.digests();
            }
            final double seconds = (caughtUpNs - startNs) / 1e9;
            final Map<GlobalName, GlobalDigest> expected = written.digests();
            final long nodes = memberDigests.values().stream().mapToLong(GlobalDigest::count).sum();
            final boolean equal = expected.equals(memberDigests);
            final boolean pass = caughtUp && equal;
            return String.format(Locale.ROOT, "%s records=%d seconds=%.1f recordsPerSecond=%.0f journalMiB=%.1f " +
                "journalMiBPerSecond=%.1f store=%s workers=%d caughtUp=%s digests=%s nodes=%d", pass ? "PASS" : "FAIL",
                records, seconds, records / Math.max(seconds, 1e-3), journalMiB, journalMiB / Math.max(seconds, 1e-3),
                kind.optionName(), workers, caughtUp, equal ? "equal" : "differ", nodes);
        }
    }

    private Member startMember(final MemberStore memberStore, final Primary primary, final Path memberDir)
    {
        return Member.start(new MemberContext().target(memberStore.target()).workers(workers)
            .receiverContext(new ReceiverContext().memberName(MEMBER).role(MemberRole.BACKUP).mirrorName(MIRROR)
                .primaryAddress(primary.address()).insecure(true).statusDir(memberDir)
                .journalContext(new JournalContext().journalDir(memberDir.resolve("journal")).mirrorName(MIRROR)
                    .fileLength(fileSize))));
    }

    /**
     * Wait until the member's applied LSN reaches {@code tail}, printing progress when asked.
     *
     * @return true when it did within the timeout.
     */
    private boolean awaitApplied(final Member member, final long tail, final long startNs, final long timeoutNs,
        final long behindFrom, final boolean progress)
    {
        final long deadlineNs = startNs + timeoutNs;
        long nextPrintNs = startNs + progressEvery.toNanos();
        while (true)
        {
            final long applied = null == member.dejournaler() ? -1 : member.dejournaler().appliedLsn();
            if (applied >= tail)
            {
                return true;
            }
            final long nowNs = System.nanoTime();
            if (member.isFailed())
            {
                throw new IllegalStateException("the member failed: " + member.failureReason());
            }
            if (nowNs >= deadlineNs)
            {
                out.println("catchup-time: not caught up within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) +
                    " ms: " + member.status());
                return false;
            }
            if (progress && nowNs >= nextPrintNs)
            {
                nextPrintNs += progressEvery.toNanos();
                final double done = Math.max(0, applied - behindFrom) / (double)Math.max(1, tail - behindFrom);
                final double seconds = (nowNs - startNs) / 1e9;
                final double rate = records * done / seconds;
                final long received = member.receiver().receivedLsn();
                out.println(String.format(Locale.ROOT, "%6.0fs applied=%d records (%.1f%%) rate=%.0f records/s " +
                    "received=%.1f%% eta=%s", seconds, (long)(records * done), 100 * done, rate,
                    100 * Math.max(0, received - behindFrom) / (double)Math.max(1, tail - behindFrom),
                    rate <= 0 ? "?" : String.format(Locale.ROOT, "%.0fs", records * (1 - done) / rate)));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /**
     * The primary's application: transactions of {@code --txn-size} SETs over {@code --keys} nodes of
     * {@value #GLOBALS} globals, each kept in a store of what was written to compare the member with.
     */
    private final class Writer
    {
        private final GlobalStore written;
        private final GlobalName[] globals = new GlobalName[GLOBALS];
        private final String[] globalNames = new String[GLOBALS];
        private final SubscriptKey key = new SubscriptKey();
        private final byte[] value = new byte[valueSize];
        private long sequence;
        private long txn;

        Writer(final GlobalStore written)
        {
            this.written = written;
            for (int i = 0; i < GLOBALS; i++)
            {
                globalNames[i] = "Catchup" + i;
                globals[i] = GlobalName.of(DATABASE, globalNames[i]);
            }
        }

        void write(final JournalAppender appender, final long count)
        {
            for (long i = 0; i < count; i++)
            {
                if (i % txnSize == 0)
                {
                    if (i > 0)
                    {
                        appender.tcommit(txn);
                    }
                    appender.tstart(++txn);
                }
                final long node = sequence % keys;
                final int global = (int)(node % GLOBALS);
                key.clear().add(node / GLOBALS);
                // the value says which write it is: an overwrite applied out of order would show in the digests
                final long stamp = sequence++;
                for (int b = 0; b < Math.min(8, valueSize); b++)
                {
                    value[b] = (byte)(stamp >>> (8 * b));
                }
                appender.set(txn, globals[global], key, value);
                written.set(DATABASE, globalNames[global], key, value);
            }
            appender.tcommit(txn);
        }
    }
}
