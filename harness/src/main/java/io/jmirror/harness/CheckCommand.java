package io.jmirror.harness;

import io.jmirror.dejournal.DataCheck;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.journal.Journal;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jmirror check A B}: the data check between two journals (a primary's and a member's copy, or two members'),
 * each replayed into an in-memory store and compared global by global.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Data check: replay two journal directories into in-memory stores and compare them global by "
        + "global; report the globals that differ and the first differing node of each.",
        "Exit code 0 when equal, 1 when they differ."})
final class CheckCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "LEFT", description = "A journal directory.")
    Path left;

    @Parameters(index = "1", paramLabel = "RIGHT", description = "Another journal directory.")
    Path right;

    @Option(names = "--to", defaultValue = "-1", description = "Replay both up to this LSN (default: the smaller of "
        + "the two journals' ends, so a member that is behind is compared with the primary at the same point).")
    long toLsn;

    @Option(names = "--limit", defaultValue = "20", description = "Differences to print (default: "
        + "${DEFAULT-VALUE}).")
    int limit;

    private PrintStream out = System.out;

    CheckCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    @Override
    public Integer call()
    {
        try (Journal a = Journal.openReadOnly(left); Journal b = Journal.openReadOnly(right))
        {
            final long to = toLsn >= 0 ? toLsn : Math.min(a.completeLsn(), b.completeLsn());
            final GlobalStore storeA = DataCheck.replay(a, to);
            final GlobalStore storeB = DataCheck.replay(b, to);
            final List<GlobalStore.Difference> differences = DataCheck.compare(storeA, storeB);
            out.printf("check: %s (end %d) vs %s (end %d), both replayed to LSN %d: %d globals, %d nodes on the "
                + "left, %d on the right%n", left, a.completeLsn(), right, b.completeLsn(), to,
                storeA.globals().size(), storeA.size(), storeB.size());
            for (int i = 0; i < Math.min(limit, differences.size()); i++)
            {
                final GlobalStore.Difference d = differences.get(i);
                out.printf("  differs: %s ^%s first at %s: left=%s right=%s%n", d.database(), d.global(), d.node(),
                    printable(d.left()), printable(d.right()));
            }
            out.println(differences.isEmpty() ? "EQUAL" : "DIFFERENT globals=" + differences.size());
            return differences.isEmpty() ? 0 : 1;
        }
    }

    /**
     * @return the value with control characters as {@code \xNN}, so binary values print on one readable line.
     */
    static String printable(final String value)
    {
        if (null == value)
        {
            return "(none)";
        }
        final StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f)
            {
                out.append(String.format("\\x%02x", (int)c));
            }
            else
            {
                out.append(c);
            }
        }
        return out.toString();
    }
}
