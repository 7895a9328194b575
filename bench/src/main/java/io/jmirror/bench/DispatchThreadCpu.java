package io.jmirror.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import org.agrona.DirectBuffer;
import io.jmirror.dejournal.DejournalContext;
import io.jmirror.dejournal.Dejournaler;
import io.jmirror.mirror.MemberContext;
import io.jmirror.dejournal.ParkingWaitStrategy;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.RecordHandler;
import io.jmirror.journal.SyncPolicy;

/**
 * Where {@link DejournalBenchmark#dispatchOnly}'s CPU goes, thread by thread: replays the same journal into the same
 * no-op target several times and prints, per replay, records/s and each dejournal thread's CPU time and allocated
 * bytes per record (from {@link com.sun.management.ThreadMXBean}). On a 2-core machine a worker's CPU is CPU the
 * dispatcher does not get, so this shows what a throughput figure alone hides.
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.jmirror.bench.DispatchThreadCpu [records=1000000] [workers=2] [replays=12] [mode=parking]
 * </pre>
 * Modes: {@code parking} runs the dejournaler as configured by default ({@link ParkingWaitStrategy});
 * {@code sleeping} runs the workers with the Disruptor's {@link SleepingWaitStrategy} (the default before), to compare
 * the two in one build; {@code reader} reads the journal on one thread with the dispatcher's reader and a handler that
 * does nothing, the floor under the dispatcher; {@code scan} reads one long per 64-byte cache line of the journal's
 * mapping, the memory floor under the reader. The tool holds JMH's lock file while it runs, so that
 * it neither disturbs nor is disturbed by a JMH run on the same machine. Not a benchmark: figures for comparing
 * threads, not for the results tables.
 */
public final class DispatchThreadCpu
{
    private static final String JMH_LOCK = System.getProperty("java.io.tmpdir") + "/jmh.lock";

    private DispatchThreadCpu()
    {
    }

    /**
     * @param args records, workers, replays, wait strategy; each optional, in that order.
     * @throws IOException          if the lock file cannot be opened.
     * @throws InterruptedException if interrupted while waiting for the lock.
     */
    public static void main(final String[] args) throws IOException, InterruptedException
    {
        final int records = args.length > 0 ? Integer.parseInt(args[0]) : DejournalBenchmark.RECORDS;
        final int workers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        final int replays = args.length > 2 ? Integer.parseInt(args[2]) : 12;
        final String wait = args.length > 3 ? args[3] : "parking";
        if (!"parking".equals(wait) && !"sleeping".equals(wait) && !"reader".equals(wait) && !"scan".equals(wait))
        {
            throw new IllegalArgumentException("mode must be parking, sleeping, reader or scan: mode=" + wait);
        }
        final Supplier<WaitStrategy> waitStrategy = "sleeping".equals(wait) ? SleepingWaitStrategy::new :
            ParkingWaitStrategy::new;

        try (RandomAccessFile lockFile = new RandomAccessFile(JMH_LOCK, "rw");
            FileChannel channel = lockFile.getChannel())
        {
            FileLock lock;
            while (null == (lock = channel.tryLock()))
            {
                Thread.sleep(1000);
            }
            try
            {
                run(records, workers, replays, wait, waitStrategy);
            }
            finally
            {
                lock.release();
            }
        }
    }

    private static void run(
        final int records, final int workers, final int replays, final String wait,
        final Supplier<WaitStrategy> waitStrategy)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final Path dir = TempDirs.create("jmirror-dispatch-cpu");
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE)))
        {
            DejournalBenchmark.fill(journal, DejournalBenchmark.Distribution.UNIFORM, records);
            final long endLsn = journal.completeLsn();
            final DejournalBenchmark.NoopTarget target = new DejournalBenchmark.NoopTarget();
            System.out.printf("records=%d workers=%d mode=%s journalBytes=%d%n", records, workers, wait, endLsn);
            if ("reader".equals(wait) || "scan".equals(wait))
            {
                floor(journal, records, replays, "scan".equals(wait));
                return;
            }
            double rateSum = 0;
            double dispatcherSum = 0;
            double workersSum = 0;
            int counted = 0;
            for (int replay = 0; replay < replays; replay++)
            {
                final Map<String, long[]> perThread = new TreeMap<>();
                final long startNs = System.nanoTime();
                final long appliedNs;
                try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal)
                    .target(target).workers(workers).verifyChecksums(MemberContext.VERIFY_CHECKSUMS_DEFAULT)
                    .waitStrategySupplier(waitStrategy)))
                {
                    if (!dejournaler.awaitApplied(endLsn, TimeUnit.SECONDS.toNanos(120)))
                    {
                        throw new IllegalStateException("replay did not finish: " + dejournaler.status());
                    }
                    appliedNs = System.nanoTime() - startNs;
                    // Before close, while the threads are alive: each started with this dejournaler.
                    for (final Thread thread : Thread.getAllStackTraces().keySet())
                    {
                        if (thread.getName().startsWith("jmirror-dejournal-"))
                        {
                            final long id = thread.getId();
                            perThread.put(thread.getName().substring("jmirror-dejournal-".length()),
                                new long[] {threads.getThreadCpuTime(id), threads.getThreadAllocatedBytes(id)});
                        }
                    }
                }
                final double rate = records * 1e9 / appliedNs;
                final StringBuilder line = new StringBuilder(String.format("replay %2d: %6.2f M records/s", replay,
                    rate / 1e6));
                double workerCpu = 0;
                double dispatcherCpu = 0;
                for (final Map.Entry<String, long[]> entry : perThread.entrySet())
                {
                    final double cpuPerRecord = entry.getValue()[0] / (double)records;
                    line.append(String.format(" | %s cpu=%.1f ns/record allocated=%d B", entry.getKey(), cpuPerRecord,
                        entry.getValue()[1]));
                    if (entry.getKey().startsWith("worker"))
                    {
                        workerCpu += cpuPerRecord;
                    }
                    else
                    {
                        dispatcherCpu += cpuPerRecord;
                    }
                }
                System.out.println(line);
                // The first third warms up the JIT.
                if (replay >= replays / 3)
                {
                    rateSum += rate;
                    dispatcherSum += dispatcherCpu;
                    workersSum += workerCpu;
                    counted++;
                }
            }
            System.out.printf("mean of the last %d: %.2f M records/s, dispatcher cpu=%.1f ns/record, all workers " +
                "cpu=%.1f ns/record%n", counted, rateSum / counted / 1e6, dispatcherSum / counted,
                workersSum / counted);
        }
        finally
        {
            TempDirs.delete(dir);
        }
    }

    /**
     * What the dispatcher cannot go below: the reader alone, or only touching every cache line of the journal.
     */
    private static void floor(final Journal journal, final int records, final int replays, final boolean scan)
    {
        final long[] sink = new long[1];
        final RecordHandler handler = (record) -> sink[0] += record.offset();
        double rateSum = 0;
        int counted = 0;
        for (int replay = 0; replay < replays; replay++)
        {
            final long startNs = System.nanoTime();
            try (JournalReader reader = journal.reader(journal.startLsn()).verifyChecksums(false))
            {
                if (scan)
                {
                    scanLines(reader, journal.completeLsn(), sink);
                }
                else
                {
                    while (reader.poll(handler, DejournalContext.DISPATCH_BATCH_DEFAULT) > 0)
                    {
                        sink[0]++;
                    }
                }
            }
            final long elapsedNs = System.nanoTime() - startNs;
            final double rate = records * 1e9 / elapsedNs;
            System.out.printf("replay %2d: %6.2f M records/s, %.1f ns/record%n", replay, rate / 1e6,
                elapsedNs / (double)records);
            if (replay >= replays / 3)
            {
                rateSum += rate;
                counted++;
            }
        }
        System.out.printf("mean of the last %d: %.2f M records/s, %.1f ns/record (sink %d)%n", counted,
            rateSum / counted / 1e6, 1e9 / (rateSum / counted), sink[0]);
    }

    /**
     * Reads one long per cache line of the journal's records, which must all be in its first file.
     */
    private static void scanLines(final JournalReader reader, final long endLsn, final long[] sink)
    {
        final DirectBuffer[] file = new DirectBuffer[1];
        final int[] firstOffset = new int[1];
        final long startLsn = reader.position();
        reader.poll((record) ->
        {
            file[0] = record.buffer();
            firstOffset[0] = record.offset();
        }, 1);
        final DirectBuffer buffer = file[0];
        final long end = firstOffset[0] + endLsn - startLsn;
        if (end > buffer.capacity())
        {
            throw new IllegalArgumentException("scan needs a journal in one file: endLsn=" + endLsn);
        }
        long sum = 0;
        for (int i = firstOffset[0]; i + Long.BYTES <= end; i += 64)
        {
            sum += buffer.getLong(i);
        }
        sink[0] += sum;
    }
}
