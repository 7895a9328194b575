package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.mirror.Member;
import io.jmirror.mirror.MemberContext;
import io.jmirror.dejournal.StoreTarget;
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
import io.jmirror.shipper.ReceiverContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code status DIR} reads a primary's and a member's counters from their status files, as another process would.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatusCommandTest
{
    @TempDir
    Path dir;

    @Test
    void showsTransferAndDejournalStatusByName() throws Exception
    {
        final Path primaryDir = dir.resolve("primary");
        final Path memberDir = dir.resolve("backup");
        try (Journal journal = Journal.open(new JournalContext().journalDir(primaryDir.resolve("journal"))
            .fileLength(1024 * 1024).mirrorName("S").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true).statusDir(primaryDir)
                .member(AllowedMember.of("backup", MemberRole.BACKUP))
                .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
            Member member = Member.start(new MemberContext().target(new StoreTarget(new GlobalStore())).workers(2)
                .receiverContext(new ReceiverContext().memberName("backup").role(MemberRole.BACKUP).mirrorName("S")
                    .primaryAddress(primary.address()).insecure(true).statusDir(memberDir)
                    .journalContext(new JournalContext().journalDir(memberDir.resolve("journal")).mirrorName("S")
                        .syncPolicy(SyncPolicy.NONE)))))
        {
            final JournalAppender appender = journal.newAppender();
            for (int i = 0; i < 1000; i++)
            {
                appender.set(0, GlobalName.of("DB", "G" + (i % 7)), SubscriptKey.of(i), new byte[32]);
            }
            final long end = journal.tailLsn();
            final String endText = String.format("%,d", end);
            String memberOut = "";
            String primaryOut = "";
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline)
            {
                memberOut = status(memberDir);
                primaryOut = status(primaryDir);
                if ("CAUGHT_UP".equals(field(memberOut, "dejournal backup", "state")) &&
                    endText.equals(field(memberOut, "dejournal backup", "appliedLsn")) &&
                    "ACTIVE".equals(field(primaryOut, "member backup", "transferStatus")) &&
                    endText.equals(field(primaryOut, "primary", "completeLsn")))
                {
                    break;
                }
                Thread.sleep(50);
            }
            assertEquals("STREAMING", field(memberOut, "receiver backup", "linkState"), memberOut);
            assertEquals("CAUGHT_UP", field(memberOut, "dejournal backup", "state"), memberOut);
            assertEquals(endText, field(memberOut, "dejournal backup", "appliedLsn"), memberOut);
            long workerRecords = 0;
            for (int worker = 0; worker < 2; worker++)
            {
                workerRecords += Long.parseLong(field(memberOut, "worker backup/" + worker, "records")
                    .replace(",", ""));
                assertTrue(field(memberOut, "worker backup/" + worker, "queueDepth").matches("[0-9,]+"), memberOut);
            }
            assertEquals(field(memberOut, "dejournal backup", "recordsApplied"), String.format("%,d", workerRecords),
                "per-worker records add up: " + memberOut);

            assertEquals("ACTIVE", field(primaryOut, "member backup", "transferStatus"), primaryOut);
            assertEquals(endText, field(primaryOut, "primary", "completeLsn"), primaryOut);
            assertEquals("not fenced", field(primaryOut, "primary", "fencedEpoch"), primaryOut);
            assertEquals("no", field(primaryOut, "primary", "waitingForBackupRelease"), primaryOut);
            assertTrue(field(primaryOut, "member backup", "rawBytesPerSecond").endsWith(" B/s"), primaryOut);
            assertTrue(field(primaryOut, "member backup", "lastSeen").endsWith("s ago)"), primaryOut);
            assertEquals("0 B", field(primaryOut, "member backup", "lagBytes"), primaryOut);
            assertEquals("DOWN", field(primaryOut, "member dr-1", "transferStatus"), "never connected: " + primaryOut);
            assertEquals("never", field(primaryOut, "member dr-1", "lastSeen"), primaryOut);
            assertEquals("BACKUP", field(primaryOut, "member backup", "role"), primaryOut);
            assertEquals("DR_ASYNC", field(primaryOut, "member dr-1", "role"), "a DOWN member's role: " + primaryOut);
        }
    }

    @Test
    void aRefusedMemberIsShownDownWithTheRejectReasonAndItsText() throws Exception
    {
        final Path primaryDir = dir.resolve("primary");
        final Path memberDir = dir.resolve("dr-1");
        try (Journal journal = Journal.open(new JournalContext().journalDir(primaryDir.resolve("journal"))
            .fileLength(1024 * 1024).mirrorName("S").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true).statusDir(primaryDir)
                .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
            Member member = Member.start(new MemberContext().target(new StoreTarget(new GlobalStore()))
                .receiverContext(new ReceiverContext().memberName("dr-1").role(MemberRole.BACKUP).mirrorName("S")
                    .primaryAddress(primary.address()).insecure(true).statusDir(memberDir)
                    .journalContext(new JournalContext().journalDir(memberDir.resolve("journal")).mirrorName("S")
                        .syncPolicy(SyncPolicy.NONE)))))
        {
            String primaryOut = "";
            String memberOut = "";
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline)
            {
                primaryOut = status(primaryDir);
                memberOut = status(memberDir);
                if ("ROLE_MISMATCH".equals(field(primaryOut, "member dr-1", "lastReject")) &&
                    String.valueOf(field(memberOut, "receiver dr-1", "lastError")).contains("ROLE_MISMATCH"))
                {
                    break;
                }
                Thread.sleep(50);
            }
            assertEquals("DOWN", field(primaryOut, "member dr-1", "transferStatus"), primaryOut);
            assertEquals("ROLE_MISMATCH", field(primaryOut, "member dr-1", "lastReject"), primaryOut);
            final String reason = field(primaryOut, "member dr-1", "lastReason");
            assertTrue(reason.startsWith("rejected ROLE_MISMATCH: ") && reason.contains("role=BACKUP") &&
                reason.contains("allowed=DR_ASYNC"), "the text says what was asked and what is allowed: " + primaryOut);
            assertTrue(field(memberOut, "receiver dr-1", "lastError").contains("ROLE_MISMATCH"), memberOut);
            assertTrue(!"STREAMING".equals(field(memberOut, "receiver dr-1", "linkState")), memberOut);
        }
    }

    /**
     * @return the value of {@code name} in the block headed {@code group} of the status output, or null.
     */
    private static String field(final String text, final String group, final String name)
    {
        boolean inGroup = false;
        for (final String line : text.split("\n"))
        {
            if (!line.startsWith(" "))
            {
                inGroup = line.equals(group);
            }
            else if (inGroup && line.trim().startsWith(name + " "))
            {
                return line.trim().substring(name.length()).trim();
            }
        }
        return null;
    }

    @Test
    void aDirectoryWithoutAStatusFileIsNamed()
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final CommandLine commandLine = JmirrorCli.commandLine();
        commandLine.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
        assertEquals(2, commandLine.execute("status", dir.resolve("nothing").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no status file in"), err.toString());
    }

    @Test
    void watchRefreshesTheGivenNumberOfTimes() throws Exception
    {
        try (io.jmirror.journal.StatusFile file = io.jmirror.journal.StatusFile.create(dir, 8))
        {
            file.newCounter(io.jmirror.journal.StatusCounterType.MEMBER_TRANSFER_STATUS, "x").setRelease(3);
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            assertEquals(0, new CommandLine(new StatusCommand().output(out)).execute(dir.toString(), "--watch",
                "--interval", "10ms", "--count", "3"));
            final String text = bytes.toString(StandardCharsets.UTF_8);
            assertEquals(3, text.split("status of ", -1).length - 1, text);
            assertTrue(text.contains("TROUBLE"), text);
        }
    }

    @Test
    void statesAreDecodedByTypeIdAndKeyNotByLabel() throws Exception
    {
        try (io.jmirror.journal.StatusFile file = io.jmirror.journal.StatusFile.create(dir, 8))
        {
            final org.agrona.concurrent.status.CountersManager manager =
                (org.agrona.concurrent.status.CountersManager)file.reader();
            final int typeId = io.jmirror.journal.StatusCounterType.MEMBER_TRANSFER_STATUS.typeId();
            manager.newCounter("a label that says linkState", typeId,
                (key) -> io.jmirror.journal.StatusCounterDescriptor.encodeKey(key, "x", -1)).setRelease(2);
            manager.newCounter("dejournal=x state", 999_999).setRelease(3);
            final String text = status(dir);
            assertEquals("ACTIVE", field(text, "member x", "transferStatus"), text);
            assertEquals("3", field(text, "other", "dejournal=x state"), text); // unknown type: a number by its label
        }
    }

    @Test
    void aFailoverNodesRoleIsShownByName() throws Exception
    {
        try (io.jmirror.journal.StatusFile file = io.jmirror.journal.StatusFile.create(dir, 8))
        {
            file.newCounter(io.jmirror.journal.StatusCounterType.NODE_ROLE, "node-a")
                .setRelease(io.jmirror.mirror.MirrorNode.Role.FENCED.ordinal());
            new io.jmirror.journal.StatusText(file, io.jmirror.journal.StatusCounterType.NODE_REASON, "node-a")
                .set("a member knows a higher epoch");
            final String text = status(dir);
            assertEquals("FENCED", field(text, "node node-a", "role"), text);
            assertEquals("a member knows a higher epoch", field(text, "node node-a", "reason"), text);
        }
    }

    private static String status(final Path dir)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(0, new CommandLine(new StatusCommand().output(out)).execute(dir.toString()));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
