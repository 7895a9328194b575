package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The soak in the suite: {@code soak --duration 60s --report DIR}, a mirror with failover as separate processes on
 * 127.0.0.1 under the default fault plan, which must fail over at least once and pass; a history that claims commits
 * never made, which it must fail; and the soak without failover, with a deliberately broken member it must fail.
 */
class SoakCommandTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aOneMinuteFailoverSoakUnderTheDefaultFaultPlanFailsOverAndPasses() throws Exception
    {
        final Path report = dir.resolve("report");
        final Captured out = new Captured();
        final int exit = new CommandLine(new SoakCommand().output(out.stream())).execute("--duration", "60s",
            "--report", report.toString(), "--work-dir", dir.resolve("work").toString(), "--file-size", "262144",
            "--journal-retain", "8s");
        final String last = out.lastLine();
        // The nodes keep their stores in RocksDB (the default) and purge their journals down to 8 s: a killed node
        // resumes at its store's checkpoint and replays only the journal after it.
        assertTrue(out.text().contains("store=rocksdb"), out.text());
        assertTrue(last.startsWith("PASS "), out.text());
        // a quarter of a minute (the last sample lands a little after 60 s) is shorter than the retention plus the
        // purge interval (8 s + 10 s), so purging has not had its chance: figures, no verdict
        assertTrue(last.contains(" diskFlat=n/a ") && last.contains("diskMiB=node-a:"), last);
        assertEquals(0, exit);
        assertTrue(count(last, "failovers") >= 1, last);
        assertEquals(FaultKind.kinds(true).size(), count(last, "faults"), last);
        assertEquals(0, count(last, "lostAcked"));
        assertEquals(0, count(last, "orderViolations"));
        assertEquals(0, count(last, "digestMismatches"));
        assertEquals(0, count(last, "epochViolations"));
        assertTrue(count(last, "takeoverMaxMs") >= count(last, "takeoverP50Ms") && count(last, "takeoverP50Ms") > 0,
            last);
        assertTrue(count(last, "acked") > 1000, last);
        assertTrue(count(last, "checkpoints") >= 3, last);

        final JsonNode json = new ObjectMapper().readTree(report.resolve("report.json").toFile());
        assertTrue(json.path("result").path("pass").asBoolean(), json.path("result").toString());
        final Set<String> kinds = new HashSet<>();
        json.path("faults").forEach((fault) -> kinds.add(fault.path("kind").asText()));
        for (final FaultKind kind : FaultKind.kinds(true))
        {
            assertTrue(kinds.contains(kind.optionName()), "report has " + kind + ": " + kinds);
        }
        assertTrue(json.path("perSecond").size() >= 50, "a figure per second");
        assertTrue(json.path("samples").size() > 100, "role, epoch and lag samples");
        assertTrue(json.path("samples").get(0).path("journalBytes").asLong() > 0, "disk samples");
        assertEquals(3, json.path("disk").path("nodes").size(), json.path("disk").toString());
        final String html = Files.readString(report.resolve("report.html"), StandardCharsets.UTF_8);
        assertTrue(html.contains("Role and epoch") && html.contains("PRIMARY epoch 2") && html.contains("<polyline")
            && html.contains("p99") && html.contains("stall-primary") && html.contains("Disk use"),
            "html lanes and plots");
        assertTrue(Files.exists(report.resolve("node-a.log")) && Files.exists(report.resolve("arbiter.log")),
            "node logs kept with the report");
        assertTrue(!Files.exists(dir.resolve("work")), "journals deleted after the run");
        assertTrue(ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive), "every process stopped");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aHistoryThatClaimsCommitsNeverMadeFailsTheSoak()
    {
        final Captured out = new Captured();
        final int exit = new CommandLine(new SoakCommand().output(out.stream())).execute("--duration", "8s",
            "--no-faults", "--no-dr", "--checkpoint-every", "4s", "--overstate-acks", "20", "--report",
            dir.resolve("broken").toString(), "--work-dir", dir.resolve("work").toString());
        final String last = out.lastLine();
        assertTrue(last.startsWith("FAIL "), out.text());
        assertEquals(1, exit);
        assertEquals(20, count(last, "lostAcked"), last);
        assertTrue(out.text().contains("acknowledged commit lost"), out.text());
        assertTrue(ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive), "every process stopped");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aOneMinuteSoakWithoutFailoverUnderItsDefaultFaultPlanPasses() throws Exception
    {
        final Path report = dir.resolve("report");
        final Captured out = new Captured();
        final int exit = new CommandLine(new SoakCommand().output(out.stream())).execute("--no-failover",
            "--duration", "60s",
            "--report", report.toString(), "--work-dir", dir.resolve("work").toString(), "--file-size",
            String.valueOf(16 << 20));
        final String last = out.lastLine();
        assertTrue(last.startsWith("PASS "), last);
        assertEquals(0, exit);
        assertEquals(FaultKind.kinds(false).size(), count(last, "faults"), last);
        assertEquals(0, count(last, "lost"));
        assertEquals(0, count(last, "orderViolations"));
        assertEquals(0, count(last, "digestMismatches"));
        assertTrue(count(last, "records") > 10_000, last);
        assertTrue(count(last, "checkpoints") >= 3, last);

        final JsonNode json = new ObjectMapper().readTree(report.resolve("report.json").toFile());
        final Set<String> kinds = new HashSet<>();
        json.path("faults").forEach((fault) -> kinds.add(fault.path("kind").asText()));
        for (final FaultKind kind : FaultKind.kinds(false))
        {
            assertTrue(kinds.contains(kind.optionName()), "report has " + kind + ": " + kinds);
        }
        assertTrue(json.path("result").path("pass").asBoolean(), json.path("result").toString());
        final String html = Files.readString(report.resolve("report.html"), StandardCharsets.UTF_8);
        assertTrue(html.contains("<svg") && html.contains("<polyline") && html.contains("stall-acks"), "html plots");
        assertTrue(Files.exists(report.resolve("primary.log")) && Files.exists(report.resolve("backup.log")),
            "node logs kept with the report");
        assertTrue(!Files.exists(dir.resolve("work")), "journals deleted after the run");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aMemberThatDropsRecordsFailsTheSoak()
    {
        final Path report = dir.resolve("broken");
        final Captured out = new Captured();
        final int exit = new CommandLine(new SoakCommand().output(out.stream())).execute("--no-failover",
            "--duration", "8s", "--no-faults", "--checkpoint-every", "4s", "--sabotage-skip-every", "50", "--report",
            report.toString(), "--work-dir", dir.resolve("work").toString(), "--file-size", String.valueOf(16 << 20),
            "--txn-percent", "0");
        final String last = out.lastLine();
        assertTrue(last.startsWith("FAIL "), last);
        assertEquals(1, exit);
        assertTrue(count(last, "digestMismatches") > 0, last);
        assertTrue(out.text().contains("values differ") || out.text().contains("on the primary"), out.text());
    }

    private static long count(final String line, final String name)
    {
        final Matcher matcher = Pattern.compile("\\b" + name + "=(\\d+)").matcher(line);
        assertTrue(matcher.find(), name + " in " + line);
        return Long.parseLong(matcher.group(1));
    }
}
