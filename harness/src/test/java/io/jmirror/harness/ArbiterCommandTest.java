package io.jmirror.harness;

import io.jmirror.shipper.ArbiterClient;
import io.jmirror.shipper.ArbiterProtocol.Kind;
import io.jmirror.shipper.ArbiterProtocol.Reason;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code jmirror arbiter} as its own process: it answers over loopback, and what it granted survives its restart.
 */
@Timeout(120)
class ArbiterCommandTest
{
    private static final Pattern LISTENING = Pattern.compile("arbiter listening: address=127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    private static Process start(final Path dir, final List<String> lines) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            JmirrorCli.class.getName(), "arbiter", "--dir", dir.toString(), "--insecure",
            "--member", "CLINIC:node-a", "--member", "CLINIC:node-b", "--qos-timeout-ms", "500"));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while (null != (line = out.readLine()))
        {
            lines.add(line);
            if (LISTENING.matcher(line).find())
            {
                break;
            }
        }
        return process;
    }

    private static int port(final List<String> lines)
    {
        for (final String line : lines)
        {
            final Matcher matcher = LISTENING.matcher(line);
            if (matcher.find())
            {
                return Integer.parseInt(matcher.group(1));
            }
        }
        throw new AssertionError("the arbiter never said where it listens: " + lines);
    }

    private static void stop(final Process process) throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            fail("the arbiter did not stop on SIGTERM");
        }
    }

    @Test
    void theArbiterProcessAnswersAndRemembersAcrossARestart() throws Exception
    {
        final List<String> first = new ArrayList<>();
        final Process arbiter = start(dir, first);
        try (ArbiterClient client = new ArbiterClient(new InetSocketAddress("127.0.0.1", port(first)), null, 10_000))
        {
            final ArbiterResponse claim = client.request(new ArbiterRequest(Kind.CLAIM_PRIMARY, "CLINIC", "node-a", 0,
                0));
            assertTrue(claim.isGranted(), claim.toString());
            assertEquals(1, claim.epoch());
            final ArbiterResponse intruder = client.request(new ArbiterRequest(Kind.POLL, "CLINIC", "node-x", 1, 0));
            assertEquals(Reason.UNAUTHORIZED, intruder.reason());
        }
        finally
        {
            stop(arbiter);
        }

        final List<String> second = new ArrayList<>();
        final Process restarted = start(dir, second);
        try (ArbiterClient client = new ArbiterClient(new InetSocketAddress("127.0.0.1", port(second)), null,
            10_000))
        {
            final ArbiterResponse other = client.request(new ArbiterRequest(Kind.CLAIM_PRIMARY, "CLINIC", "node-b", 0,
                0));
            assertEquals(Reason.NOT_PRIMARY, other.reason(), "node-a stays primary of epoch 1 after the restart");
            assertEquals("node-a", other.primary());
            assertEquals(1, other.epoch());
        }
        finally
        {
            stop(restarted);
        }
    }
}
