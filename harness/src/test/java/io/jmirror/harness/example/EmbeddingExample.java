package io.jmirror.harness.example;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.mirror.Member;
import io.jmirror.mirror.MemberContext;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.ReceiverContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The README's embedding example: a primary and a backup member in one process, over 127.0.0.1.
 */
public final class EmbeddingExample
{
    private EmbeddingExample()
    {
    }

    /**
     * @return the value the member's store holds for ^Patient(42,"name") once the record is applied there.
     */
    public static String run(final Path dir)
    {
        // README-EXAMPLE-START
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
                .mirrorName("CLINIC"));
            Primary primary = Primary.start(new PrimaryContext().journal(journal)
                .bindAddress(new InetSocketAddress("127.0.0.1", 0))
                .insecure(true) // loopback only; use .tls(...) between machines
                .member(AllowedMember.of("backup", MemberRole.BACKUP))))
        {
            final GlobalStore store = new GlobalStore(); // or your own store behind the Target SPI
            try (Member member = Member.start(new MemberContext().target(new StoreTarget(store)).workers(2)
                .receiverContext(new ReceiverContext().memberName("backup").role(MemberRole.BACKUP)
                    .mirrorName("CLINIC").primaryAddress(primary.address()).insecure(true)
                    .journalContext(new JournalContext().journalDir(dir.resolve("backup")).mirrorName("CLINIC")))))
            {
                // Journal each change under the lock you change your own store with.
                final JournalAppender appender = journal.appender();
                final long lsn = appender.set(0, GlobalName.of("USER", "Patient"), SubscriptKey.of(42, "name"),
                    "Smith,Jo".getBytes(StandardCharsets.UTF_8));
                primary.awaitCommitted(lsn); // durable here and, while the backup is ACTIVE, acked by it

                while (null == member.dejournaler() ||
                    !member.dejournaler().awaitApplied(journal.tailLsn(), TimeUnit.SECONDS.toNanos(1)))
                {
                    System.out.println("waiting: " + member.status());
                }
                return new String(store.get("USER", "Patient", SubscriptKey.of(42, "name")), StandardCharsets.UTF_8);
            }
        }
        // README-EXAMPLE-END
    }
}
