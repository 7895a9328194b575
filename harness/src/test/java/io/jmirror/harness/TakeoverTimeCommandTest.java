package io.jmirror.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code jmirror takeover-time}: a takeover happens in each trial, and no sooner than the QoS timeout allows.
 */
@Timeout(120)
class TakeoverTimeCommandTest
{
    @TempDir
    Path dir;

    @Test
    void eachTrialTakesOverAfterTheQosTimeoutAndWithinTwoSecondsOfIt()
    {
        final PrintStream original = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final int status;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            status = JmirrorCli.execute("takeover-time", "--trials", "2", "--qos-timeout-ms", "500",
                "--backlog-mb", "2", "--dir", dir.toString());
        }
        finally
        {
            System.setOut(original);
        }
        final String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out);
        assertTrue(out.contains("PASS trials=2 qosTimeoutMs=500"), out);
        final Matcher trial = Pattern.compile("trial \\d: takeoverMs=(\\d+)").matcher(out);
        int trials = 0;
        while (trial.find())
        {
            final long ms = Long.parseLong(trial.group(1));
            assertTrue(ms >= 500, "took over before the arbiter could have lost the primary: " + ms);
            trials++;
        }
        assertEquals(2, trials, out);
    }
}
