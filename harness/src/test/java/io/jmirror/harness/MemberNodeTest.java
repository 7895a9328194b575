package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbReadView;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.mirror.Member;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The member node's options as the node wires them: {@code --isolated-readers} reaches the RocksDB store through
 * the order check that wraps it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemberNodeTest
{
    @TempDir
    Path dir;

    @Test
    void aMemberNodeWithIsolatedReadersSaysSoInItsStatusAndItsStoreHidesAnOpenTransaction() throws Exception
    {
        final Path memberDir = dir.resolve("m1");
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(1024 * 1024).mirrorName("JMIRROR").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("m1", MemberRole.DR_ASYNC))))
        {
            final MemberNode node = new MemberNode();
            new CommandLine(node).parseArgs("--dir", memberDir.toString(), "--name", "m1", "--role", "DR_ASYNC",
                "--primary-port", String.valueOf(primary.address().getPort()), "--isolated-readers");
            try (MemberStore store = MemberStore.open(StoreKind.ROCKSDB, memberDir);
                Member member = Member.start(node.context(new OrderCheckingTarget(store, 0))))
            {
                final RocksDbTarget target = (RocksDbTarget)store.target();
                final JournalAppender appender = journal.newAppender();
                final GlobalName left = GlobalName.of("USER", "Left");
                final GlobalName right = GlobalName.of("USER", "Right");
                appender.tstart(7);
                appender.set(7, left, SubscriptKey.of(1), new byte[] {1});
                appender.set(7, right, SubscriptKey.of(1), new byte[] {1});
                awaitApplied(member, journal.tailLsn());

                assertTrue(target.isIsolatingReaders(), "the dejournaler found the RocksDB store behind the check");
                assertEquals(1, StatusSnapshot.read(memberDir).get(StatusCounterType.DEJOURNAL_ISOLATED_READERS, "m1",
                    -1));
                final ByteArrayOutputStream status = new ByteArrayOutputStream();
                try (StatusFile file = StatusFile.openReadOnly(memberDir))
                {
                    StatusCommand.print(file.counters(), new PrintStream(status, true, StandardCharsets.UTF_8));
                }
                assertTrue(status.toString(StandardCharsets.UTF_8).matches("(?s).*isolatedReaders +yes.*"),
                    status.toString(StandardCharsets.UTF_8));

                try (RocksDbReadView view = target.readView())
                {
                    assertNotNull(target.get("USER", "Left", SubscriptKey.of(1)), "applied as it came");
                    assertNull(view.get("USER", "Left", SubscriptKey.of(1)), "hidden while the transaction is open");
                }
                appender.tcommit(7);
                // the TCOMMIT passes through the order check to the store, which then shows the transaction
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (true)
                {
                    try (RocksDbReadView view = target.readView())
                    {
                        final byte[] leftValue = view.get("USER", "Left", SubscriptKey.of(1));
                        assertEquals(null == leftValue, null == view.get("USER", "Right", SubscriptKey.of(1)),
                            "never one side of the transaction alone");
                        if (null != leftValue)
                        {
                            break;
                        }
                    }
                    assertTrue(System.nanoTime() < deadline, () -> "commit never shown: " + member.status());
                    Thread.sleep(5);
                }
            }
        }
    }

    @Test
    void theOrderCheckUnwrapsToTheStoreItChecksAndTheFlagIsOffByDefault()
    {
        try (MemberStore store = MemberStore.open(StoreKind.ROCKSDB, dir))
        {
            final OrderCheckingTarget target = new OrderCheckingTarget(store, 0);
            assertSame(store.target(), target.unwrap(RocksDbTarget.class));
            assertSame(target, target.unwrap(OrderCheckingTarget.class));
            assertNull(new OrderCheckingTarget(new GlobalStore()).unwrap(RocksDbTarget.class));
        }
        final MemberNode node = new MemberNode();
        new CommandLine(node).parseArgs("--dir", dir.toString(), "--name", "m1", "--primary-port", "1");
        assertFalse(node.context(new OrderCheckingTarget(new GlobalStore())).isolatedReaders());
    }

    @Test
    void isolatedReadersOverAnInMemoryStoreIsRefused()
    {
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = JmirrorCli.commandLine();
        commandLine.setErr(new PrintWriter(err));
        assertEquals(2, commandLine.execute("node", "member", "--dir", dir.toString(), "--name", "m1",
            "--primary-port", "1", "--store", "memory", "--isolated-readers"), err.toString());
        assertTrue(err.toString().contains("--isolated-readers needs --store rocksdb"), err.toString());
    }

    private static void awaitApplied(final Member member, final long lsn) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (null == member.dejournaler() || member.dejournaler().appliedLsn() < lsn)
        {
            assertTrue(System.nanoTime() < deadline, () -> "not applied: " + member.status());
            Thread.sleep(5);
        }
    }
}
