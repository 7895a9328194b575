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

    @Test
    void journalBytesSumTheSameOnlyWhenTheBytesAreTheSame() throws Exception
    {
        final Path left = dir.resolve("left");
        final Path right = dir.resolve("right");
        final long tail = write(left, 50);
        java.nio.file.Files.createDirectories(right);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(left))
        {
            for (final Path file : files.toList())
            {
                java.nio.file.Files.copy(file, right.resolve(file.getFileName()));
            }
        }
        java.nio.file.Files.write(right.resolve("free-0.jrn"), new byte[4096]); // a preallocated spare is no record
        assertEquals(SoakJournalCheck.crc(left, tail), SoakJournalCheck.crc(right, tail));
        FaultJournal.flipBit(right, new Random(3));
        org.junit.jupiter.api.Assertions.assertNotEquals(SoakJournalCheck.crc(left, tail),
            SoakJournalCheck.crc(right, tail));
        final IllegalStateException ex = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
            () -> SoakJournalCheck.crc(left, 2L << 20));
        assertTrue(ex.getMessage().contains("journal ends before"), ex.getMessage());
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
