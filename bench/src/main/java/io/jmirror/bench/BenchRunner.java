package io.jmirror.bench;

import static io.jmirror.bench.Ratio.ratio;
import static io.jmirror.bench.RunEntry.entry;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs jmirror's benchmarks the one way their figures are quoted: a fixed plan of (benchmarks, threads)
 * runs, fixed iteration counts, then the raw JMH JSON and a markdown report with ratios to the ceilings.
 * <p>
 * Usage: {@code java -cp bench/target/benchmarks.jar io.jmirror.bench.BenchRunner [--quick]
 * [--include REGEX]... [--out DIR]}. {@code --include} keeps only the plan's benchmarks whose full name
 * contains a match of one of the regexes. It exists, rather than plain {@code org.openjdk.jmh.Main}, so
 * that the thread counts, the ceilings and the ratios are the same in every report.
 */
public final class BenchRunner
{
    /**
     * What runs, in order. A benchmark listed twice at different thread counts runs twice; a benchmark no
     * entry names does not run.
     */
    static final List<RunEntry> PLAN = List.of(
        entry("\\.CeilingBenchmark\\."),
        entry("\\.ChronicleQueueBenchmark\\."),
        entry("\\.ChronicleQueueBenchmark\\.append$", 2),
        entry("\\.JournalAppendBenchmark\\.", 1),
        entry("\\.JournalAppendBenchmark\\.", 2),
        entry("\\.JournalReadBenchmark\\."),
        entry("\\.ShippingBenchmark\\."),
        entry("\\.CommitLatencyBenchmark\\."),
        entry("\\.DejournalBenchmark\\."),
        entry("\\.StoreApplyBenchmark\\."),
        entry("\\.EndToEndBenchmark\\."));

    /**
     * The comparisons every report shows. Record bytes are {@link BenchRecord#fieldBytes}: the record's
     * fields, the same count for every store, so bytes/s ratios compare like with like.
     */
    static final List<Ratio> RATIOS = List.of(
        ratio("append(valueSize=64) vs Chronicle append",
            "JournalAppendBenchmark.append", "valueSize=64,reuse=true,threads=1",
            "ChronicleQueueBenchmark.append", "valueSize=64,threads=1"),
        ratio("append(valueSize=256) vs Chronicle append",
            "JournalAppendBenchmark.append", "valueSize=256,reuse=true,threads=1",
            "ChronicleQueueBenchmark.append", "valueSize=256,threads=1"),
        ratio("append(valueSize=64, 2 threads) vs Chronicle append, 2 threads",
            "JournalAppendBenchmark.append", "valueSize=64,reuse=true,threads=2",
            "ChronicleQueueBenchmark.append", "valueSize=64,threads=2"),
        ratio("append(valueSize=256, 2 threads) vs Chronicle append, 2 threads",
            "JournalAppendBenchmark.append", "valueSize=256,reuse=true,threads=2",
            "ChronicleQueueBenchmark.append", "valueSize=256,threads=2"),
        ratio("append(valueSize=256) bytes/s vs memory copy (target >= 0.10)",
            "JournalAppendBenchmark.append", "valueSize=256,reuse=true,threads=1", BenchRecord.fieldBytes(256),
            "CeilingBenchmark.memoryCopy", "", CeilingBenchmark.MEMORY_COPY_BYTES),
        ratio("append(valueSize=256) with file reuse vs without",
            "JournalAppendBenchmark.append", "valueSize=256,reuse=true,threads=1",
            "JournalAppendBenchmark.append", "valueSize=256,reuse=false,threads=1"),
        ratio("append(valueSize=64) with file reuse vs without",
            "JournalAppendBenchmark.append", "valueSize=64,reuse=true,threads=1",
            "JournalAppendBenchmark.append", "valueSize=64,reuse=false,threads=1"),
        ratio("iterate(valueSize=64) vs Chronicle iterate",
            "JournalReadBenchmark.iterate", "valueSize=64,threads=1",
            "ChronicleQueueBenchmark.iterate", "valueSize=64,threads=1"),
        ratio("iterate(valueSize=256) vs Chronicle iterate",
            "JournalReadBenchmark.iterate", "valueSize=256,threads=1",
            "ChronicleQueueBenchmark.iterate", "valueSize=256,threads=1"),
        ratio("iterate(valueSize=256) bytes/s vs memory copy",
            "JournalReadBenchmark.iterate", "valueSize=256,threads=1", BenchRecord.fieldBytes(256),
            "CeilingBenchmark.memoryCopy", "", CeilingBenchmark.MEMORY_COPY_BYTES),
        ratio("Chronicle append(valueSize=256) bytes/s vs memory copy",
            "ChronicleQueueBenchmark.append", "valueSize=256,threads=1", BenchRecord.fieldBytes(256),
            "CeilingBenchmark.memoryCopy", "", CeilingBenchmark.MEMORY_COPY_BYTES),
        ratio("Chronicle iterate(valueSize=256) bytes/s vs memory copy",
            "ChronicleQueueBenchmark.iterate", "valueSize=256,threads=1", BenchRecord.fieldBytes(256),
            "CeilingBenchmark.memoryCopy", "", CeilingBenchmark.MEMORY_COPY_BYTES),
        ratio("ship(codec=LZ4) bytes/s vs LZ4 compress (target >= 0.80)",
            "ShippingBenchmark.ship", "codec=LZ4", ShippingBenchmark.SHIP_BYTES,
            "CeilingBenchmark.lz4Compress", "", CeilingBenchmark.COMPRESS_BYTES),
        ratio("ship(codec=ZSTD) bytes/s vs Zstd compress",
            "ShippingBenchmark.ship", "codec=ZSTD", ShippingBenchmark.SHIP_BYTES,
            "CeilingBenchmark.zstdCompress", "", CeilingBenchmark.COMPRESS_BYTES),
        ratio("ship(codec=NONE) bytes/s vs memory copy (target: ship >= 1 GiB/s, i.e. >= 1,024 ops/s)",
            "ShippingBenchmark.ship", "codec=NONE", ShippingBenchmark.SHIP_BYTES,
            "CeilingBenchmark.memoryCopy", "", CeilingBenchmark.MEMORY_COPY_BYTES),
        ratio("dispatchOnly(workers=2) records/s vs Disruptor hand-off events/s",
            "DejournalBenchmark.dispatchOnly", "workers=2",
            "CeilingBenchmark.disruptorNoop", ""),
        ratio("apply(workers=2) vs apply(workers=1), UNIFORM (target >= 1.7)",
            "DejournalBenchmark.apply", "workers=2,distribution=UNIFORM",
            "DejournalBenchmark.apply", "workers=1,distribution=UNIFORM"),
        ratio("apply(workers=2, UNIFORM) vs Disruptor hand-off (target: apply >= 2 M records/s = 2,000,000 ops/s)",
            "DejournalBenchmark.apply", "workers=2,distribution=UNIFORM",
            "CeilingBenchmark.disruptorNoop", ""),
        ratio("insert(workers=2) vs insert(workers=1), memory store, insert-heavy (target >= 1.6)",
            "StoreApplyBenchmark.insert", "store=MEMORY,workers=2",
            "StoreApplyBenchmark.insert", "store=MEMORY,workers=1"),
        ratio("insert(workers=2) RocksDB vs memory store, insert-heavy (target >= 0.4)",
            "StoreApplyBenchmark.insert", "store=ROCKSDB,workers=2",
            "StoreApplyBenchmark.insert", "store=MEMORY,workers=2"),
        ratio("insert(workers=2) RocksDB for a bulk load vs memory store, insert-heavy",
            "StoreApplyBenchmark.insert", "store=ROCKSDB_BULK,workers=2",
            "StoreApplyBenchmark.insert", "store=MEMORY,workers=2"),
        ratio("insert(workers=2) RocksDB vs the RocksDB target alone on one thread (its ceiling per core)",
            "StoreApplyBenchmark.insert", "store=ROCKSDB,workers=2",
            "StoreApplyBenchmark.targetOnly", "store=ROCKSDB"),
        ratio("RocksDB target alone on one thread vs memory store insert(workers=2)",
            "StoreApplyBenchmark.targetOnly", "store=ROCKSDB",
            "StoreApplyBenchmark.insert", "store=MEMORY,workers=2"),
        ratio("transactions isolated readers vs not, RocksDB, 2 workers (what the option costs)",
            "StoreApplyBenchmark.transactions", "isolatedReaders=true",
            "StoreApplyBenchmark.transactions", "isolatedReaders=false"),
        ratio("replicate(workers=2) end to end vs apply(workers=2, UNIFORM) " +
                "(target: replicate >= 1 M records/s = 1,000,000 ops/s)",
            "EndToEndBenchmark.replicate", "workers=2",
            "DejournalBenchmark.apply", "workers=2,distribution=UNIFORM"));

    /** A smoke run: enough to see every benchmark work, not enough for a figure to quote. */
    static final Iterations QUICK = new Iterations(2, 1, 3, 1);

    /** The run whose figures are quoted. */
    static final Iterations FULL = new Iterations(3, 2, 5, 2);

    /** Set by {@code bench/run.sh} to its own command line, so the report names the command a reader runs. */
    static final String COMMAND_ENV = "JMIRROR_BENCH_COMMAND";

    private static final DateTimeFormatter FILE_STAMP =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final boolean quick;
    private final List<String> includes;
    private final Path outDir;
    private final List<String> args;

    private BenchRunner(final boolean quick, final List<String> includes, final Path outDir, final List<String> args)
    {
        this.quick = quick;
        this.includes = includes;
        this.outDir = outDir;
        this.args = args;
    }

    /**
     * @param args {@code [--quick] [--include REGEX]... [--out DIR]}.
     * @throws IOException if the results cannot be written.
     */
    public static void main(final String[] args) throws IOException
    {
        boolean quick = false;
        final List<String> includes = new ArrayList<>();
        Path outDir = Path.of("bench", "results");
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--quick" -> quick = true;
                case "--include" -> includes.add(Pattern.compile(value(args, ++i, "--include")).pattern());
                case "--out" -> outDir = Path.of(value(args, ++i, "--out"));
                case "-h", "--help" ->
                {
                    System.out.println(
                        "usage: BenchRunner [--quick] [--include REGEX]... [--out DIR]  (default out: bench/results)");
                    return;
                }
                default -> usageError("unknown argument: " + args[i]);
            }
        }

        System.exit(new BenchRunner(quick, List.copyOf(includes), outDir, List.of(args)).run());
    }

    private int run() throws IOException
    {
        final Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final TreeSet<String> available = availableBenchmarks();
        final List<RunResult> results = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        final List<String> cpuShares = new ArrayList<>();
        int entriesRun = 0;

        for (final RunEntry entry : PLAN)
        {
            final List<String> selected = select(entry, available);
            if (selected.isEmpty())
            {
                continue;
            }

            entriesRun++;
            final CpuTimes before = CpuTimes.read();
            try
            {
                results.addAll(new Runner(options(entry, selected).build()).run());
            }
            catch (final RunnerException ex)
            {
                failures.add(entry + ": " + ex.getMessage());
                ex.printStackTrace();
            }
            final CpuTimes after = CpuTimes.read();
            if (null != before && null != after)
            {
                cpuShares.add("`" + entry.regex() + "`: " + after.sharesSince(before));
            }
        }

        if (0 == entriesRun)
        {
            System.err.println("no benchmark matched: includes=" + includes + " available=" + available);
            return 2;
        }

        write(start, results, failures, cpuShares);
        return failures.isEmpty() ? 0 : 1;
    }

    private List<String> select(final RunEntry entry, final Collection<String> available)
    {
        final List<String> selected = new ArrayList<>();
        for (final String benchmark : available)
        {
            if (entry.selects(benchmark) && isIncluded(benchmark))
            {
                selected.add(benchmark);
            }
        }
        return selected;
    }

    private boolean isIncluded(final String benchmark)
    {
        if (includes.isEmpty())
        {
            return true;
        }
        for (final String include : includes)
        {
            if (Pattern.compile(include).matcher(benchmark).find())
            {
                return true;
            }
        }
        return false;
    }

    private ChainedOptionsBuilder options(final RunEntry entry, final List<String> benchmarks)
    {
        // Each benchmark declares its own mode and unit (throughput, or sample time for commit latency).
        final ChainedOptionsBuilder builder = new OptionsBuilder()
            .forks(1)
            .shouldFailOnError(true);
        for (final String benchmark : benchmarks)
        {
            builder.include("^" + Pattern.quote(benchmark) + "$");
        }
        final Iterations iterations = iterations();
        builder.warmupIterations(iterations.warmups())
            .warmupTime(TimeValue.seconds(iterations.warmupSeconds()))
            .measurementIterations(iterations.measurements())
            .measurementTime(TimeValue.seconds(iterations.measurementSeconds()));
        if (entry.threads() != RunEntry.ANNOTATED)
        {
            builder.threads(entry.threads());
        }
        return builder;
    }

    private Iterations iterations()
    {
        return quick ? QUICK : FULL;
    }

    private void write(
        final Instant start, final List<RunResult> results, final List<String> failures, final List<String> cpuShares)
        throws IOException
    {
        Files.createDirectories(outDir);
        final String stem = FILE_STAMP.format(start) + (quick ? "-quick" : "-full");
        final Path json = outDir.resolve(stem + ".json");
        final Path markdown = outDir.resolve(stem + ".md");

        try (PrintStream out = new PrintStream(Files.newOutputStream(json), false, StandardCharsets.UTF_8))
        {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, out).writeOut(results);
        }

        final BenchReport report = new BenchReport(results, RATIOS, failures);
        final List<String> commands = new ArrayList<>();
        final String wrapper = System.getenv(COMMAND_ENV);
        if (null != wrapper && !wrapper.isBlank())
        {
            commands.add(wrapper);
        }
        commands.add(SystemInfo.commandLine(BenchRunner.class.getName(), args));
        Files.writeString(markdown, report.document(
            "jmirror benchmarks (" + (quick ? "quick" : "full") + ")",
            commands,
            start.toString(),
            SystemInfo.javaVersion(),
            SystemInfo.nproc(),
            iterations().toString(),
            cpuShares));

        System.out.println();
        System.out.print(report.tables());
        System.out.println();
        System.out.println("wrote " + json + " and " + markdown);
    }

    private static TreeSet<String> availableBenchmarks()
    {
        final TreeSet<String> names = new TreeSet<>();
        final Collection<BenchmarkListEntry> entries = BenchmarkList.defaultList()
            .getAll(OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), List.of());
        for (final BenchmarkListEntry entry : entries)
        {
            names.add(entry.getUsername());
        }
        return names;
    }

    private static String value(final String[] args, final int index, final String option)
    {
        if (index >= args.length)
        {
            usageError(option + " needs a value");
        }
        return args[index];
    }

    private static void usageError(final String message)
    {
        System.err.println(message);
        System.err.println("usage: BenchRunner [--quick] [--include REGEX]... [--out DIR]");
        System.exit(2);
    }

    /**
     * How long each benchmark runs, always in one fork.
     *
     * @param warmups            warmup iterations.
     * @param warmupSeconds      length of each warmup iteration.
     * @param measurements       measurement iterations.
     * @param measurementSeconds length of each measurement iteration.
     */
    record Iterations(int warmups, int warmupSeconds, int measurements, int measurementSeconds)
    {
        @Override
        public String toString()
        {
            return "1 fork, warmup " + warmups + " × " + warmupSeconds + " s, measurement " + measurements +
                " × " + measurementSeconds + " s";
        }
    }
}
