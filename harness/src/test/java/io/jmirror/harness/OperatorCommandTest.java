package io.jmirror.harness;

import io.jmirror.mirror.OperatorRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The command leaves the request where a node takes it and prints the node's answer; here a thread plays the node
 * (MirrorNodeLinkCutSystemTest drives a real one).
 */
@Timeout(30)
class OperatorCommandTest
{
    @TempDir
    Path dir;

    private Thread node(final String answer, final AtomicReference<String> taken)
    {
        final Thread thread = new Thread(() ->
        {
            try
            {
                final Path request = dir.resolve(OperatorRequests.REQUEST_FILE);
                final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
                while (!Files.exists(request))
                {
                    if (System.nanoTime() - deadline > 0)
                    {
                        taken.set("no request within 20 s");
                        return;
                    }
                    Thread.sleep(5);
                }
                taken.set(Files.readString(request).trim());
                Files.delete(request);
                Files.writeString(dir.resolve(OperatorRequests.ANSWER_FILE), answer + "\n");
            }
            catch (final Exception ex)
            {
                taken.set("failed: " + ex);
            }
        });
        thread.start();
        return thread;
    }

    private int run(final ByteArrayOutputStream bytes, final String... args)
    {
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        return new CommandLine(new OperatorCommand().output(out)).execute(args);
    }

    @Test
    void aForceReachesTheNodeWithItsReasonAndTheAnswerIsPrinted() throws Exception
    {
        final AtomicReference<String> taken = new AtomicReference<>();
        final Thread node = node("forced: member=node-a epoch=3", taken);
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(0, run(bytes, dir.toString(), "force", "--why", "backup site lost"));
        node.join();
        assertEquals("force backup site lost", taken.get());
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("forced: member=node-a epoch=3"), bytes.toString());
    }

    @Test
    void aRefusalExitsOneAndNoAnswerExitsTwo() throws Exception
    {
        final AtomicReference<String> taken = new AtomicReference<>();
        final Thread node = node("refused: only a primary hands over", taken);
        assertEquals(1, run(new ByteArrayOutputStream(), dir.toString(), "handover"));
        node.join();
        assertEquals("handover", taken.get());

        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(2, run(bytes, dir.toString(), "promote", "--wait", "200ms"));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("no answer from the node"), bytes.toString());
        assertEquals("promote", Files.readString(dir.resolve(OperatorRequests.REQUEST_FILE)).trim(),
            "the request waits for the node");
    }

    @Test
    void promoteToFailoverAsksTheNodeForTheFailoverSlot() throws Exception
    {
        final AtomicReference<String> taken = new AtomicReference<>();
        final Thread node = node("promotion to failover member requested: member=dr-1", taken);
        assertEquals(0, run(new ByteArrayOutputStream(), dir.toString(), "promote", "--to-failover"));
        node.join();
        assertEquals("promote-to-failover", taken.get());
    }
}
