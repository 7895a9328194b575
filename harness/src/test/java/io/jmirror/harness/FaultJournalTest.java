package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal damage the soak injects is always found: a flipped bit or a torn record cuts the journal short on
 * reopening, never silently kept.
 */
class FaultJournalTest
{
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Data");

    @TempDir
    Path dir;

    @Test
    void aFlippedBitCutsTheJournalShortAtTheDamagedRecord() throws Exception
    {
        for (int seed = 1; seed <= 5; seed++)
        {
            final Path journalDir = dir.resolve("flip-" + seed);
            final long tail = write(journalDir, 100);
            final String what = FaultJournal.flipBit(journalDir, new Random(seed));
            assertTrue(what.startsWith("bit "), what);
            try (Journal reopened = Journal.open(context(journalDir)))
            {
                assertTrue(reopened.tailLsn() < tail, "seed " + seed + ": " + what + " tail " + reopened.tailLsn() +
                    " of " + tail);
            }
        }
    }

    @Test
    void aTornRecordAfterTheLastOneIsRemovedAndTheRecordsBeforeItKept() throws Exception
    {
        final Path journalDir = dir.resolve("torn");
        final long tail = write(journalDir, 20);
        final String what = FaultJournal.tearTail(journalDir, new Random(7));
        assertTrue(what.startsWith("torn record"), what);
        try (Journal reopened = Journal.open(context(journalDir)))
        {
            assertEquals(tail, reopened.tailLsn(), what);
        }
        try (Journal again = Journal.open(context(journalDir)))
        {
            assertEquals(tail, again.tailLsn(), "the torn bytes are gone: " + what);
        }
    }

    private static long write(final Path journalDir, final int records)
    {
        try (Journal journal = Journal.open(context(journalDir)))
        {
            final JournalAppender appender = journal.newAppender();
            for (int i = 0; i < records; i++)
            {
                appender.set(0, GLOBAL, SubscriptKey.of(i), ("value-" + i).getBytes(StandardCharsets.UTF_8));
            }
            while (journal.completeLsn() < journal.tailLsn())
            {
                Thread.onSpinWait();
            }
            return journal.tailLsn();
        }
    }

    private static JournalContext context(final Path journalDir)
    {
        return new JournalContext().journalDir(journalDir).mirrorName("TEST").fileLength(1 << 20);
    }
}
