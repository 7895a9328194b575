package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoakDiskTest
{
    private static final long MIB = 1024 * 1024;
    private static final long FILE = MIB;

    @TempDir
    Path dir;

    /**
     * A sample a second for 400 s; {@code bytesAt} gives the disk use at each second.
     */
    private static List<SoakSampler.NodeSample> run(final String node, final LongUnaryOperator bytesAt)
    {
        final List<SoakSampler.NodeSample> samples = new ArrayList<>();
        for (long second = 0; second <= 400; second++)
        {
            samples.add(new SoakSampler.NodeSample(second * 1000, node, "BACKUP", 1, 0, 0, bytesAt.applyAsLong(second),
                0));
        }
        return samples;
    }

    @Test
    void useThatRisesThenStaysWithinAFileOrTwoIsFlat()
    {
        // fills for the retention (60 s), then goes up and down by a file as purge takes whole files
        final SoakDisk.Verdict verdict = SoakDisk.verdict(run("node-b", (s) -> Math.min(s, 60) * FILE / 4 +
            (s % 20 < 10 ? FILE : 0)), 60_000, 10_000, FILE);
        assertTrue(verdict.checked());
        assertTrue(verdict.flat(), verdict.text());
        assertNull(verdict.problem());
        final SoakDisk.NodeDisk node = verdict.nodes().get(0);
        assertEquals(FILE, node.startBytes());
        assertEquals(16 * FILE, node.maxBytes());
        assertEquals(16 * FILE, node.endBytes());
        assertTrue(verdict.text().startsWith("diskMiB=node-b:1.0/16.0/16.0 diskGrowthMiB=0.0 diskFlat=true"),
            verdict.text());
    }

    @Test
    void useThatKeepsGrowingIsNot()
    {
        // a node that never purges: a file every 10 s
        final List<SoakSampler.NodeSample> samples = new ArrayList<>(run("node-a", (s) -> 2 * FILE));
        samples.addAll(run("dr1", (s) -> (1 + s / 10) * FILE));
        final SoakDisk.Verdict verdict = SoakDisk.verdict(samples, 60_000, 10_000, FILE);
        assertTrue(verdict.checked());
        assertFalse(verdict.flat(), verdict.text());
        assertEquals(41 * FILE - 20 * FILE, verdict.nodes().get(1).growthBytes());
        assertFalse(verdict.nodes().get(0).grew());
        final String problem = verdict.problem();
        assertNotNull(problem);
        assertTrue(problem.contains("dr1 20.0 -> 41.0") && !problem.contains("node-a"), problem);
        assertTrue(verdict.text().contains("diskGrowthMiB=21.0 diskFlat=false"), verdict.text());
    }

    @Test
    void aRunShorterThanFourRetentionsIsNotJudged()
    {
        final SoakDisk.Verdict verdict = SoakDisk.verdict(run("dr1", (s) -> (1 + s / 10) * FILE), 120_000, 10_000,
            FILE);
        assertFalse(verdict.checked());
        assertTrue(verdict.flat());
        assertNull(verdict.problem());
        assertTrue(verdict.text().endsWith("diskFlat=n/a"), verdict.text());
    }

    @Test
    void useCountsTheJournalApartFromTheRestOfTheNodeDirectory() throws IOException
    {
        final Path node = dir.resolve("node-a");
        Files.createDirectories(node.resolve("journal"));
        Files.createDirectories(node.resolve("store"));
        Files.write(node.resolve("journal").resolve("journal-0.jrn"), new byte[3000]);
        Files.write(node.resolve("store").resolve("000001.sst"), new byte[700]);
        Files.write(node.resolve("jmirror-status.dat"), new byte[50]);
        assertArrayEquals(new long[] {3000, 750}, SoakDisk.use(node));
        assertArrayEquals(new long[] {0, 0}, SoakDisk.use(dir.resolve("wiped")));
    }
}
