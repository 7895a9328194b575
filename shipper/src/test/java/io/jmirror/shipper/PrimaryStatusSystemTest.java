package io.jmirror.shipper;

import static io.jmirror.shipper.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The primary's status shows every configured member, connected or not: DOWN with when it was last seen and why,
 * transfer rates from its byte counters, and the same in its typed status counters.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PrimaryStatusSystemTest
{
    private static final long WAIT_MS = 20_000;

    @TempDir
    Path dir;
    private Journal journal;
    private Primary primary;
    private Receiver receiver;

    @AfterEach
    void closeAll()
    {
        CloseHelper.quietCloseAll(receiver, primary, journal);
    }

    @Test
    void everyConfiguredMemberIsShownConnectedOrNot()
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary")).fileLength(1024 * 1024)
            .mirrorName("S").syncPolicy(SyncPolicy.NONE));
        primary = Primary.start(new PrimaryContext().journal(journal).insecure(true).statusDir(dir.resolve("status"))
            .member(AllowedMember.of("backup", MemberRole.BACKUP))
            .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));

        final List<MemberStatus> before = primary.memberStatus();
        assertEquals(List.of("backup", "dr-1"), before.stream().map(MemberStatus::name).sorted().toList());
        for (final MemberStatus status : before)
        {
            assertEquals("DOWN", status.transferStatus(), status.toString());
            assertEquals("never connected", status.reason());
            assertEquals(0, status.lastSeenMs());
        }

        receiver = Receiver.start(receiverContext("backup", MemberRole.BACKUP));
        final JournalAppender appender = journal.newAppender();
        for (int i = 0; i < 2000; i++)
        {
            appender.set(0, GlobalName.of("DB", "G"), SubscriptKey.of(i), new byte[64]);
        }
        await(() -> "ACTIVE".equals(primary.memberStatus("backup").transferStatus()) &&
            primary.memberStatus("backup").durableLsn() == journal.tailLsn(), WAIT_MS,
            () -> "not ACTIVE: " + primary.memberStatus());
        await(() -> primary.memberStatus("backup").rawBytesPerSecond() > 0, WAIT_MS,
            () -> "no transfer rate: " + primary.memberStatus());
        final MemberStatus active = primary.memberStatus("backup");
        assertTrue(active.sentBytesPerSecond() > 0, active.toString());
        assertTrue(active.lastSeenMs() > 0, active.toString());
        assertEquals("DOWN", primary.memberStatus("dr-1").transferStatus());
        assertEquals(TransferStatus.ACTIVE.ordinal(),
            primary.status().value(StatusCounterType.MEMBER_TRANSFER_STATUS, "backup", -1));
        assertEquals(TransferStatus.DOWN.ordinal(),
            primary.status().value(StatusCounterType.MEMBER_TRANSFER_STATUS, "dr-1", -1));

        final long tail = journal.tailLsn();
        receiver.close();
        await(() -> "DOWN".equals(primary.memberStatus("backup").transferStatus()), WAIT_MS,
            () -> "not DOWN: " + primary.memberStatus());
        final MemberStatus down = primary.memberStatus("backup");
        assertTrue(down.lastSeenMs() > 0, down.toString());
        assertEquals(tail, down.durableLsn(), down.toString());
        assertTrue(down.reason().length() > 0 && !"never connected".equals(down.reason()), down.toString());
        assertEquals(down.lastSeenMs(), primary.status().value(StatusCounterType.MEMBER_LAST_SEEN_MS, "backup", -1));
        assertEquals(down.reason(), primary.status().text(StatusCounterType.MEMBER_LAST_REASON, "backup"),
            "the status file says why the member left, as the API does");
    }

    @Test
    void aRefusedMemberShowsDownWithTheRejectReason()
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary")).fileLength(1024 * 1024)
            .mirrorName("S").syncPolicy(SyncPolicy.NONE));
        primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
            .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
        receiver = Receiver.start(receiverContext("dr-1", MemberRole.BACKUP));
        await(() -> primary.status().value(StatusCounterType.MEMBER_LAST_REJECT, "dr-1", 0) != 0, WAIT_MS,
            () -> "no reject counted: " + primary.memberStatus());
        assertEquals(RejectReason.ROLE_MISMATCH.code(),
            primary.status().value(StatusCounterType.MEMBER_LAST_REJECT, "dr-1", 0));
        await(() -> primary.memberStatus("dr-1").reason().contains("ROLE_MISMATCH"), WAIT_MS,
            () -> "" + primary.memberStatus());
        assertEquals("DOWN", primary.memberStatus("dr-1").transferStatus());
        final String text = primary.status().text(StatusCounterType.MEMBER_LAST_REASON, "dr-1");
        assertTrue(text.startsWith("rejected ROLE_MISMATCH: ") && text.contains("dr-1"), text);
        await(() -> String.valueOf(receiver.statusFile().text(StatusCounterType.RECEIVER_LAST_ERROR, "dr-1"))
            .contains("ROLE_MISMATCH"), WAIT_MS, () -> "the member's own status file does not say why: " +
            receiver.statusFile().counters());
    }

    @Test
    void aFailureOfTheJournalsOwnAgentIsCountedInThePrimarysStatus() throws Exception
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary")).fileLength(1024 * 1024)
            .mirrorName("S").syncPolicy(SyncPolicy.NONE));
        primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
            .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
        assertEquals(0, primary.status().value(StatusCounterType.PRIMARY_JOURNAL_ERRORS, "", -1));
        // the sync agent's error handler, as its AgentRunner calls it when forcing to disk fails
        final java.lang.reflect.Method handler = Journal.class.getDeclaredMethod("onAgentError", Throwable.class);
        handler.setAccessible(true);
        handler.invoke(journal, new java.io.IOException("No space left on device"));
        assertEquals(1, journal.agentErrors());
        assertTrue(journal.lastAgentError().contains("No space left on device"), journal.lastAgentError());
        await(() -> primary.status().value(StatusCounterType.PRIMARY_JOURNAL_ERRORS, "", -1) == 1, WAIT_MS,
            () -> "not in the status file: " + primary.status().counters());
    }

    @Test
    void theMeterBinderShowsLagAndTransferRatePerConfiguredMember()
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary")).fileLength(1024 * 1024)
            .mirrorName("S").syncPolicy(SyncPolicy.NONE));
        primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
            .member(AllowedMember.of("backup", MemberRole.BACKUP))
            .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new PrimaryMeterBinder(primary).bindTo(registry);
        assertEquals(0, registry.get("jmirror.member.up").tag("member", "dr-1").gauge().value());
        assertEquals(0, registry.get("jmirror.primary.fenced").gauge().value());

        receiver = Receiver.start(receiverContext("backup", MemberRole.BACKUP));
        final JournalAppender appender = journal.newAppender();
        for (int i = 0; i < 2000; i++)
        {
            appender.set(0, GlobalName.of("DB", "G"), SubscriptKey.of(i), new byte[64]);
        }
        final Gauge rawRate = registry.get("jmirror.member.transfer.rate").tags("member", "backup", "bytes", "raw")
            .gauge();
        final Gauge lagBytes = registry.get("jmirror.member.lag.bytes").tag("member", "backup").gauge();
        await(() -> rawRate.value() > 0, WAIT_MS, () -> "no transfer rate: " + primary.memberStatus());
        await(() -> 0 == lagBytes.value(), WAIT_MS, () -> "lag: " + primary.memberStatus());
        assertEquals(1, registry.get("jmirror.member.up").tag("member", "backup").gauge().value());
        assertTrue(registry.get("jmirror.member.transfer.rate").tags("member", "backup", "bytes", "sent").gauge()
            .value() > 0);
        assertEquals(journal.tailLsn(), registry.get("jmirror.member.transfer.bytes")
            .tags("member", "backup", "bytes", "raw").functionCounter().count());
        assertTrue(registry.get("jmirror.member.lag.ms").tag("member", "backup").gauge().value() >= 0);
    }

    private ReceiverContext receiverContext(final String name, final MemberRole role)
    {
        return new ReceiverContext().memberName(name).role(role).mirrorName("S").primaryAddress(primary.address())
            .insecure(true).reconnectIntervalMs(20)
            .journalContext(new JournalContext().journalDir(dir.resolve(name)).mirrorName("S")
                .syncPolicy(SyncPolicy.NONE));
    }
}
