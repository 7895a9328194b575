package io.jmirror.harness;

import io.jmirror.dejournal.DataCheck;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.StoreCheck;
import io.jmirror.dejournal.StoreReader;
import io.jmirror.journal.Journal;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.agrona.CloseHelper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jmirror check LEFT RIGHT}: the data check (IRIS's DataCheck) between two copies of the data, each a running
 * node's store read over HTTP ({@code http://127.0.0.1:PORT}, the node's {@code --metrics-port}: a member's or a
 * failover node's, in memory or in RocksDB), a member's RocksDB store ({@code rocksdb:PATH}, read-only, also while
 * its member runs) or a journal directory replayed into an in-memory store ({@code journal:PATH} or a bare path).
 * Both are compared at the same applied LSN: per-global digests first, then the differing subscript ranges of each
 * global that differs. A running node answers only while it is at one applied LSN with nothing in flight
 * ({@link StoreEndpoint}); the check asks again, up to {@code --wait}, until both sides are at the same one.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Data check: compare two copies of the data at the same applied LSN, per-global digests first, "
        + "then the differing subscript ranges of each global that differs.",
        "LEFT and RIGHT are each http://127.0.0.1:PORT (a running member or failover node's store, in memory or in "
        + "RocksDB, served on its --metrics-port; read at its applied LSN while nothing is in flight), rocksdb:PATH "
        + "(a member's store, opened read-only, also while the member runs: it is read as of its last checkpoint) or "
        + "journal:PATH / PATH (a journal directory replayed into memory). "
        + "A journal is replayed to the other side's applied LSN; two stores must be at the same applied LSN "
        + "(the check waits up to --wait for that, e.g. for members of an idle primary).",
        "Exit code 0 when equal, 1 when they differ, 2 when they cannot be compared."})
final class CheckCommand implements Callable<Integer>
{
    private static final long RETRY_MS = 200;

    @Parameters(index = "0", paramLabel = "LEFT", description = "http://127.0.0.1:PORT, rocksdb:PATH, journal:PATH "
        + "or a journal directory.")
    String left;

    @Parameters(index = "1", paramLabel = "RIGHT", description = "http://127.0.0.1:PORT, rocksdb:PATH, "
        + "journal:PATH or a journal directory.")
    String right;

    @Option(names = "--to", defaultValue = "-1", description = "Two journals: replay both up to this LSN (default: "
        + "the smaller of the two journals' ends, so a member that is behind is compared with the primary at the "
        + "same point).")
    long toLsn;

    @Option(names = "--limit", defaultValue = "20", description = "Differing ranges to print (default: "
        + "${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--wait", defaultValue = "10s", converter = DurationConverter.class, description = "Stores: "
        + "how long to wait for a running node to be at one applied LSN and for two stores' applied LSNs to be "
        + "equal (default: ${DEFAULT-VALUE}).")
    Duration wait;

    private PrintStream out = System.out;

    CheckCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    /**
     * What a side is.
     */
    private enum Kind
    {
        JOURNAL, ROCKSDB, HTTP
    }

    /**
     * One side of the check, as given on the command line.
     *
     * @param name "left" or "right", for messages.
     */
    private record Side(String name, String text, Kind kind, Path path, URI url)
    {
        static Side parse(final String name, final String text)
        {
            if (text.startsWith("rocksdb:"))
            {
                return new Side(name, text, Kind.ROCKSDB, Path.of(text.substring("rocksdb:".length())), null);
            }
            if (text.startsWith("http:") || text.startsWith("https:"))
            {
                return new Side(name, text, Kind.HTTP, null, HttpStoreReader.parse(name, text));
            }
            return new Side(name, text, Kind.JOURNAL,
                Path.of(text.startsWith("journal:") ? text.substring("journal:".length()) : text), null);
        }

        boolean isStore()
        {
            return kind != Kind.JOURNAL;
        }
    }

    /**
     * A side that is not at an applied LSN the other can be compared at yet: ask again until {@code --wait} ends.
     */
    private static final class NotReady extends Exception
    {
        private static final long serialVersionUID = 1L;

        NotReady(final String message)
        {
            super(message, null, false, false);
        }
    }

    @Override
    public Integer call() throws InterruptedException
    {
        final Side a = Side.parse("left", left);
        final Side b = Side.parse("right", right);
        if (!a.isStore() && !b.isStore())
        {
            return twoJournals(a, b);
        }
        final long deadline = System.nanoTime() + wait.toNanos();
        final Replays replays = new Replays();
        while (true)
        {
            try
            {
                return withStore(a, b, replays);
            }
            catch (final NotReady ex)
            {
                if (System.nanoTime() - deadline >= 0)
                {
                    throw new IllegalStateException(ex.getMessage() + " (waited " + DurationConverter.format(wait) +
                        "): check them when the primary is idle, or check each against the primary's journal");
                }
            }
            Thread.sleep(RETRY_MS);
        }
    }

    private int twoJournals(final Side a, final Side b)
    {
        try (Journal journalA = Journal.openReadOnly(a.path()); Journal journalB = Journal.openReadOnly(b.path()))
        {
            final long to = toLsn >= 0 ? toLsn : Math.min(journalA.completeLsn(), journalB.completeLsn());
            final GlobalStore storeA = DataCheck.replay(journalA, to);
            final GlobalStore storeB = DataCheck.replay(journalB, to);
            out.printf("check: %s (end %d) vs %s (end %d), both replayed to LSN %d: %d nodes on the left, %d on the "
                + "right%n", a.text(), journalA.completeLsn(), b.text(), journalB.completeLsn(), to, storeA.size(),
                storeB.size());
            return report(StoreCheck.compare(storeA, storeB, limit));
        }
    }

    /**
     * One attempt with at least one store: each store at its applied LSN, a journal replayed to the other side's.
     */
    private int withStore(final Side a, final Side b, final Replays replays) throws NotReady
    {
        try (Snapshot snapshotA = Snapshot.open(a); Snapshot snapshotB = Snapshot.open(b))
        {
            final StoreCheck.Result result;
            final String heading;
            if (null != snapshotA && null != snapshotB)
            {
                if (snapshotA.lsn() != snapshotB.lsn())
                {
                    throw new NotReady((a.kind() == Kind.HTTP || b.kind() == Kind.HTTP ? "the nodes" : "the stores") +
                        " are at different applied LSNs: left=" + snapshotA.lsn() + " right=" + snapshotB.lsn());
                }
                result = compare(snapshotA.reader(), snapshotB.reader(), a, b);
                heading = String.format("check: %s vs %s, both at applied LSN %d", a.text(), b.text(), snapshotA.lsn());
            }
            else
            {
                final Snapshot store = null != snapshotA ? snapshotA : snapshotB;
                final Side journal = null != snapshotA ? b : a;
                final GlobalStore replayed = replays.replay(journal, store.lsn());
                result = null != snapshotA ? compare(store.reader(), replayed, a, b) :
                    compare(replayed, store.reader(), a, b);
                heading = String.format("check: %s (applied LSN %d) vs %s replayed to LSN %d",
                    null != snapshotA ? a.text() : b.text(), store.lsn(), journal.text(), store.lsn());
            }
            out.println(heading);
            return report(result);
        }
    }

    /**
     * @throws NotReady when a running node moved on while its nodes were read: the comparison is void.
     */
    private StoreCheck.Result compare(final StoreReader readerA, final StoreReader readerB, final Side a,
        final Side b) throws NotReady
    {
        try
        {
            return StoreCheck.compare(readerA, readerB, limit);
        }
        catch (final HttpStoreReader.Busy ex)
        {
            throw new NotReady(ex.getMessage());
        }
    }

    /**
     * A store side opened for one attempt: its reads and the applied LSN they are at.
     */
    private record Snapshot(StoreReader reader, long lsn, AutoCloseable closer) implements AutoCloseable
    {
        /**
         * @return the side's store at its applied LSN now, or null for a journal.
         * @throws NotReady when a running node is not at one applied LSN now.
         */
        static Snapshot open(final Side side) throws NotReady
        {
            switch (side.kind())
            {
                case ROCKSDB:
                    final RocksDbTarget target = RocksDbTarget.openReadOnly(side.path());
                    return new Snapshot(target, target.recoveredLsn(), target);
                case HTTP:
                    final HttpStoreReader reader = new HttpStoreReader(side.name(), side.url());
                    try
                    {
                        reader.snapshot();
                    }
                    catch (final HttpStoreReader.Busy ex)
                    {
                        throw new NotReady(ex.getMessage());
                    }
                    return new Snapshot(reader, reader.appliedLsn(), null);
                default:
                    return null;
            }
        }

        @Override
        public void close()
        {
            CloseHelper.quietClose(closer);
        }
    }

    /**
     * The last replay of each journal side, kept across attempts while the other side stays at the same LSN.
     */
    private static final class Replays
    {
        private final Map<String, GlobalStore> stores = new HashMap<>();
        private final Map<String, Long> lsns = new HashMap<>();

        /**
         * @return a replay of the journal up to {@code toLsn}, which it must hold from its very first record.
         */
        GlobalStore replay(final Side side, final long toLsn)
        {
            if (Long.valueOf(toLsn).equals(lsns.get(side.name())))
            {
                return stores.get(side.name());
            }
            try (Journal journal = Journal.openReadOnly(side.path()))
            {
                if (journal.startLsn() > 0)
                {
                    throw new IllegalStateException("journal does not start at LSN 0, its records before LSN " +
                        journal.startLsn() + " are purged, so it cannot rebuild the data: journal=" + side.path());
                }
                if (journal.completeLsn() < toLsn)
                {
                    throw new IllegalStateException("journal ends before the store's applied LSN: journal=" +
                        side.path() + " end=" + journal.completeLsn() + " appliedLsn=" + toLsn);
                }
                final GlobalStore store = DataCheck.replay(journal, toLsn);
                stores.put(side.name(), store);
                lsns.put(side.name(), toLsn);
                return store;
            }
        }
    }

    private int report(final StoreCheck.Result result)
    {
        out.printf("  globals compared: %d, differing: %d%n", result.globals(), result.differingGlobals().size());
        for (final StoreCheck.Range range : result.ranges())
        {
            out.printf("  differs: %s ^%s from %s to %s: %d nodes (%d only left, %d only right, %d different values)"
                + "%n", range.global().database(), range.global().global(), node(range.first()), node(range.last()),
                range.nodes(), range.onlyLeft(), range.onlyRight(), range.differentValues());
        }
        if (result.moreRanges())
        {
            out.printf("  ... more differing ranges (raise --limit)%n");
        }
        out.println(result.isEqual() ? "EQUAL" : "DIFFERENT globals=" + result.differingGlobals().size());
        return result.isEqual() ? 0 : 1;
    }

    private static String node(final String subscripts)
    {
        return subscripts.isEmpty() ? "(root)" : subscripts;
    }
}
