package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordType;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A TCOMMIT or TROLLBACK reaches the target only after every worker has applied every record before it, however
 * slow one worker is.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CommitOrderTest
{
    private static final int TRANSACTIONS = 300;
    private static final int RECORDS_PER_TRANSACTION = 6;

    @TempDir
    Path dir;

    /** Counts each transaction's records as workers apply them; one global is slow to apply. */
    private static final class CountingTarget implements Target
    {
        final Map<Long, AtomicInteger> applied = new ConcurrentHashMap<>();
        final AtomicLong markers = new AtomicLong();
        final AtomicLong early = new AtomicLong();
        volatile String firstEarly;

        @Override
        public void apply(final JournalRecord record, final int worker)
        {
            if (record.global().equals("Slow"))
            {
                LockSupport.parkNanos(20_000);
            }
            applied.computeIfAbsent(record.transactionId(), (k) -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void onTransactionMarker(final JournalRecord record)
        {
            markers.incrementAndGet();
            if (record.type() == RecordType.TCOMMIT || record.type() == RecordType.TROLLBACK)
            {
                final AtomicInteger count = applied.get(record.transactionId());
                final int seen = null == count ? 0 : count.get();
                if (seen != RECORDS_PER_TRANSACTION)
                {
                    early.incrementAndGet();
                    if (null == firstEarly)
                    {
                        firstEarly = record.type() + " txn=" + record.transactionId() + " applied=" + seen;
                    }
                }
            }
        }

        @Override
        public void checkpoint(final long appliedLsn)
        {
        }

        @Override
        public long recoveredLsn()
        {
            return 0;
        }
    }

    @Test
    void aCommitReachesTheTargetAfterAllItsRecords()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).fileLength(8 * 1024 * 1024)
            .syncPolicy(SyncPolicy.NONE)))
        {
            final CountingTarget target = new CountingTarget();
            try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(target)
                .workers(3).ringSize(1024).dispatchBatch(64).checkpointIntervalMs(5)))
            {
                final JournalAppender appender = journal.newAppender();
                final GlobalName[] globals = {GlobalName.of("USER", "Slow"), GlobalName.of("USER", "Fast"),
                    GlobalName.of("CLINICAL", "Quick"), GlobalName.of("AUDIT", "Log")};
                for (long txn = 1; txn <= TRANSACTIONS; txn++)
                {
                    appender.tstart(txn);
                    for (int i = 0; i < RECORDS_PER_TRANSACTION; i++)
                    {
                        appender.set(txn, globals[(int)((txn + i) % globals.length)], SubscriptKey.of(txn, i),
                            new byte[16]);
                    }
                    if (txn % 5 == 0)
                    {
                        appender.trollback(txn);
                    }
                    else
                    {
                        appender.tcommit(txn);
                    }
                }
                assertTrue(dejournaler.awaitApplied(journal.tailLsn(), TimeUnit.SECONDS.toNanos(60)));
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (target.markers.get() < 2L * TRANSACTIONS && System.nanoTime() < deadline)
                {
                    LockSupport.parkNanos(1_000_000);
                }
            }
            assertEquals(2L * TRANSACTIONS, target.markers.get(), "every marker reached the target");
            assertEquals(0, target.early.get(), "a marker came before its records: " + target.firstEarly);
        }
    }
}
