package io.jmirror.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.TreeSet;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * The markdown a run leaves behind: its figures, their ratios to ceilings and rivals, and everything needed
 * to re-run it (command line, date, JVM, cores). A number quoted in a doc must come with the command
 * that produced it, so the report carries that command itself rather than relying on whoever copies it.
 */
final class BenchReport
{
    private final List<RunResult> results;
    private final List<Ratio> ratios;
    private final List<String> failures;

    /**
     * @param results  the results, in run order.
     * @param ratios   the declared ratios; those whose benchmarks did not run are omitted.
     * @param failures one line per plan entry that failed, shown so a missing figure is explained.
     */
    BenchReport(final List<RunResult> results, final List<Ratio> ratios, final List<String> failures)
    {
        this.results = List.copyOf(results);
        this.ratios = List.copyOf(ratios);
        this.failures = List.copyOf(failures);
    }

    /**
     * @param title       heading of the document.
     * @param commands    the command lines that produced it, each shown verbatim.
     * @param date        when the run started, ISO-8601.
     * @param javaVersion the output of {@code java -version} for the JVM that ran the forks.
     * @param nproc       cores available, as {@code nproc} reports them.
     * @param iterations  forks, warmup and measurement iterations, in words.
     * @param cpuShares   per group of benchmarks, the machine's busy and stolen CPU time while it ran
     *                    ({@link CpuTimes}); empty where unknown.
     * @return the whole markdown document.
     */
    String document(
        final String title,
        final List<String> commands,
        final String date,
        final String javaVersion,
        final String nproc,
        final String iterations,
        final List<String> cpuShares)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("# ").append(title).append("\n\n");
        sb.append("Produced by:\n\n");
        for (final String command : commands)
        {
            sb.append("    ").append(command).append('\n');
        }
        sb.append("\n- date: ").append(date).append('\n');
        sb.append("- nproc: ").append(nproc).append('\n');
        sb.append("- iterations: ").append(iterations).append('\n');
        sb.append("- error: half-width of JMH's 99.9% confidence interval over the measurement iterations\n");
        if (!cpuShares.isEmpty())
        {
            sb.append("- the machine's CPU time (all cores, from /proc/stat) while each group ran: busy, and stolen")
                .append(" by the hypervisor for other tenants; much stolen time means low, noisy figures\n");
            for (final String share : cpuShares)
            {
                sb.append("  - ").append(share).append('\n');
            }
        }
        sb.append("- java -version:\n\n");
        for (final String line : javaVersion.strip().split("\n"))
        {
            sb.append("      ").append(line.stripTrailing()).append('\n');
        }
        sb.append('\n');
        sb.append(tables());
        return sb.toString();
    }

    /**
     * @return p50/p99/p99.9 for sample-time results (commit latency), empty otherwise.
     */
    private static String percentiles(final RunResult result)
    {
        if (result.getParams().getMode() != org.openjdk.jmh.annotations.Mode.SampleTime)
        {
            return "";
        }
        final org.openjdk.jmh.util.Statistics statistics = result.getPrimaryResult().getStatistics();
        return String.format("p50=%s p99=%s p99.9=%s %s", formatNumber(statistics.getPercentile(50)),
            formatNumber(statistics.getPercentile(99)), formatNumber(statistics.getPercentile(99.9)),
            result.getPrimaryResult().getScoreUnit());
    }

    /**
     * @return the results table, then the ratios table and any failures; also what goes to stdout.
     */
    String tables()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("| benchmark | params | threads | score | error | unit | ratios |\n");
        sb.append("|---|---|---:|---:|---:|---|---|\n");
        for (final RunResult result : results)
        {
            final BenchmarkParams params = result.getParams();
            final Result<?> primary = result.getPrimaryResult();
            sb.append("| ").append(shortName(params.getBenchmark()))
                .append(" | ").append(params(params))
                .append(" | ").append(params.getThreads())
                .append(" | ").append(formatNumber(primary.getScore()))
                .append(" | ").append(formatNumber(primary.getScoreError()))
                .append(" | ").append(primary.getScoreUnit())
                .append(" | ").append(ratiosOf(result)).append(percentiles(result))
                .append(" |\n");
        }

        final List<String> ratioRows = new ArrayList<>();
        for (final Ratio ratio : ratios)
        {
            final double value = ratio.compute(results);
            if (!Double.isNaN(value))
            {
                ratioRows.add("| " + ratio.label() + " | " + ratio.numerator().describe() + " | " +
                    ratio.denominator().describe() + " | " + formatRatio(value) + " |\n");
            }
        }
        if (!ratioRows.isEmpty())
        {
            sb.append("\n| ratio | figure | ceiling or rival | value |\n");
            sb.append("|---|---|---|---:|\n");
            ratioRows.forEach(sb::append);
        }

        if (!failures.isEmpty())
        {
            sb.append("\nFailed (no figures):\n\n");
            for (final String failure : failures)
            {
                sb.append("- ").append(failure).append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * Formats a score: grouped integers for large numbers, three decimals for small ones, so ops/s in the
     * millions and ratios near 1 both read at a glance.
     *
     * @param value the number.
     * @return its text.
     */
    static String formatNumber(final double value)
    {
        if (Double.isNaN(value) || Double.isInfinite(value))
        {
            return "n/a";
        }
        return Math.abs(value) >= 100 ?
            String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.3f", value);
    }

    private static String formatRatio(final double value)
    {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    private String ratiosOf(final RunResult result)
    {
        final StringJoiner joiner = new StringJoiner("; ");
        for (final Ratio ratio : ratios)
        {
            if (ratio.numerator().find(results) == result)
            {
                final double value = ratio.compute(results);
                if (!Double.isNaN(value))
                {
                    joiner.add(formatRatio(value) + " " + ratio.label());
                }
            }
        }
        return joiner.toString();
    }

    private static String shortName(final String benchmark)
    {
        final int method = benchmark.lastIndexOf('.');
        final int type = benchmark.lastIndexOf('.', method - 1);
        return benchmark.substring(type + 1);
    }

    private static String params(final BenchmarkParams params)
    {
        final StringJoiner joiner = new StringJoiner(",");
        joiner.setEmptyValue("-");
        for (final String key : new TreeSet<>(params.getParamsKeys()))
        {
            joiner.add(key + "=" + params.getParam(key));
        }
        return joiner.toString();
    }
}
