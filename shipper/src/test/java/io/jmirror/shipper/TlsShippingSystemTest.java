package io.jmirror.shipper;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jmirror.shipper.Await.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Shipping over mutual TLS with a CA generated at test time: an allowed member with its own certificate receives
 * the journal; a certificate from another CA fails the handshake; a valid certificate under another member's name
 * is refused as UNAUTHORIZED. A refused member gets zero journal bytes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsShippingSystemTest
{
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Tls");

    @TempDir
    static Path pkiDir;
    private static TestPki pki;

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Journal journal;
    private Primary primary;

    @BeforeAll
    static void createPki() throws Exception
    {
        pki = TestPki.create(pkiDir, "primary", "backup-1", "dr-1");
    }

    @BeforeEach
    void startPrimary()
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary")).fileLength(256 * 1024)
            .mirrorName("TLS").syncPolicy(SyncPolicy.NONE));
        closeables.add(journal);
        primary = Primary.start(new PrimaryContext()
            .journal(journal)
            .tls(pki.config("primary"))
            .member(AllowedMember.of("backup-1", MemberRole.BACKUP))
            .member(AllowedMember.of("dr-2", MemberRole.DR_ASYNC)));
        closeables.add(primary);
        final JournalAppender appender = journal.newAppender();
        final SubscriptKey key = new SubscriptKey();
        for (int i = 0; i < 2_000; i++)
        {
            appender.set(i, GLOBAL, key.clear().add(i), ("value-" + i).getBytes());
        }
    }

    @AfterEach
    void closeAll()
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(closeables.get(i));
        }
    }

    private Receiver receiver(final String name, final MemberRole role, final TlsConfig tls)
    {
        final Receiver receiver = Receiver.start(new ReceiverContext()
            .memberName(name)
            .role(role)
            .mirrorName("TLS")
            .primaryAddress(primary.address())
            .tls(tls)
            .reconnectIntervalMs(50)
            .journalContext(new JournalContext().journalDir(dir.resolve(name)).mirrorName("TLS")
                .syncPolicy(SyncPolicy.NONE)));
        closeables.add(receiver);
        return receiver;
    }

    @Test
    void aMemberRefusesAPrimaryWhoseCertificateNamesSomeoneElse()
    {
        final Receiver receiver = Receiver.start(new ReceiverContext().memberName("backup-1").role(MemberRole.BACKUP)
            .mirrorName("TLS").primaryAddress(primary.address()).tls(pki.config("backup-1")).primaryName("dr-1")
            .reconnectIntervalMs(50).journalContext(new JournalContext().journalDir(dir.resolve("checking"))
                .mirrorName("TLS").syncPolicy(SyncPolicy.NONE)));
        closeables.add(receiver);
        Await.await(() -> null != receiver.status().lastError() &&
            receiver.status().lastError().contains("primary certificate names another member: certified=primary " +
            "expected=dr-1"), 30_000, () -> "not refused: " + receiver.status());
        assertNull(receiver.journal(), "not a byte was taken from it");

        final Receiver right = Receiver.start(new ReceiverContext().memberName("backup-1").role(MemberRole.BACKUP)
            .mirrorName("TLS").primaryAddress(primary.address()).tls(pki.config("backup-1")).primaryName("primary")
            .reconnectIntervalMs(50).journalContext(new JournalContext().journalDir(dir.resolve("right"))
                .mirrorName("TLS").syncPolicy(SyncPolicy.NONE)));
        closeables.add(right);
        final long tail = journal.tailLsn();
        Await.await(() -> right.receivedLsn() >= tail, 30_000, () -> "the named primary not followed: " +
            right.status());
    }

    @Test
    void anAllowedMemberReceivesTheJournalOverMutualTls() throws Exception
    {
        final Receiver receiver = receiver("backup-1", MemberRole.BACKUP, pki.config("backup-1"));
        final long tail = journal.tailLsn();
        await(() -> receiver.receivedLsn() == tail, 30_000, () -> "not caught up: " + receiver.status());
        final String name = io.jmirror.journal.JournalFileDescriptor.fileName(0);
        assertArrayEquals(Files.readAllBytes(dir.resolve("primary").resolve(name)),
            Files.readAllBytes(dir.resolve("backup-1").resolve(name)));
    }

    @Test
    void aCertificateFromAnotherAuthorityFailsTheHandshake()
    {
        final Receiver intruder = receiver("backup-1", MemberRole.BACKUP, pki.intruderConfig());
        await(() -> null != intruder.status().lastError(), 30_000, () -> "no failure: " + intruder.status());
        await(() -> primary.errors() > 0, 30_000, () -> "primary counted no failed handshake");
        assertNull(intruder.journal(), "no journal bytes for an unauthenticated member");
        assertFalse(Files.exists(
            dir.resolve("backup-1").resolve(io.jmirror.journal.JournalFileDescriptor.fileName(0))));
    }

    @Test
    void aValidCertificateUnderAnotherNameIsUnauthorized()
    {
        final Receiver impostor = receiver("dr-2", MemberRole.DR_ASYNC, pki.config("dr-1"));
        await(() -> null != impostor.status().lastError() && impostor.status().lastError().contains("UNAUTHORIZED"),
            30_000, () -> "not refused: " + impostor.status());
        assertNull(impostor.journal(), "no journal bytes for an unauthorized member");
        assertEquals(0, impostor.status().bytesReceived());
    }
}
