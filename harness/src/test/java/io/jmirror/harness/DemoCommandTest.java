package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's main command, shortened: three processes, progress lines, catch-up, the data check, PASS.
 */
class DemoCommandTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theDemoRunsThreeProcessesAndPasses() throws Exception
    {
        final Captured out = new Captured();
        final Path work = dir.resolve("work");
        final int exit = new CommandLine(new DemoCommand().output(out.stream())).execute("--duration", "6s",
            "--work-dir", work.toString(), "--file-size", String.valueOf(16 << 20), "--log-dir",
            dir.resolve("logs").toString());
        final String last = out.lastLine();
        assertTrue(last.startsWith("PASS "), out.text());
        assertEquals(0, exit);
        assertTrue(last.contains("dataCheck=equal") && last.contains("caughtUp=true") && last.contains("members=2"),
            last);
        assertTrue(out.text().contains("| backup ") && out.text().contains("| dr1 "), "progress lines name members");
        assertTrue(Files.exists(dir.resolve("logs").resolve("dr1.log")), "logs kept");
        assertTrue(!Files.exists(work), "data removed");
        assertTrue(ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive), "every process stopped");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void theFailoverDemoKillsThePrimaryAndLosesNoAcknowledgedCommit() throws Exception
    {
        final Captured out = new Captured();
        final Path work = dir.resolve("failover");
        final int exit = new CommandLine(new DemoCommand().output(out.stream())).execute("--failover",
            "--duration", "6s", "--qos-timeout-ms", "1000", "--work-dir", work.toString());
        final String last = out.lastLine();
        assertTrue(last.startsWith("PASS failovers=1 "), out.text());
        assertEquals(0, exit);
        assertTrue(last.contains("lostAcked=0") && last.contains("dataCheck=equal") && last.contains("epoch=2"),
            last);
        assertTrue(out.text().contains("node-a rejoined as backup"), out.text());
        assertTrue(ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive), "every process stopped");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aPrimaryThatClaimsCommitsItNeverMadeFailsTheFailoverDemo() throws Exception
    {
        final Captured out = new Captured();
        final int exit = new CommandLine(new DemoCommand().output(out.stream())).execute("--failover",
            "--duration", "6s", "--qos-timeout-ms", "1000", "--overstate-acks", "25",
            "--work-dir", dir.resolve("broken").toString());
        final String last = out.lastLine();
        assertTrue(last.startsWith("FAIL "), out.text());
        // up to 25: commits it made between the demo's last look and the kill shrink the overstatement
        final java.util.regex.Matcher lost = java.util.regex.Pattern.compile("lostAcked=(\\d+)").matcher(last);
        assertTrue(lost.find(), last);
        final int lostAcked = Integer.parseInt(lost.group(1));
        assertTrue(lostAcked > 0 && lostAcked <= 25, last);
        assertEquals(1, exit);
    }
}
