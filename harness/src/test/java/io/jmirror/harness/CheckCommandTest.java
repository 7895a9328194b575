package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CheckCommandTest
{
    @TempDir
    Path dir;

    @Test
    void equalJournalsAreEqualAndADifferentValueIsNamed()
    {
        write(dir.resolve("a"), 0);
        write(dir.resolve("b"), 0);
        write(dir.resolve("c"), 77);
        final String same = check(0, dir.resolve("a"), dir.resolve("b"));
        assertTrue(same.trim().endsWith("EQUAL"), same);
        final String different = check(1, dir.resolve("a"), dir.resolve("c"));
        assertTrue(different.contains("differs: DB ^G2 first at ^G2(77): left=\\x00"), different);
        assertTrue(different.trim().endsWith("DIFFERENT globals=1"), different);
    }

    private static void write(final Path journalDir, final int changedKey)
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(journalDir).fileLength(1024 * 1024)
            .mirrorName("C").syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = journal.newAppender();
            for (int i = 0; i < 500; i++)
            {
                final byte[] value = new byte[16];
                value[0] = (byte)(i == changedKey && changedKey != 0 ? 1 : 0);
                appender.set(0, GlobalName.of("DB", "G" + (i % 5)), SubscriptKey.of(i), value);
            }
        }
    }

    private static String check(final int expectedExit, final Path left, final Path right)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final int exit = new CommandLine(new CheckCommand().output(out)).execute(left.toString(), right.toString());
        final String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, text);
        return text;
    }
}
