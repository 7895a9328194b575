package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Parallel dejournaling equals a sequential replay, keeps per-node order, survives restarts at random points,
 * pauses and resumes a database, and copes with a hot global and maximum-size values.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DejournalerTest
{
    private static final String[] DATABASES = {"USER", "CLINICAL", "AUDIT"};

    @TempDir
    Path dir;
    private Journal journal;

    @AfterEach
    void close()
    {
        if (null != journal)
        {
            journal.close();
        }
    }

    private Journal openJournal()
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal")).fileLength(1024 * 1024)
            .syncPolicy(SyncPolicy.NONE));
        return journal;
    }

    /**
     * A random workload: SET/KILL/ZKILL over overlapping subtrees of many globals, with versions in the values that
     * grow through the journal (workloads with larger seeds continue above smaller ones), and some transactions.
     */
    private static void workload(final Journal journal, final long seed, final int records, final int globals,
        final double hotShare)
    {
        final Random random = new Random(seed);
        final JournalAppender appender = journal.newAppender();
        final GlobalName[] names = new GlobalName[globals];
        for (int g = 0; g < globals; g++)
        {
            names[g] = GlobalName.of(DATABASES[g % DATABASES.length], "G" + g);
        }
        final SubscriptKey key = new SubscriptKey();
        long version = seed << 32;
        for (int i = 0; i < records; i++)
        {
            final GlobalName global = random.nextDouble() < hotShare ? names[0] : names[random.nextInt(globals)];
            key.clear();
            final int depth = random.nextInt(4);
            for (int d = 0; d < depth; d++)
            {
                if (random.nextBoolean())
                {
                    key.add(random.nextInt(5));
                }
                else
                {
                    key.add("s" + random.nextInt(3));
                }
            }
            final int op = random.nextInt(100);
            if (op < 80)
            {
                final byte[] value = new byte[8 + random.nextInt(40)];
                ByteBuffer.wrap(value).putLong(version++);
                appender.set(i, global, key, value);
            }
            else if (op < 90)
            {
                appender.kill(i, global, key);
            }
            else if (op < 97)
            {
                appender.zkill(i, global, key);
            }
            else
            {
                appender.tstart(i);
                appender.tcommit(i);
            }
        }
    }

    private static ReferenceTarget sequentialReplay(final Journal journal)
    {
        final ReferenceTarget target = new ReferenceTarget();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) ->
            {
                if (record.type().isNodeRecord())
                {
                    target.apply(record, 0);
                }
            }, 1000) > 0)
            {
                // drain
            }
        }
        return target;
    }

    private Dejournaler start(final ReferenceTarget target, final int workers)
    {
        return Dejournaler.start(new DejournalContext().journal(journal).target(target).workers(workers)
            .ringSize(1024).dispatchBatch(64).checkpointIntervalMs(5));
    }

    private static void awaitApplied(final Dejournaler dejournaler, final long lsn)
    {
        assertTrue(dejournaler.awaitApplied(lsn, TimeUnit.SECONDS.toNanos(60)),
            () -> "not applied to " + lsn + ": " + dejournaler.status());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 16})
    void parallelApplyEqualsSequentialReplay(final int workers)
    {
        final long seed = new Random().nextInt(1 << 20);
        openJournal();
        workload(journal, seed, 30_000, 50, 0.0);
        final ReferenceTarget expected = sequentialReplay(journal);
        final ReferenceTarget actual = new ReferenceTarget();
        try (Dejournaler dejournaler = start(actual, workers))
        {
            awaitApplied(dejournaler, journal.completeLsn());
            final DejournalStatus status = dejournaler.status();
            assertEquals(journal.completeLsn(), status.appliedLsn());
            assertEquals(workers, status.workers().size());
            assertEquals(0, status.openTransactions(), "seed=" + seed);
        }
        assertEquals(expected.contents(), actual.contents(), "parallel != sequential, seed=" + seed);
        assertEquals(0, actual.orderViolations.get(), "per-node order violated, seed=" + seed);

        final GlobalStore store = new GlobalStore();
        try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal)
            .target(new StoreTarget(store)).workers(workers).ringSize(1024).dispatchBatch(64)))
        {
            awaitApplied(dejournaler, journal.completeLsn());
        }
        final GlobalStore replayed = DataCheck.replay(journal, journal.completeLsn());
        assertEquals(replayed.digests(), store.digests(), "digests differ, seed=" + seed);
        assertTrue(DataCheck.compare(replayed, store).isEmpty(), "seed=" + seed);
        assertTrue(actual.markers.get() > 0);
        assertEquals(journal.completeLsn(), actual.checkpointLsn, "the final applied LSN is checkpointed");
    }

    @Test
    void restartsAtRandomPointsReachTheSameStateInOrder()
    {
        final long seed = new Random().nextInt(1 << 20);
        openJournal();
        workload(journal, seed, 40_000, 30, 0.2);
        final ReferenceTarget expected = sequentialReplay(journal);
        final ReferenceTarget target = new ReferenceTarget();
        final Random random = new Random(seed);
        final long end = journal.completeLsn();
        for (int run = 0; run < 6 && target.checkpointLsn < end; run++)
        {
            target.restarted();
            final long previous = target.checkpointLsn;
            final Dejournaler dejournaler = start(target, 1 + random.nextInt(4));
            final long stopAt = previous + (long)(random.nextDouble() * (end - Math.max(0, previous)));
            dejournaler.awaitApplied(Math.min(stopAt, end), TimeUnit.SECONDS.toNanos(60));
            dejournaler.close();
            assertTrue(target.checkpointLsn >= previous, "applied LSN only moves forward, seed=" + seed);
            assertEquals(0, target.orderViolations.get(), "order violated in run " + run + ", seed=" + seed);
        }
        target.restarted();
        try (Dejournaler dejournaler = start(target, 2))
        {
            awaitApplied(dejournaler, end);
        }
        assertEquals(expected.contents(), target.contents(), "seed=" + seed);
        assertEquals(0, target.orderViolations.get(), "seed=" + seed);
    }

    @Test
    void aPausedDatabaseWaitsAndCatchesUpOnResume()
    {
        openJournal();
        final ReferenceTarget target = new ReferenceTarget();
        try (Dejournaler dejournaler = start(target, 2))
        {
            workload(journal, 1, 2_000, 12, 0.0);
            awaitApplied(dejournaler, journal.completeLsn());
            dejournaler.pause("CLINICAL");
            final long pausedAt = journal.completeLsn();
            workload(journal, 2, 5_000, 12, 0.0);
            final long end = journal.completeLsn();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!"PAUSED".equals(dejournaler.status().databases().get("CLINICAL")) && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            assertEquals("PAUSED", dejournaler.status().databases().get("CLINICAL"));
            assertFalse(dejournaler.awaitApplied(end, TimeUnit.MILLISECONDS.toNanos(300)),
                "records of a paused database wait");
            assertTrue(dejournaler.appliedLsn() <= end && dejournaler.appliedLsn() >= pausedAt);
            final Map<String, Map<String, String>> partial = target.contents();
            final Map<String, Map<String, String>> everything = sequentialReplay(journal).contents();
            assertNotEquals(everything, partial);
            for (final String global : everything.keySet())
            {
                if (global.startsWith("USER:") || global.startsWith("AUDIT:"))
                {
                    assertEquals(everything.get(global), partial.get(global), "other databases carry on: " + global);
                }
            }
            dejournaler.resume("CLINICAL");
            awaitApplied(dejournaler, end);
            assertEquals(everything, target.contents());
            assertEquals(0, target.orderViolations.get());
            assertNotEquals("PAUSED", dejournaler.status().databases().get("CLINICAL"));
        }
    }

    @Test
    void severalPausedDatabasesResumeOneAfterAnother()
    {
        openJournal();
        final ReferenceTarget target = new ReferenceTarget();
        try (Dejournaler dejournaler = start(target, 2))
        {
            workload(journal, 1, 1_000, 12, 0.0);
            awaitApplied(dejournaler, journal.completeLsn());
            dejournaler.pause("CLINICAL");
            dejournaler.pause("AUDIT");
            dejournaler.pause("USER");
            workload(journal, 2, 20_000, 12, 0.0);
            final long end = journal.completeLsn();
            assertFalse(dejournaler.awaitApplied(end, TimeUnit.MILLISECONDS.toNanos(200)));
            // resumed while the first is still catching up: the others wait their turn
            dejournaler.resume("CLINICAL");
            dejournaler.resume("AUDIT");
            dejournaler.resume("USER");
            dejournaler.resume("AUDIT");
            awaitApplied(dejournaler, end);
            assertEquals(sequentialReplay(journal).contents(), target.contents());
            assertEquals(0, target.orderViolations.get());
            for (final String database : new String[] {"CLINICAL", "AUDIT", "USER"})
            {
                assertNotEquals("PAUSED", dejournaler.status().databases().get(database), database);
            }
        }
    }

    @Test
    void databasesResumedAndPausedAgainWhileOthersCatchUpAndRecordsKeepArrivingEndInOrder()
    {
        openJournal();
        final ReferenceTarget target = new ReferenceTarget();
        try (Dejournaler dejournaler = start(target, 3))
        {
            workload(journal, 1, 1_000, 12, 0.0);
            dejournaler.pause("CLINICAL");
            dejournaler.pause("AUDIT");
            workload(journal, 2, 10_000, 12, 0.0);
            dejournaler.resume("CLINICAL");
            workload(journal, 3, 5_000, 12, 0.0);
            // CLINICAL may still be catching up: AUDIT waits its turn, USER pauses meanwhile
            dejournaler.resume("AUDIT");
            dejournaler.pause("USER");
            workload(journal, 4, 5_000, 12, 0.0);
            dejournaler.pause("CLINICAL");
            dejournaler.resume("USER");
            dejournaler.resume("CLINICAL");
            workload(journal, 5, 2_000, 12, 0.0);
            awaitApplied(dejournaler, journal.completeLsn());
            assertEquals(sequentialReplay(journal).contents(), target.contents());
            assertEquals(0, target.orderViolations.get());
            for (final String database : DATABASES)
            {
                assertNotEquals("PAUSED", dejournaler.status().databases().get(database), database);
            }
        }
    }

    @Test
    void everyPositionAGetterReportsIsAppliedOnceAllThatWasAppendedIs()
    {
        openJournal();
        final ReferenceTarget target = new ReferenceTarget();
        try (Dejournaler dejournaler = start(target, 2))
        {
            assertTrue(dejournaler.awaitApplied(journal.tailLsn(), TimeUnit.SECONDS.toNanos(10)), "an empty journal");
            workload(journal, 5, 3_000, 12, 0.0);
            awaitApplied(dejournaler, journal.tailLsn());
            final DejournalStatus status = dejournaler.status();
            final long[] positions =
            {
                journal.startLsn(), journal.recoveredLsn(), journal.completeLsn(), journal.durableLsn(),
                journal.tailLsn(), dejournaler.appliedLsn(), status.appliedLsn(), status.journalEndLsn()
            };
            for (final long position : positions)
            {
                assertTrue(dejournaler.awaitApplied(position, TimeUnit.SECONDS.toNanos(10)),
                    () -> "awaitApplied(" + position + ") with everything applied: " + dejournaler.status());
            }
            assertEquals(sequentialReplay(journal).contents(), target.contents());
        }
    }

    @Test
    void aRecordIsWaitedForUntilItIsAppliedAlsoWhenItStartsAtTheAppliedLsn()
    {
        openJournal();
        final ReferenceTarget target = new ReferenceTarget();
        try (Dejournaler dejournaler = start(target, 2))
        {
            workload(journal, 6, 500, 12, 0.0);
            awaitApplied(dejournaler, journal.tailLsn());
            dejournaler.pause("CLINICAL");
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!"PAUSED".equals(dejournaler.status().databases().get("CLINICAL")) && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            final long position = journal.tailLsn();
            assertTrue(dejournaler.awaitApplied(position, TimeUnit.SECONDS.toNanos(10)), "nothing starts there yet");

            final long record = journal.newAppender().set(1, GlobalName.of("CLINICAL", "Late"),
                new SubscriptKey().add(1), new byte[16]);
            assertEquals(position, record, "the record starts at the applied LSN");
            assertFalse(dejournaler.awaitApplied(record, TimeUnit.MILLISECONDS.toNanos(300)),
                "the record of a paused database is not applied, though every record before it is");
            assertFalse(dejournaler.awaitApplied(journal.tailLsn(), TimeUnit.MILLISECONDS.toNanos(100)));
            assertEquals(position, dejournaler.appliedLsn());

            dejournaler.resume("CLINICAL");
            awaitApplied(dejournaler, record);
            assertTrue(dejournaler.appliedLsn() > record);
            assertTrue(dejournaler.awaitApplied(journal.tailLsn(), TimeUnit.SECONDS.toNanos(10)));
            assertEquals(sequentialReplay(journal).contents(), target.contents());
        }
    }

    @Test
    void oneHotGlobalWithNinetyPercentOfTheTraffic()
    {
        openJournal();
        workload(journal, 3, 30_000, 40, 0.9);
        final ReferenceTarget expected = sequentialReplay(journal);
        final ReferenceTarget actual = new ReferenceTarget();
        try (Dejournaler dejournaler = start(actual, 4))
        {
            awaitApplied(dejournaler, journal.completeLsn());
            long max = 0;
            long total = 0;
            for (final DejournalStatus.WorkerStatus worker : dejournaler.status().workers())
            {
                max = Math.max(max, worker.records());
                total += worker.records();
            }
            assertTrue(max > total * 0.8, "the hot global's worker carries most records: max=" + max + " of " + total);
        }
        assertEquals(expected.contents(), actual.contents());
        assertEquals(0, actual.orderViolations.get());
    }

    @Test
    void maximumSizeValuesAreApplied()
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("big")).fileLength(64L * 1024 * 1024)
            .syncPolicy(SyncPolicy.NONE).maxRecordLength(8 * 1024 * 1024));
        final JournalAppender appender = journal.newAppender();
        final GlobalName global = GlobalName.of("USER", "Blob");
        final byte[] value = new byte[8 * 1024 * 1024 - 200];
        new Random(5).nextBytes(value);
        ByteBuffer.wrap(value).putLong(1);
        appender.set(1, global, new SubscriptKey().add(1), value);
        ByteBuffer.wrap(value).putLong(2);
        appender.set(2, global, new SubscriptKey().add(2), value);
        final ReferenceTarget target = new ReferenceTarget();
        try (Dejournaler dejournaler = start(target, 2))
        {
            awaitApplied(dejournaler, journal.completeLsn());
        }
        assertEquals(sequentialReplay(journal).contents(), target.contents());
    }

    @Test
    void aTargetFailureStopsDejournalingAtThatRecord()
    {
        openJournal();
        workload(journal, 4, 1_000, 5, 0.0);
        final ReferenceTarget failing = new ReferenceTarget()
        {
            @Override
            public void apply(final io.jmirror.journal.JournalRecord record, final int worker)
            {
                if (applied.get() == 500)
                {
                    throw new IllegalStateException("disk full");
                }
                super.apply(record, worker);
            }
        };
        try (Dejournaler dejournaler = start(failing, 1))
        {
            assertFalse(dejournaler.awaitApplied(journal.completeLsn(), TimeUnit.SECONDS.toNanos(2)));
            final DejournalStatus status = dejournaler.status();
            assertEquals("FAILED", status.state());
            assertTrue(status.failure().contains("disk full"), status.failure());
            assertTrue(status.appliedLsn() < journal.completeLsn());
        }
    }
}
