package io.jmirror.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jmirror.dejournal.DejournalMeterBinder;
import io.jmirror.dejournal.GlobalStore;
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
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member's meters: receiver, apply lag and rate, and each worker's records and queue depth.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemberMeterBinderTest
{
    @TempDir
    Path dir;

    @Test
    void aRegistryFindsTheApplyLagRateAndWorkerMeters() throws Exception
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary"))
            .fileLength(1024 * 1024).mirrorName("S").syncPolicy(SyncPolicy.NONE));
            Primary primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
                .member(AllowedMember.of("backup", MemberRole.BACKUP)));
            Member member = Member.start(new MemberContext().target(new StoreTarget(new GlobalStore())).workers(2)
                .receiverContext(new ReceiverContext().memberName("backup").role(MemberRole.BACKUP).mirrorName("S")
                    .primaryAddress(primary.address()).insecure(true)
                    .journalContext(new JournalContext().journalDir(dir.resolve("backup")).mirrorName("S")
                        .syncPolicy(SyncPolicy.NONE)))))
        {
            final SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new MemberMeterBinder(member).bindTo(registry);
            final JournalAppender appender = journal.newAppender();
            for (int i = 0; i < 1000; i++)
            {
                appender.set(0, GlobalName.of("DB", "G" + (i % 7)), SubscriptKey.of(i), new byte[32]);
            }
            final long end = journal.tailLsn();
            await(() -> end == registry.get("jmirror.dejournal.applied.lsn").tag("member", "backup").gauge().value());
            assertEquals(0, registry.get("jmirror.dejournal.lag.bytes").tag("member", "backup").gauge().value());
            assertEquals(0, registry.get("jmirror.dejournal.lag.ms").tag("member", "backup").gauge().value());
            assertTrue(registry.get("jmirror.dejournal.apply.rate").tag("member", "backup").gauge().value() >= 0);
            assertEquals(end, registry.get("jmirror.receiver.received.lsn").tag("member", "backup").gauge().value());
            await(() -> 1000 == registry.get("jmirror.dejournal.worker.records").tags("worker", "0").gauge().value() +
                registry.get("jmirror.dejournal.worker.records").tags("worker", "1").gauge().value());
            assertEquals(0, registry.get("jmirror.dejournal.worker.queue.depth").tags("member", "backup", "worker", "1")
                .gauge().value(), "a caught-up worker has nothing waiting");
            assertEquals(1000, registry.get("jmirror.dejournal.records").tag("member", "backup").functionCounter()
                .count());

            // An embedder that also binds the member's dejournaler by itself, with the member's tag, gets the same
            // series, not a second set.
            final int meters = registry.getMeters().size();
            new DejournalMeterBinder(member.dejournaler(), Tags.of("member", "backup")).bindTo(registry);
            assertEquals(meters, registry.getMeters().size(), "the member's binder and the dejournaler's " +
                "registered different series: " + registry.getMetersAsString());
            assertEquals(1, registry.find("jmirror.dejournal.applied.lsn").gauges().size());
            assertEquals(2, registry.find("jmirror.dejournal.worker.records").gauges().size());
        }
    }

    private static void await(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out");
            }
            Thread.sleep(10);
        }
    }
}
