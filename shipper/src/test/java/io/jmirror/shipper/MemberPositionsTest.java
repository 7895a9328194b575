package io.jmirror.shipper;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The primary's record of each member's position survives a restart of the primary, so the restarted primary does not
 * purge files a member still needs; a damaged record is refused with the file and line named, and the primary then
 * holds the whole journal rather than guess.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemberPositionsTest
{
    private static final long FILE_LENGTH = 64 * 1024;

    @TempDir
    Path dir;

    @Test
    void positionsAreWrittenAtomicallyAndReadBack()
    {
        final MemberPositions positions = new MemberPositions(dir);
        assertEquals(new MemberPositions.Persisted(-1, Map.of()), positions.read(), "no file yet: no positions");
        final Map<String, Long> written = new LinkedHashMap<>();
        written.put("backup-1", 4096L);
        written.put("dr-1", 0L);
        positions.write(3, written);
        assertEquals(new MemberPositions.Persisted(3, written), positions.read());
        written.put("dr-1", 8192L);
        positions.write(4, written);
        assertEquals(new MemberPositions.Persisted(4, written), positions.read());
        assertFalse(Files.exists(dir.resolve(MemberPositions.FILE_NAME + ".tmp")), "no temporary file left");
    }

    @Test
    void aDamagedFileIsRefusedNamingTheFileAndLine() throws IOException
    {
        final MemberPositions positions = new MemberPositions(dir);
        positions.write(1, Map.of("dr-1", 4096L));
        final Path file = dir.resolve(MemberPositions.FILE_NAME);
        final String good = Files.readString(file);

        Files.writeString(file, good.replace("4096", "4097"));
        assertRefused(positions, "checksum mismatch", "line=4");
        Files.writeString(file, good.substring(0, good.indexOf("crc32c")));
        assertRefused(positions, "no checksum line", "line=3");
        Files.writeString(file, "something else\n");
        assertRefused(positions, "not a member positions file", "line=1");
    }

    private static void assertRefused(final MemberPositions positions, final String what, final String where)
    {
        final ShipperException ex = assertThrows(ShipperException.class, positions::read);
        assertTrue(ex.getMessage().contains(what) && ex.getMessage().contains(where) &&
            ex.getMessage().contains(positions.file().toString()), ex.getMessage());
    }

    private Journal journal()
    {
        return Journal.open(new JournalContext().journalDir(dir.resolve("journal")).fileLength(FILE_LENGTH)
            .mirrorName("POS").syncPolicy(SyncPolicy.NONE).retainMinFiles(1).retainMs(0));
    }

    private static Primary primary(final Journal journal)
    {
        return Primary.start(new PrimaryContext().journal(journal).insecure(true).memberRetentionMs(60_000)
            .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
    }

    private static void append(final Journal journal, final int records)
    {
        final JournalAppender appender = journal.newAppender();
        for (int i = 0; i < records; i++)
        {
            appender.set(0, GlobalName.of("USER", "Pos"), SubscriptKey.of(i), new byte[100]);
        }
    }

    @Test
    void aRestartedPrimaryKeepsWhatAMemberStillNeeds() throws IOException
    {
        try (Journal journal = journal())
        {
            append(journal, 1_000);
            final long memberLsn = journal.tailLsn();
            try (Primary primary = primary(journal))
            {
                primary.onMemberSeen("dr-1", memberLsn);
                append(journal, 2_000);
                primary.purge();
                assertTrue(journal.startLsn() > 0 && journal.startLsn() <= memberLsn, "purged up to the member only");
            }
            append(journal, 2_000);
            try (Primary restarted = primary(journal))
            {
                assertTrue(restarted.purge() >= 0);
                assertTrue(journal.startLsn() <= memberLsn, "the restarted primary keeps the member's files: " +
                    "startLsn=" + journal.startLsn() + " memberLsn=" + memberLsn);
            }

            // Without the record, a restarted primary knows no member and purges what the member needs.
            Files.delete(dir.resolve("journal").resolve(MemberPositions.FILE_NAME));
            try (Primary forgetful = primary(journal))
            {
                forgetful.purge();
                assertTrue(journal.startLsn() > memberLsn, "control: startLsn=" + journal.startLsn());
            }
        }
    }

    @Test
    void aPrimaryThatCannotListenLeavesTheJournalHoldingNothingForIt() throws IOException
    {
        try (Journal journal = journal())
        {
            append(journal, 1_000);
            final long memberLsn = journal.tailLsn();
            try (Primary primary = primary(journal))
            {
                primary.onMemberSeen("dr-1", memberLsn);
            }
            append(journal, 2_000);
            try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
            {
                final InetSocketAddress busy = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    taken.getLocalPort());
                final ShipperException refused = assertThrows(ShipperException.class, () -> Primary.start(
                    new PrimaryContext().journal(journal).insecure(true).memberRetentionMs(60_000).bindAddress(busy)
                        .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC))));
                assertTrue(refused.getMessage().contains("cannot listen"), refused.getMessage());
            }
            // The failed primary read dr-1's position and held its files; with it gone, the journal purges them.
            journal.purge();
            assertTrue(journal.startLsn() > memberLsn, "nothing holds the member's files after the failed start: " +
                "startLsn=" + journal.startLsn() + " memberLsn=" + memberLsn);
        }
    }

    @Test
    void positionsOfAnOlderEpochHoldFromAtMostTheNextEpochsStart()
    {
        try (Journal journal = journal())
        {
            final long firstEpoch = journal.epoch();
            append(journal, 1_000);
            final long laggingLsn = journal.tailLsn();
            append(journal, 2_000);
            // The primary restarts: a new epoch. A lagging member's position, written in the old one, still holds.
            final long nextStart = journal.startEpoch(firstEpoch + 1, "A");
            final long aheadLsn = nextStart + 4096; // a member that had what this primary lost: it cuts at nextStart
            append(journal, 2_000);
            new MemberPositions(dir.resolve("journal")).write(firstEpoch, Map.of("dr-1", laggingLsn));
            try (Primary primary = primary(journal))
            {
                primary.purge();
                assertTrue(journal.startLsn() <= laggingLsn, "the lagging member's files are kept: startLsn=" +
                    journal.startLsn() + " memberLsn=" + laggingLsn);
            }
            new MemberPositions(dir.resolve("journal")).write(firstEpoch, Map.of("dr-1", aheadLsn));
            try (Primary primary = primary(journal))
            {
                primary.purge();
                assertTrue(journal.startLsn() <= nextStart, "held from the next epoch's start: startLsn=" +
                    journal.startLsn() + " nextStart=" + nextStart);
            }
        }
    }

    @Test
    void positionsOfAHigherEpochThanTheJournalsAreNotUsed()
    {
        try (Journal journal = journal())
        {
            append(journal, 1_000);
            final long memberLsn = journal.tailLsn();
            append(journal, 2_000);
            // Written in a reign this journal has since been cut back below: it describes another history.
            new MemberPositions(dir.resolve("journal")).write(journal.epoch() + 7, Map.of("dr-1", memberLsn));
            try (Primary primary = primary(journal))
            {
                primary.purge();
                assertTrue(journal.startLsn() > memberLsn, "startLsn=" + journal.startLsn());
            }
        }
    }

    @Test
    void anUnreadableRecordHoldsTheWholeJournalAndIsCounted() throws IOException
    {
        try (Journal journal = journal())
        {
            append(journal, 3_000);
            Files.writeString(dir.resolve("journal").resolve(MemberPositions.FILE_NAME), "torn",
                StandardCharsets.UTF_8);
            final long start = journal.startLsn();
            try (Primary primary = primary(journal))
            {
                assertEquals(1, primary.errors());
                primary.purge();
                assertEquals(start, journal.startLsn(), "nothing purged while the positions are unknown");
            }
            final Map<String, Long> rewritten = new MemberPositions(dir.resolve("journal")).read().positions();
            assertEquals(Map.of(Primary.UNKNOWN_POSITIONS, start), rewritten, "the hold is recorded, not guessed");
        }
    }
}
