package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code jmirror catchup-time}: a RocksDB member restarted 50 000 records behind catches up, with progress lines, to
 * a store equal to what the primary wrote.
 */
@Timeout(180)
class CatchupTimeCommandTest
{
    @TempDir
    Path dir;

    @Test
    void aRocksDbMemberRestartedBehindCatchesUpToAnEqualStore()
    {
        final Captured out = new Captured();
        final Path work = dir.resolve("work");
        final int exit = new CommandLine(new CatchupTimeCommand().output(out.stream())).execute("--records", "50000",
            "--keys", "20000", "--store", "rocksdb", "--workers", "2", "--file-size", "1048576", "--dir",
            work.toString(), "--progress-every", "100ms");
        final String last = out.lastLine();
        assertEquals(0, exit, out.text());
        assertTrue(last.startsWith("PASS records=50000 "), last);
        assertTrue(last.contains(" caughtUp=true digests=equal nodes=20000"), last);
        assertTrue(figure(last, "journalMiB") > 4.0, "50 000 SETs of 100 bytes: " + last);
        assertTrue(figure(last, "seconds") > 0 && figure(last, "recordsPerSecond") > 0, last);
        assertTrue(out.text().contains("the primary wrote 50000 records"), out.text());
        assertFalse(Files.exists(work), "the working directory is deleted without --keep");
    }

    @Test
    void aMemberThatCannotCatchUpInTimeFails()
    {
        final Captured out = new Captured();
        final int exit = new CommandLine(new CatchupTimeCommand().output(out.stream())).execute("--records", "200000",
            "--keys", "1000", "--store", "memory", "--workers", "1", "--dir", dir.resolve("slow").toString(),
            "--timeout", "1ms", "--keep");
        assertEquals(1, exit, out.text());
        assertTrue(out.lastLine().startsWith("FAIL ") && out.lastLine().contains("caughtUp=false"), out.text());
        assertTrue(Files.isDirectory(dir.resolve("slow").resolve("backup").resolve("journal")), "kept with --keep");
    }

    private static double figure(final String line, final String name)
    {
        final Matcher matcher = Pattern.compile("\\b" + name + "=([0-9.]+)").matcher(line);
        assertTrue(matcher.find(), name + " in " + line);
        return Double.parseDouble(matcher.group(1));
    }
}
