package io.jmirror.shipper;

import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Without TLS nothing authenticates a member, so any process that says HELLO as the backup could acknowledge
 * commits: plain TCP is for loopback addresses only, on both sides.
 */
class InsecureLoopbackTest
{
    @TempDir
    Path dir;

    @Test
    void anInsecurePrimaryListensOnLoopbackOnly()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE)))
        {
            final ShipperException ex = assertThrows(ShipperException.class, () -> new PrimaryContext()
                .journal(journal).insecure(true).member(AllowedMember.of("backup-1", MemberRole.BACKUP))
                .bindAddress(new InetSocketAddress("0.0.0.0", 0)).conclude());
            assertEquals(ShipperException.Code.INVALID_CONFIG, ex.code());
            assertTrue(ex.getMessage().contains("loopback addresses only: bindAddress=/0.0.0.0:0"), ex.getMessage());
        }
    }

    @Test
    void anInsecureMemberConnectsToLoopbackOnly()
    {
        final ShipperException ex = assertThrows(ShipperException.class, () -> new ReceiverContext()
            .memberName("backup-1").insecure(true).primaryAddress(new InetSocketAddress("192.0.2.1", 4700))
            .journalContext(new JournalContext().journalDir(Path.of("unused"))).conclude());
        assertEquals(ShipperException.Code.INVALID_CONFIG, ex.code());
        assertTrue(ex.getMessage().contains("connects to loopback addresses only"), ex.getMessage());
    }

    @Test
    void loopbackIsAccepted()
    {
        assertDoesNotThrow(() -> new ReceiverContext().memberName("backup-1").insecure(true)
            .primaryAddress(new InetSocketAddress("127.0.0.1", 4700))
            .journalContext(new JournalContext().journalDir(Path.of("unused"))).conclude());
    }
}
