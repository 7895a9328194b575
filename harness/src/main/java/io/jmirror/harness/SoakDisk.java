package io.jmirror.harness;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The failover soak's disk figures: what each node's directory holds (its journal, and the rest: store and status
 * files), sampled with the roles, and whether that stays flat. Journal files are counted at their length (they are
 * preallocated), so the figure is what the node may use, not what the file system has filled in.
 * <p>
 * Purge removes whole files, so a node's use moves in steps of a file; once the journal retention has passed, it
 * holds the files written within the retention, its newest and the few kept for reuse, and goes up and down by a
 * file or two around that, and with the write rate over the retention. The check is on the journal, what purge
 * governs: the store grows with the application's data (the soak's workload adds nodes with every transaction),
 * whichever store holds it. It compares the highest journal use in the run's last quarter with the highest in its
 * second quarter: more than {@link #ALLOWANCE_FILES} files, or a quarter
 * of the second quarter's highest when that is more, is growth. It is made only when the second quarter
 * starts after the retention and a purge interval, so that purging had its chance; shorter runs say {@code n/a}.
 */
final class SoakDisk
{
    /** Files a flat node may hold more at the end than in the second quarter: the newest one and one for reuse. */
    static final int ALLOWANCE_FILES = 2;
    private static final double MIB = 1024.0 * 1024.0;

    /**
     * One node's figures over the run.
     *
     * @param node             the node.
     * @param startBytes       at the first sample.
     * @param maxBytes         the highest.
     * @param endBytes         at the last sample.
     * @param secondQuarterMax the highest in the second quarter of the run.
     * @param lastQuarterMax   the highest in the last quarter.
     * @param allowanceBytes   how much more the last quarter may hold and still be flat.
     */
    record NodeDisk(String node, long startBytes, long maxBytes, long endBytes, long secondQuarterMax,
        long lastQuarterMax, long allowanceBytes)
    {
        long growthBytes()
        {
            return lastQuarterMax - secondQuarterMax;
        }

        boolean grew()
        {
            return growthBytes() > allowanceBytes;
        }
    }

    /**
     * The run's verdict on disk use.
     *
     * @param nodes     each node's figures.
     * @param checked   whether the run was long enough to judge.
     * @param flat      whether no node grew by more than its allowance (true when not checked).
     */
    record Verdict(List<NodeDisk> nodes, boolean checked, boolean flat)
    {
        long maxGrowthBytes()
        {
            return nodes.stream().mapToLong(NodeDisk::growthBytes).max().orElse(0);
        }

        /**
         * @return for the final line: {@code diskMiB=node-a:1.0/8.0/4.0,... diskGrowthMiB=0.0 diskFlat=true}, the
         * three figures per node start/max/end.
         */
        String text()
        {
            final StringBuilder text = new StringBuilder("diskMiB=");
            for (int i = 0; i < nodes.size(); i++)
            {
                final NodeDisk node = nodes.get(i);
                text.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%s:%.1f/%.1f/%.1f", node.node(),
                    node.startBytes() / MIB, node.maxBytes() / MIB, node.endBytes() / MIB));
            }
            return text.append(String.format(Locale.ROOT, " diskGrowthMiB=%.1f diskFlat=%s", maxGrowthBytes() / MIB,
                checked ? Boolean.toString(flat) : "n/a")).toString();
        }

        /**
         * @return why the disk use is not flat, or null.
         */
        String problem()
        {
            if (!checked || flat)
            {
                return null;
            }
            final StringBuilder what = new StringBuilder("disk use grew from the second quarter to the end " +
                "(highest in each, MiB):");
            for (final NodeDisk node : nodes)
            {
                if (node.grew())
                {
                    what.append(String.format(Locale.ROOT, " %s %.1f -> %.1f (allowed +%.1f)", node.node(),
                        node.secondQuarterMax() / MIB, node.lastQuarterMax() / MIB, node.allowanceBytes() / MIB));
                }
            }
            return what.toString();
        }
    }

    private SoakDisk()
    {
    }

    /**
     * @return {@code [journal bytes, other bytes]} under the node's directory; files removed while it is walked (a
     * purge) are skipped; zeros when the directory does not exist (a wiped node).
     */
    static long[] use(final Path nodeDir)
    {
        final long[] bytes = new long[2];
        if (!Files.isDirectory(nodeDir))
        {
            return bytes;
        }
        final Path journal = nodeDir.resolve("journal");
        try
        {
            Files.walkFileTree(nodeDir, new SimpleFileVisitor<>()
            {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs)
                {
                    bytes[file.startsWith(journal) ? 0 : 1] += attrs.size();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(final Path file, final IOException ex)
                {
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final IOException ex)
        {
            // what was counted before the failure stands: a sample, not an audit
        }
        return bytes;
    }

    /**
     * @param samples         the sampler's samples.
     * @param retainMs        the nodes' journal retention.
     * @param purgeIntervalMs how often they purge.
     * @param fileSize        their journal file size.
     * @return each node's figures and whether its use stayed flat.
     */
    static Verdict verdict(final List<SoakSampler.NodeSample> samples, final long retainMs, final long purgeIntervalMs,
        final long fileSize)
    {
        final long endMs = samples.stream().mapToLong(SoakSampler.NodeSample::elapsedMs).max().orElse(0);
        final long quarterMs = endMs / 4;
        final List<NodeDisk> nodes = new ArrayList<>();
        for (final String node : samples.stream().map(SoakSampler.NodeSample::node).distinct().toList())
        {
            final List<SoakSampler.NodeSample> own = samples.stream().filter((s) -> s.node().equals(node)).toList();
            long max = 0;
            long secondQuarterMax = 0;
            long lastQuarterMax = 0;
            for (final SoakSampler.NodeSample sample : own)
            {
                max = Math.max(max, sample.diskBytes());
                final long bytes = sample.journalBytes();
                if (sample.elapsedMs() >= quarterMs && sample.elapsedMs() < 2 * quarterMs)
                {
                    secondQuarterMax = Math.max(secondQuarterMax, bytes);
                }
                if (sample.elapsedMs() >= 3 * quarterMs)
                {
                    lastQuarterMax = Math.max(lastQuarterMax, bytes);
                }
            }
            nodes.add(new NodeDisk(node, own.get(0).diskBytes(), max, own.get(own.size() - 1).diskBytes(),
                secondQuarterMax, lastQuarterMax, Math.max(ALLOWANCE_FILES * fileSize, secondQuarterMax / 4)));
        }
        final boolean checked = !nodes.isEmpty() && quarterMs >= retainMs + purgeIntervalMs;
        final boolean flat = nodes.stream().noneMatch(NodeDisk::grew);
        return new Verdict(nodes, checked, !checked || flat);
    }
}
