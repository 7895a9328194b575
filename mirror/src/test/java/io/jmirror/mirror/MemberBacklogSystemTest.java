package io.jmirror.mirror;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A member catching up a backlog several times larger than its heap stays within it: the journal it receives goes
 * to mapped files, and between them and the store every queue is bounded (the dejournal rings, and the transaction
 * markers waiting for the records before them). The member runs in a child JVM with a 48 MiB heap.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MemberBacklogSystemTest
{
    private static final int HEAP_MB = 48;

    @TempDir
    Path dir;

    private static String tail(final Path log)
    {
        try
        {
            final String text = java.nio.file.Files.readString(log);
            return text.substring(Math.max(0, text.length() - 4000));
        }
        catch (final java.io.IOException ex)
        {
            return "(no log: " + ex + ")";
        }
    }

    @Test
    void aBacklogLargerThanTheHeapIsAppliedWithinIt() throws Exception
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(16 * 1024 * 1024).mirrorName("BACKLOG").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC))))
        {
            final JournalAppender appender = journal.newAppender();
            final SubscriptKey key = new SubscriptKey();
            for (int i = 0; i < 400_000; i++)
            {
                // 100 nodes, many records: the store stays small while the backlog grows.
                final byte[] value = new byte[200];
                ByteBuffer.wrap(value).putLong(i);
                final boolean inTransaction = i % 50 == 0;
                if (inTransaction)
                {
                    appender.tstart(i);
                }
                appender.set(inTransaction ? i : 0, GlobalName.of("USER", "G" + (i % 10)), key.clear().add(i % 100),
                    value);
                if (inTransaction)
                {
                    appender.tcommit(i);
                }
            }
            final long end = journal.tailLsn();
            assertTrue(end > 2L * HEAP_MB * 1024 * 1024, "the backlog is larger than the heap: bytes=" + end);

            final Process child = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx" + HEAP_MB + "m",
                "-XX:+ExitOnOutOfMemoryError",
                // The receiver reads frames into one direct buffer as large as the largest frame (32 MiB): a fixed
                // cost, outside the heap, that the default limit (the heap size) would not leave room for.
                "-XX:MaxDirectMemorySize=64m",
                "-cp", System.getProperty("java.class.path"),
                MemberBacklogChild.class.getName(), String.valueOf(primary.address().getPort()),
                dir.resolve("member").toString(), String.valueOf(end)))
                .redirectError(dir.resolve("member.log").toFile()).start();
            String last = null;
            try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while (null != (line = out.readLine()))
                {
                    last = line;
                }
                assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the member did not finish");
            }
            finally
            {
                child.destroyForcibly();
                child.waitFor(20, TimeUnit.SECONDS);
            }
            final String output = last;
            assertEquals(0, child.exitValue(),
                () -> "member output: " + output + "\n" + tail(dir.resolve("member.log")));
            assertNotNull(last);
            assertTrue(last.startsWith("applied " + end + " nodes 100 "), last);
        }
    }
}
