package io.jmirror.harness;

import io.jmirror.dejournal.DejournalContext;
import io.jmirror.dejournal.DejournalStatus;
import io.jmirror.dejournal.Dejournaler;
import io.jmirror.dejournal.ForwardingTarget;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code jmirror restore}: apply journal files onto a restored store, in parallel, as IRIS's ^JRNRESTO does after a
 * backup is restored: from the store's checkpoint (or {@code --from}) up to the journal's end (or {@code --to}),
 * optionally for some databases only, with a progress line each second and a closing summary.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
    description = "Apply journal files onto a restored store (rocksdb:PATH, or memory to check a journal applies).")
final class RestoreCommand implements Callable<Integer>
{
    @Option(names = "--journal", required = true, description = "The journal directory to apply.")
    Path journalDir;

    @Option(names = "--store", required = true, description = "rocksdb:PATH (kept), or memory (a dry run).")
    String store;

    @Option(names = "--from", defaultValue = "-1",
        description = "First LSN to apply (default: the store's checkpoint, else the journal's start).")
    long from;

    @Option(names = "--to", defaultValue = "-1", description = "Stop before this LSN (default: the journal's end).")
    long to;

    @Option(names = "--database", description = "Apply only this database (repeat); default all.")
    List<String> databases;

    @Option(names = "--workers", defaultValue = "2", description = "Apply workers, 1-16 (default: ${DEFAULT-VALUE}).")
    int workers;

    private PrintStream out = System.out;

    RestoreCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    @Override
    public Integer call() throws Exception
    {
        final AutoCloseable storeHandle;
        final Target storeTarget;
        if (store.startsWith("rocksdb:"))
        {
            // The default store, not a bulk load: with sorted writes it applies as fast with one worker and faster
            // with two (bench/results/rocksdb-apply.md), and the store can be read while the restore runs.
            final RocksDbTarget rocks = RocksDbTarget.open(Path.of(store.substring("rocksdb:".length())));
            storeHandle = rocks;
            storeTarget = rocks;
        }
        else if ("memory".equals(store))
        {
            storeTarget = new StoreTarget(new GlobalStore());
            storeHandle = () -> { };
        }
        else
        {
            throw new IllegalArgumentException("--store must be rocksdb:PATH or memory: " + store);
        }
        try (storeHandle; Journal journal = Journal.openReadOnly(journalDir))
        {
            final long start = from >= 0 ? from : Math.max(storeTarget.recoveredLsn(), journal.startLsn());
            final long end = to >= 0 ? Math.min(to, journal.tailLsn()) : journal.tailLsn();
            if (start > end)
            {
                throw new IllegalArgumentException("nothing to apply: from=" + start + " to=" + end);
            }
            final Restoring target = new Restoring(storeTarget, start, null == databases ? null :
                new HashSet<>(databases));
            out.printf("restore: journal=%s store=%s from=%d to=%d (%s) workers=%d%s%n", journalDir, store, start,
                end, bytes(end - start), workers, null == databases ? "" : " databases=" + databases);
            final long startNs = System.nanoTime();
            DejournalStatus status;
            try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(target)
                .workers(workers).endLsn(end)))
            {
                // The applied LSN stops at --to, where a record may well start: wait for the position itself.
                long nextProgressNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                while (dejournaler.appliedLsn() < end && null == dejournaler.status().failure())
                {
                    if (System.nanoTime() - nextProgressNs >= 0)
                    {
                        nextProgressNs += TimeUnit.SECONDS.toNanos(1);
                        progress(dejournaler.status(), target.applied(), start, end, startNs);
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
                status = dejournaler.status();
            }
            final double seconds = Math.max(1e-3, (System.nanoTime() - startNs) / 1e9);
            final long records = target.applied();
            final boolean done = status.appliedLsn() >= end;
            out.printf(Locale.ROOT, "%s restore records=%d bytes=%d from=%d to=%d appliedLsn=%d seconds=%.1f " +
                "rate=%.0f/s%n", done ? "DONE" : "FAILED", records, end - start, start, end, status.appliedLsn(),
                seconds, records / seconds);
            return done ? 0 : 1;
        }
    }

    private void progress(
        final DejournalStatus status, final long records, final long start, final long end, final long startNs)
    {
        final double seconds = Math.max(1e-3, (System.nanoTime() - startNs) / 1e9);
        final long done = Math.max(0, status.appliedLsn() - start);
        final double fraction = done / (double)Math.max(1, end - start);
        final double bytesPerSecond = done / seconds;
        final long etaSeconds = bytesPerSecond <= 0 ? -1 : Math.round((end - start - done) / bytesPerSecond);
        out.printf(Locale.ROOT, "  %5.1f%%  records=%d  %s/s  eta %s%n", fraction * 100, records,
            bytes((long)bytesPerSecond), etaSeconds < 0 ? "?" : etaSeconds + "s");
    }

    private static String bytes(final long bytes)
    {
        return bytes < 1024 * 1024 ? bytes / 1024 + " KiB" : String.format(Locale.ROOT, "%.1f MiB",
            bytes / (1024.0 * 1024));
    }

    /**
     * The store as the restore sees it: starting at {@code --from}, and skipping other databases.
     */
    private static final class Restoring extends ForwardingTarget
    {
        private final long from;
        private final Set<String> databases;
        private final java.util.concurrent.atomic.AtomicLong applied = new java.util.concurrent.atomic.AtomicLong();

        Restoring(final Target store, final long from, final Set<String> databases)
        {
            super(store);
            this.from = from;
            this.databases = databases;
        }

        @Override
        public void apply(final JournalRecord record, final int worker)
        {
            if (null == databases || databases.contains(record.database()))
            {
                target.apply(record, worker);
                applied.incrementAndGet();
            }
        }

        @Override
        public long recoveredLsn()
        {
            return from;
        }

        long applied()
        {
            return applied.get();
        }
    }
}
