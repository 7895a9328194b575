package io.jmirror.dejournal;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.jmirror.journal.Journal;

/**
 * The process of {@link RocksDbTargetTest#aKilledProcessResumesFromItsLastCheckpointAndEndsEqual}: journals a random
 * workload and applies it into a RocksDB store, checkpointing at its end ("checkpoint LSN"); then starts a dejournaler
 * that checkpoints only every ten minutes, journals and applies a second workload ("applied LSN") and waits to be
 * killed (or a minute, so it never outlives its test). The store then holds data past its checkpoint in memtables
 * that were never flushed.
 */
public final class RocksDbCrashApplier
{
    private RocksDbCrashApplier()
    {
    }

    /**
     * Forwards everything (a worker's batches too, so the store gathers them as it does for a member) and counts the
     * checkpoints that returned.
     */
    private static final class CheckpointCounter extends ForwardingTarget
    {
        private final AtomicLong checkpoints = new AtomicLong();

        CheckpointCounter(final Target target)
        {
            super(target);
        }

        @Override
        public void checkpoint(final long appliedLsn)
        {
            target.checkpoint(appliedLsn);
            checkpoints.incrementAndGet();
        }
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final Path dir = Path.of(args[0]);
        final long seed = Long.parseLong(args[1]);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Journal journal = Journal.open(RocksDbTargetTest.journalContext(dir));
            RocksDbTarget store = RocksDbTarget.open(dir.resolve("store")))
        {
            RocksDbTargetTest.workload(journal, seed, 8_000);
            RocksDbTargetTest.applyAll(journal, store, 50);
            System.out.println("checkpoint " + store.recoveredLsn());
            System.out.flush();

            final CheckpointCounter counter = new CheckpointCounter(store);
            final Dejournaler dejournaler = Dejournaler.start(RocksDbTargetTest.context(journal, counter,
                TimeUnit.MINUTES.toMillis(10)));
            // Its first duty cycle checkpoints where it starts; after that none comes before the kill.
            while (counter.checkpoints.get() == 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(1);
            }
            RocksDbTargetTest.workload(journal, seed + 1, 8_000);
            RocksDbTargetTest.awaitApplied(dejournaler, journal.tailLsn());
            System.out.println("applied " + journal.tailLsn() + " checkpoints " + counter.checkpoints.get());
            System.out.flush();
            while (System.nanoTime() < deadline)
            {
                Thread.sleep(100);
            }
        }
    }
}
