package io.jmirror.shipper;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jmirror.shipper.Await.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Primary#awaitCommitted(long, long)} takes any position a getter returned as well as a record's LSN: it returns
 * once every record starting below the position is durable here and, while the backup is ACTIVE, acked durable by it,
 * and the record starting at the position too once one is appended there. A primary and a backup over loopback.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AwaitCommittedSystemTest
{
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Commit");
    private static final long WAIT_MS = 30_000;
    private static final long LONG_NS = TimeUnit.SECONDS.toNanos(10);
    private static final long SHORT_NS = TimeUnit.MILLISECONDS.toNanos(300);

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Journal journal;
    private JournalAppender appender;
    private Primary primary;
    private Receiver backup;

    @AfterEach
    void closeAll()
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(closeables.get(i));
        }
    }

    private void startPrimary()
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary")).fileLength(256 * 1024)
            .mirrorName("TEST").syncPolicy(SyncPolicy.NONE));
        closeables.add(journal);
        appender = journal.newAppender();
        // the QoS timeout is far above any wait here, so a backup with stalled acks stays ACTIVE and keeps gating
        primary = Primary.start(new PrimaryContext().journal(journal).insecure(true).qosTimeoutMs(60_000)
            .member(AllowedMember.of("backup-1", MemberRole.BACKUP)));
        closeables.add(primary);
    }

    private void startActiveBackup()
    {
        backup = Receiver.start(new ReceiverContext().memberName("backup-1").role(MemberRole.BACKUP)
            .mirrorName("TEST").primaryAddress(primary.address()).insecure(true).reconnectIntervalMs(20)
            .qosTimeoutMs(60_000)
            .journalContext(new JournalContext().journalDir(dir.resolve("backup-1")).syncPolicy(SyncPolicy.GROUP)
                .mirrorName("TEST")));
        closeables.add(backup);
        await(() -> null != status() && "ACTIVE".equals(status().transferStatus()), WAIT_MS,
            () -> "not ACTIVE: " + primary.memberStatus());
    }

    private MemberStatus status()
    {
        return primary.memberStatus("backup-1");
    }

    private void awaitAckedToTail()
    {
        final long tail = journal.tailLsn();
        await(() -> status().durableLsn() == tail, WAIT_MS, () -> "backup has not acked the tail: tail=" + tail +
            " status=" + status());
    }

    /** @return the LSN of the TCOMMIT that ends the records. */
    private long append(final int records)
    {
        final SubscriptKey key = new SubscriptKey();
        for (int i = 0; i < records; i++)
        {
            appender.set(i, GLOBAL, key.clear().add(i), new byte[64]);
        }
        return appender.tcommit(records);
    }

    @Test
    void everyPositionAGetterReportsIsCommittedOnceTheBackupAckedIt()
    {
        startPrimary();
        append(50);
        assertTrue(primary.awaitCommitted(journal.tailLsn(), LONG_NS), "no backup: the local journal decides");

        startActiveBackup();
        append(200);
        awaitAckedToTail();
        final MemberStatus status = status();
        final long[] positions =
        {
            journal.startLsn(), journal.recoveredLsn(), journal.completeLsn(), journal.durableLsn(), journal.tailLsn(),
            status.sentLsn(), status.receivedLsn(), status.durableLsn(), backup.receivedLsn(),
            backup.journal().tailLsn(), backup.journal().durableLsn()
        };
        for (final long position : positions)
        {
            assertTrue(primary.awaitCommitted(position, LONG_NS), () -> "awaitCommitted(" + position + ") with " +
                "everything acked: tail=" + journal.tailLsn() + " status=" + status());
        }
        assertEquals("ACTIVE", status().transferStatus(), "the backup gated all along");
    }

    @Test
    void theTailWaitsForTheBackupsAckAndRecordsStillWaitForTheirOwn()
    {
        startPrimary();
        startActiveBackup();
        append(20);
        awaitAckedToTail();

        backup.stallAcks(true);
        final long record = append(10);
        final long tail = journal.tailLsn();
        assertTrue(journal.awaitDurable(tail, LONG_NS), "durable here: only the backup's ack is missing");
        assertFalse(primary.awaitCommitted(tail, SHORT_NS), "the backup has not acked what lies below the tail");
        assertFalse(primary.awaitCommitted(record, SHORT_NS), "nor the last record");
        assertEquals("ACTIVE", status().transferStatus(), "still gating");

        backup.stallAcks(false);
        assertTrue(primary.awaitCommitted(tail, LONG_NS), () -> "acks resumed: " + status());
        assertTrue(primary.awaitCommitted(record, LONG_NS));
        assertEquals("ACTIVE", status().transferStatus());
    }

    @Test
    void aRecordAppendedAtTheAwaitedPositionIsWaitedFor()
    {
        startPrimary();
        startActiveBackup();
        append(20);
        awaitAckedToTail();
        final long position = journal.tailLsn();

        backup.stallAcks(true);
        assertTrue(primary.awaitCommitted(position, LONG_NS), "acked to the position and nothing starts there");
        final long record = appender.tcommit(99);
        assertEquals(position, record, "the next record starts at the old tail");
        assertFalse(primary.awaitCommitted(position, SHORT_NS), "a record now starts at the position: the backup " +
            "must ack it too");

        backup.stallAcks(false);
        assertTrue(primary.awaitCommitted(position, LONG_NS), () -> "acks resumed: " + status());
        assertTrue(status().durableLsn() > position);
    }
}
