package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.dejournal.DataCheck;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.RecordType;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import io.jmirror.journal.SyncPolicy;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The application model: what it journals, replayed in journal order, is exactly its own store, and every node's
 * versions rise in journal order, with several writers, transactions and rollbacks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkloadTest
{
    @TempDir
    Path dir;

    @Test
    void replayingTheJournalGivesTheApplicationsOwnStoreInOrder() throws Exception
    {
        final WorkloadOptions options = new WorkloadOptions();
        new CommandLine(options).parseArgs("--writers", "3", "--value-size-max", "300", "--globals", "20",
            "--keys", "10", "--txn-percent", "30", "--rollback-percent", "50", "--rate", "0", "--seed", "7");
        final GlobalStore store = new GlobalStore();
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal"))
            .fileLength(1024 * 1024).mirrorName("W").syncPolicy(SyncPolicy.NONE));
            StatusFile status = StatusFile.create(dir, 16);
            Workload workload = new Workload(journal, null, store, options,
                status.newCounter(StatusCounterType.HARNESS_WORKLOAD_RECORDS, "p"),
                status.newCounter(StatusCounterType.HARNESS_WORKLOAD_COMMIT_TIMEOUTS, "p"), 1000))
        {
            workload.resume();
            Thread.sleep(700);
            final long end = workload.pause();
            assertNull(workload.failure());
            assertTrue(workload.records() > 1000, "records journaled: " + workload.records());
            assertEquals(journal.completeLsn(), end);

            assertEquals(java.util.List.of(), DataCheck.compare(store, DataCheck.replay(journal, end)));

            final OrderCheckingTarget replay = new OrderCheckingTarget(new GlobalStore());
            final int[] markers = new int[3];
            try (JournalReader reader = journal.reader(0))
            {
                while (reader.position() < end && reader.poll((record) ->
                {
                    if (record.type().isNodeRecord())
                    {
                        replay.apply(record, 0);
                    }
                    else
                    {
                        markers[record.type() == RecordType.TSTART ? 0 : record.type() == RecordType.TCOMMIT ? 1 : 2]++;
                    }
                }, 1000) > 0)
                {
                    // drain
                }
            }
            assertEquals(0, replay.violations(), () -> "first: " + replay.firstViolation());
            assertTrue(markers[0] > 0 && markers[1] > 0 && markers[2] > 0, "TSTART/TCOMMIT/TROLLBACK seen: " +
                markers[0] + "/" + markers[1] + "/" + markers[2]);
            assertEquals(markers[0], markers[1] + markers[2], "every transaction ends");
        }
    }

    @Test
    void pacingHoldsTheTargetRate() throws Exception
    {
        final WorkloadOptions options = new WorkloadOptions();
        new CommandLine(options).parseArgs("--rate", "2000", "--txn-percent", "0");
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal"))
            .fileLength(1024 * 1024).mirrorName("W").syncPolicy(SyncPolicy.NONE));
            StatusFile status = StatusFile.create(dir, 16);
            Workload workload = new Workload(journal, null, new GlobalStore(), options,
                status.newCounter(StatusCounterType.HARNESS_WORKLOAD_RECORDS, "p"),
                status.newCounter(StatusCounterType.HARNESS_WORKLOAD_COMMIT_TIMEOUTS, "p"), 1000))
        {
            workload.resume();
            Thread.sleep(1000);
            workload.pause();
            // Pacing never runs ahead of the target; a loaded machine may fall behind it.
            assertTrue(workload.records() <= 2000 * 1.2 + 10, "records in about 1 s at 2000/s: " + workload.records());
            assertTrue(workload.records() >= 200, "records in about 1 s at 2000/s: " + workload.records());
        }
    }

    @Test
    void optionsOutOfRangeAreNamed()
    {
        final WorkloadOptions options = new WorkloadOptions();
        new CommandLine(options).parseArgs("--value-size", "4");
        final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, options::validate);
        assertTrue(ex.getMessage().contains("--value-size"), ex.getMessage());
    }
}
