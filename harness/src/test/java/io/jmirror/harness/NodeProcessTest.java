package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's {@code @ready} line goes to its start, never to a command another thread sends while it starts.
 */
class NodeProcessTest
{
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCommandSentWhileTheNodeStartsIsRefusedAndTheStartSeesItsReadyLine() throws Exception
    {
        final List<String> args = List.of("primary", "--dir", dir.resolve("primary").toString(), "--member",
            "m1:DR_ASYNC");
        try (NodeProcess node = new NodeProcess("primary", args, dir.resolve("primary.log"), "256m"))
        {
            final AtomicBoolean isStarting = new AtomicBoolean(true);
            final AtomicInteger refused = new AtomicInteger();
            final List<String> answers = new CopyOnWriteArrayList<>();
            final List<String> otherErrors = new CopyOnWriteArrayList<>();
            // A status poller that keeps asking through the start, as the soak's monitor does across a restart.
            final Thread poller = new Thread(() ->
            {
                while (isStarting.get())
                {
                    try
                    {
                        answers.addAll(node.call("digests", Duration.ofSeconds(5)));
                    }
                    catch (final IllegalStateException ex)
                    {
                        if (ex.getMessage().contains("is not running"))
                        {
                            refused.incrementAndGet();
                        }
                        else
                        {
                            otherErrors.add(ex.getMessage());
                        }
                    }
                }
            }, "status-poller");
            poller.start();
            final String ready;
            try
            {
                ready = node.start(START);
            }
            finally
            {
                isStarting.set(false);
                poller.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertNotNull(NodeProcess.field(ready, "port"), "the start got the @ready line: " + ready);
            assertTrue(refused.get() > 0, "the poller ran while the node started");
            // Calls after the start returned may be answered, but no answer may hold the start's line.
            assertTrue(answers.stream().noneMatch((line) -> line.startsWith("@ready")), answers.toString());
            assertEquals(List.of(), otherErrors);
            final List<String> digests = node.call("digests", Duration.ofSeconds(10));
            assertTrue(digests.get(digests.size() - 1).startsWith("@ok"), digests.toString());
        }
    }
}
