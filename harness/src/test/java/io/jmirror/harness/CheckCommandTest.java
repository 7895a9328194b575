package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
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
        assertTrue(different.contains("differs: DB ^G2 from (77) to (77): 1 nodes (0 only left, 0 only right, 1 "
            + "different values)"), different);
        assertTrue(different.trim().endsWith("DIFFERENT globals=1"), different);
    }

    @Test
    void twoMembersStoresAtTheSameLsnAreEqualAndAnAlteredOneNamesTheGlobalAndRange()
    {
        write(dir.resolve("a"), 0);
        final long end = store(dir.resolve("a"), dir.resolve("store-1"), null);
        store(dir.resolve("a"), dir.resolve("store-2"), null);
        // The same records, then ten nodes of ^G3 that only this store has and one changed value of ^G1: an apply
        // bug that a comparison of the journals cannot see.
        write(dir.resolve("extra"), -1);
        assertEquals(end, store(dir.resolve("a"), dir.resolve("altered"), dir.resolve("extra")));

        // read-only beside a member that has the store open for writing
        try (RocksDbTarget running = RocksDbTarget.open(dir.resolve("store-1")))
        {
            final String same = check(0, "rocksdb:" + dir.resolve("store-1"), "rocksdb:" + dir.resolve("store-2"));
            assertTrue(same.contains("both at applied LSN " + end), same);
            assertTrue(same.trim().endsWith("EQUAL"), same);
        }

        final String different = check(1, "rocksdb:" + dir.resolve("store-1"), "rocksdb:" + dir.resolve("altered"));
        assertTrue(different.contains("differs: DB ^G1 from (6) to (6): 1 nodes (0 only left, 0 only right, 1 "
            + "different values)"), different);
        assertTrue(different.contains("differs: DB ^G3 from (1000) to (1009): 10 nodes (0 only left, 10 only right, "
            + "0 different values)"), different);
        assertTrue(different.trim().endsWith("DIFFERENT globals=2"), different);
    }

    @Test
    void aStoreIsComparedWithItsJournalReplayedToItsAppliedLsn()
    {
        write(dir.resolve("a"), 0);
        final long end = store(dir.resolve("a"), dir.resolve("store"), null);
        final String same = check(0, "rocksdb:" + dir.resolve("store"), dir.resolve("a").toString());
        assertTrue(same.contains("replayed to LSN " + end), same);
        write(dir.resolve("extra"), -1);
        store(dir.resolve("a"), dir.resolve("altered"), dir.resolve("extra"));
        final String different = check(1, "journal:" + dir.resolve("a"), "rocksdb:" + dir.resolve("altered"));
        assertTrue(different.contains("DB ^G3 from (1000) to (1009): 10 nodes (0 only left, 10 only right"),
            different);
    }

    @Test
    void storesAtDifferentAppliedLsnsAreNotCompared()
    {
        write(dir.resolve("a"), 0);
        final long end = store(dir.resolve("a"), dir.resolve("store-1"), null);
        try (RocksDbTarget target = RocksDbTarget.open(dir.resolve("store-2")))
        {
            target.checkpoint(8);
        }
        final String text = check(2, "rocksdb:" + dir.resolve("store-1"), "rocksdb:" + dir.resolve("store-2"),
            "--wait", "300ms");
        assertTrue(text.contains("jmirror check: the stores are at different applied LSNs: left=" + end + " right=8"),
            text);
    }

    /**
     * Apply a journal to a new RocksDB store, then the records of {@code extra} if given, and checkpoint the first
     * journal's end.
     *
     * @return the checkpointed LSN.
     */
    private static long store(final Path journalDir, final Path storeDir, final Path extra)
    {
        try (Journal journal = Journal.openReadOnly(journalDir); RocksDbTarget target = RocksDbTarget.open(storeDir))
        {
            applyAll(journal, target);
            if (null != extra)
            {
                try (Journal more = Journal.openReadOnly(extra))
                {
                    applyAll(more, target);
                }
            }
            target.checkpoint(journal.completeLsn());
            return journal.completeLsn();
        }
    }

    private static void applyAll(final Journal journal, final RocksDbTarget target)
    {
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) ->
            {
                if (record.type().isNodeRecord())
                {
                    target.apply(record, 0);
                }
            }, 1000) > 0)
            {
                // drain
            }
        }
    }

    /**
     * @param changedKey a key of ^G2 whose value differs, 0 for none, or -1 for the alteration: ^G3(1000..1009) and
     *                   a new value of ^G1(6).
     */
    private static void write(final Path journalDir, final int changedKey)
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(journalDir).fileLength(1024 * 1024)
            .mirrorName("C").syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = journal.newAppender();
            if (changedKey < 0)
            {
                for (int i = 1000; i < 1010; i++)
                {
                    appender.set(0, GlobalName.of("DB", "G3"), SubscriptKey.of(i), new byte[16]);
                }
                appender.set(0, GlobalName.of("DB", "G1"), SubscriptKey.of(6), new byte[] {9});
                return;
            }
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
        return check(expectedExit, left.toString(), right.toString());
    }

    static String check(final int expectedExit, final String... args)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final CommandLine commandLine = JmirrorCli.commandLine();
        final CommandLine check = commandLine.getSubcommands().get("check");
        ((CheckCommand)check.getCommand()).output(out);
        commandLine.setErr(new java.io.PrintWriter(out, true));
        final String[] all = new String[args.length + 1];
        all[0] = "check";
        System.arraycopy(args, 0, all, 1, args.length);
        final int exit = commandLine.execute(all);
        final String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, text);
        return text;
    }
}
