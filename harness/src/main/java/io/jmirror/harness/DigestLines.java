package io.jmirror.harness;

import io.jmirror.dejournal.GlobalDigest;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.journal.GlobalName;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A store's per-global digests as control-channel lines ({@code @g database global count sum xor}), and the data
 * check over two such sets: which globals differ, as IRIS DataCheck reports them.
 */
final class DigestLines
{
    private DigestLines()
    {
    }

    /**
     * @return the number of globals written.
     */
    static int write(final GlobalStore store, final PrintStream out)
    {
        return write(store.digests(), out);
    }

    /**
     * @return the number of globals written.
     */
    static int write(final Map<GlobalName, GlobalDigest> digests, final PrintStream out)
    {
        for (final Map.Entry<GlobalName, GlobalDigest> entry : digests.entrySet())
        {
            final GlobalDigest digest = entry.getValue();
            out.println("@g " + entry.getKey().database() + " " + entry.getKey().global() + " " + digest.count() +
                " " + digest.sum() + " " + digest.xor());
        }
        return digests.size();
    }

    /**
     * @return "database global" to "count sum xor", from an answer's lines.
     */
    static Map<String, String> parse(final List<String> lines)
    {
        final Map<String, String> digests = new TreeMap<>();
        for (final String line : lines)
        {
            if (line.startsWith("@g "))
            {
                final String[] parts = line.split(" ");
                digests.put(parts[1] + " " + parts[2], parts[3] + " " + parts[4] + " " + parts[5]);
            }
        }
        return digests;
    }

    /**
     * @return one description per global whose digest differs (missing on one side counts), in name order.
     */
    static List<String> differences(final Map<String, String> expected, final Map<String, String> actual)
    {
        final List<String> differences = new ArrayList<>();
        final TreeSet<String> names = new TreeSet<>(expected.keySet());
        names.addAll(actual.keySet());
        for (final String name : names)
        {
            final String want = expected.get(name);
            final String got = actual.get(name);
            if (null == want || !want.equals(got))
            {
                differences.add(name + ": nodes " + count(want) + " on the primary, " + count(got) + " here" +
                    (null != want && null != got && count(want).equals(count(got)) ? " (values differ)" : ""));
            }
        }
        return differences;
    }

    private static String count(final String digest)
    {
        return null == digest ? "0" : digest.substring(0, digest.indexOf(' '));
    }

    /**
     * @return the total node count of a digest set.
     */
    static long nodes(final Map<String, String> digests)
    {
        long nodes = 0;
        for (final String digest : digests.values())
        {
            nodes += Long.parseLong(count(digest));
        }
        return nodes;
    }
}
