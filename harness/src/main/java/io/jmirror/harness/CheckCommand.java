package io.jmirror.harness;

import io.jmirror.dejournal.DataCheck;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.StoreCheck;
import io.jmirror.dejournal.StoreReader;
import io.jmirror.journal.Journal;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jmirror check LEFT RIGHT}: the data check (IRIS's DataCheck) between two copies of the data, each a member's
 * RocksDB store ({@code rocksdb:PATH}, read-only, also while its member runs) or a journal directory replayed into an
 * in-memory store ({@code journal:PATH} or a bare path). Both are compared at the same applied LSN: per-global digests
 * first, then the differing subscript ranges of each global that differs.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Data check: compare two copies of the data at the same applied LSN, per-global digests first, "
        + "then the differing subscript ranges of each global that differs.",
        "LEFT and RIGHT are each rocksdb:PATH (a member's store, opened read-only, also while the member runs: it is "
        + "read as of its last checkpoint) or journal:PATH / PATH (a journal directory replayed into memory). "
        + "A journal is replayed to the other side's applied LSN; two stores must be at the same applied LSN "
        + "(the check waits up to --wait for that, e.g. for members of an idle primary).",
        "Exit code 0 when equal, 1 when they differ, 2 when they cannot be compared."})
final class CheckCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "LEFT", description = "rocksdb:PATH, journal:PATH or a journal directory.")
    String left;

    @Parameters(index = "1", paramLabel = "RIGHT", description = "rocksdb:PATH, journal:PATH or a journal directory.")
    String right;

    @Option(names = "--to", defaultValue = "-1", description = "Two journals: replay both up to this LSN (default: "
        + "the smaller of the two journals' ends, so a member that is behind is compared with the primary at the "
        + "same point).")
    long toLsn;

    @Option(names = "--limit", defaultValue = "20", description = "Differing ranges to print (default: "
        + "${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--wait", defaultValue = "10s", converter = DurationConverter.class, description = "Two stores: "
        + "how long to wait for their applied LSNs to be equal (default: ${DEFAULT-VALUE}).")
    Duration wait;

    private PrintStream out = System.out;

    CheckCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    /**
     * One side of the check, as given on the command line.
     */
    private record Side(String text, Path path, boolean isStore)
    {
        static Side parse(final String text)
        {
            if (text.startsWith("rocksdb:"))
            {
                return new Side(text, Path.of(text.substring("rocksdb:".length())), true);
            }
            return new Side(text, Path.of(text.startsWith("journal:") ? text.substring("journal:".length()) : text),
                false);
        }
    }

    @Override
    public Integer call() throws InterruptedException
    {
        final Side a = Side.parse(left);
        final Side b = Side.parse(right);
        if (!a.isStore() && !b.isStore())
        {
            return twoJournals(a, b);
        }
        if (a.isStore() && b.isStore())
        {
            return twoStores(a, b);
        }
        final Side store = a.isStore() ? a : b;
        final Side journal = a.isStore() ? b : a;
        try (RocksDbTarget target = RocksDbTarget.openReadOnly(store.path());
            Journal replayed = Journal.openReadOnly(journal.path()))
        {
            final long at = target.recoveredLsn();
            final GlobalStore memory = replay(replayed, journal, at);
            out.printf("check: %s (applied LSN %d) vs %s replayed to LSN %d%n", store.text(), at, journal.text(), at);
            return report(a.isStore() ? target : memory, a.isStore() ? memory : target);
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
            return report(storeA, storeB);
        }
    }

    private int twoStores(final Side a, final Side b) throws InterruptedException
    {
        final long deadline = System.nanoTime() + wait.toNanos();
        while (true)
        {
            try (RocksDbTarget storeA = RocksDbTarget.openReadOnly(a.path());
                RocksDbTarget storeB = RocksDbTarget.openReadOnly(b.path()))
            {
                if (storeA.recoveredLsn() == storeB.recoveredLsn())
                {
                    out.printf("check: %s vs %s, both at applied LSN %d%n", a.text(), b.text(),
                        storeA.recoveredLsn());
                    return report(storeA, storeB);
                }
                if (System.nanoTime() - deadline >= 0)
                {
                    throw new IllegalStateException("the stores are at different applied LSNs: left=" +
                        storeA.recoveredLsn() + " right=" + storeB.recoveredLsn() + " (waited " + wait + "): check " +
                        "them when the primary is idle, or check each against the primary's journal");
                }
            }
            Thread.sleep(200);
        }
    }

    /**
     * @return a replay of the journal up to {@code toLsn}, which it must hold from its very first record.
     */
    private static GlobalStore replay(final Journal journal, final Side side, final long toLsn)
    {
        if (journal.startLsn() > 0)
        {
            throw new IllegalStateException("journal does not start at LSN 0, its records before LSN " +
                journal.startLsn() + " are purged, so it cannot rebuild the data: journal=" + side.path());
        }
        if (journal.completeLsn() < toLsn)
        {
            throw new IllegalStateException("journal ends before the store's applied LSN: journal=" + side.path() +
                " end=" + journal.completeLsn() + " appliedLsn=" + toLsn);
        }
        return DataCheck.replay(journal, toLsn);
    }

    private int report(final StoreReader a, final StoreReader b)
    {
        final StoreCheck.Result result = StoreCheck.compare(a, b, limit);
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
