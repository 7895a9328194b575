package io.jmirror.harness;

import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code jmirror restore}: journal files applied onto a RocksDB store up to a point in time, for chosen databases,
 * then on from the store's checkpoint.
 */
@Timeout(120)
class RestoreCommandTest
{
    @TempDir
    Path dir;

    @Test
    void restoresToAPointInTimeThenOnFromTheCheckpoint()
    {
        final Path journalDir = dir.resolve("journal");
        final long middle;
        try (Journal journal = Journal.open(new JournalContext().journalDir(journalDir).fileLength(1024 * 1024)
            .syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = journal.newAppender();
            for (int i = 0; i < 5_000; i++)
            {
                appender.set(0, GlobalName.of("USER", "G" + (i % 7)), SubscriptKey.of(i), value(i));
                appender.set(0, GlobalName.of("AUDIT", "Log"), SubscriptKey.of(i), value(i));
            }
            middle = journal.tailLsn();
            for (int i = 5_000; i < 10_000; i++)
            {
                appender.set(0, GlobalName.of("USER", "G" + (i % 7)), SubscriptKey.of(i), value(i));
            }
        }
        final Path store = dir.resolve("store");

        final Captured first = new Captured();
        assertEquals(0, new CommandLine(new RestoreCommand().output(first.stream())).execute("--journal",
            journalDir.toString(), "--store", "rocksdb:" + store, "--to", Long.toString(middle), "--database", "USER"),
            first.text());
        assertTrue(first.lastLine().startsWith("DONE restore records=5000 "), first.text());
        try (RocksDbTarget target = RocksDbTarget.open(store))
        {
            assertNotNull(target.get("USER", "G0", SubscriptKey.of(0)));
            assertNull(target.get("USER", "G" + (5_000 % 7), SubscriptKey.of(5_000)), "stopped at --to");
            assertNull(target.get("AUDIT", "Log", SubscriptKey.of(0)), "only the chosen database");
            assertEquals(middle, target.recoveredLsn());
        }

        final Captured second = new Captured();
        assertEquals(0, new CommandLine(new RestoreCommand().output(second.stream())).execute("--journal",
            journalDir.toString(), "--store", "rocksdb:" + store, "--database", "USER"), second.text());
        assertTrue(second.text().contains("from=" + middle), second.text());
        assertTrue(second.lastLine().startsWith("DONE restore records=5000 "), second.text());
        try (RocksDbTarget target = RocksDbTarget.open(store))
        {
            assertArrayEquals(value(9_999), target.get("USER", "G" + (9_999 % 7), SubscriptKey.of(9_999)));
        }
    }

    private static byte[] value(final int i)
    {
        return ("v" + i).getBytes(StandardCharsets.UTF_8);
    }
}
