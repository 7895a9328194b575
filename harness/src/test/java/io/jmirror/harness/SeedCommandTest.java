package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code jmirror seed} copies a member's store at its applied LSN into a new member's directory, and refuses what
 * would leave a new member unable to tell where to start.
 */
class SeedCommandTest
{
    @TempDir
    Path dir;

    @Test
    void aSeedHoldsTheSourceStoresDataAndAppliedLsn()
    {
        final GlobalStore expected = new GlobalStore();
        final long lsn = sourceStore(dir.resolve("node-1").resolve(MemberStore.ROCKSDB_DIR), expected);
        final String text = seed(0, "--from", dir.resolve("node-1").toString(), "--to",
            dir.resolve("node-2").toString());
        assertTrue(text.contains("at applied LSN " + lsn), text);
        try (RocksDbTarget seeded = RocksDbTarget.open(dir.resolve("node-2").resolve(MemberStore.ROCKSDB_DIR)))
        {
            assertEquals(lsn, seeded.recoveredLsn());
            assertEquals(expected.digests(), seeded.digests());
        }
        final String again = seed(2, "--from", dir.resolve("node-1").toString(), "--to",
            dir.resolve("node-2").toString());
        assertTrue(again.contains("the new member already has a store"), again);
    }

    @Test
    void aStoreWithoutACheckpointOrNoStoreIsRefused() throws Exception
    {
        try (RocksDbTarget target = RocksDbTarget.open(dir.resolve("fresh")))
        {
            assertEquals(-1, target.recoveredLsn());
        }
        final String text = seed(2, "--from", dir.resolve("fresh").toString(), "--to", dir.resolve("new").toString());
        assertTrue(text.contains("the store has no checkpointed applied LSN"), text);
        Files.createDirectories(dir.resolve("nothing"));
        final String none = seed(2, "--from", dir.resolve("nothing").toString(), "--to", dir.resolve("new").toString());
        assertTrue(none.contains("no RocksDB store in"), none);
    }

    /**
     * A journal applied to a RocksDB store and checkpointed at its end.
     *
     * @return the checkpointed LSN.
     */
    private long sourceStore(final Path storeDir, final GlobalStore expected)
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal"))
            .fileLength(1024 * 1024).mirrorName("S").syncPolicy(SyncPolicy.NONE));
            RocksDbTarget target = RocksDbTarget.open(storeDir))
        {
            final JournalAppender appender = journal.newAppender();
            for (int i = 0; i < 300; i++)
            {
                appender.set(0, GlobalName.of("DB", "G" + (i % 7)), SubscriptKey.of(i), new byte[] {(byte)i});
            }
            final StoreTarget reference = new StoreTarget(expected);
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                while (reader.poll((record) ->
                {
                    target.apply(record, 0);
                    reference.apply(record, 0);
                }, 1000) > 0)
                {
                    // drain
                }
            }
            target.checkpoint(journal.completeLsn());
            return journal.completeLsn();
        }
    }

    private static String seed(final int expectedExit, final String... args)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final CommandLine commandLine = JmirrorCli.commandLine();
        ((SeedCommand)commandLine.getSubcommands().get("seed").getCommand()).output(out);
        commandLine.setErr(new PrintWriter(out, true));
        final String[] all = new String[args.length + 1];
        all[0] = "seed";
        System.arraycopy(args, 0, all, 1, args.length);
        final int exit = commandLine.execute(all);
        final String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, text);
        return text;
    }
}
