package io.jmirror.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;

/**
 * A figure divided by the figure it is judged against (a ceiling or a rival), declared once in the runner
 * so that every report shows the same comparisons, computed from scores of the same run.
 * <p>
 * Each side may carry a multiplier that turns its score into comparable units, e.g. records/s × bytes
 * per record against copies/s × bytes per copy.
 *
 * @param label       what the ratio says, e.g. {@code append(valueSize=64) vs Chronicle append}.
 * @param numerator   the figure being judged.
 * @param denominator the ceiling or rival.
 */
record Ratio(String label, Side numerator, Side denominator)
{
    /**
     * One side of a ratio: which result, and what to multiply its score by.
     *
     * @param benchmark  {@code Class.method}, matched against the end of the full benchmark name.
     * @param params     required parameter values; the key {@code threads} matches the thread count. A key
     *                   not given matches anything, so give {@code threads} when a benchmark runs at
     *                   more than one count (the first match in run order wins).
     * @param multiplier what the score is multiplied by.
     */
    record Side(String benchmark, Map<String, String> params, double multiplier)
    {
        /**
         * @param result a result of this run.
         * @return whether this side refers to it.
         */
        boolean matches(final RunResult result)
        {
            final BenchmarkParams params = result.getParams();
            final String name = params.getBenchmark();
            if (!name.equals(benchmark) && !name.endsWith("." + benchmark))
            {
                return false;
            }

            for (final Map.Entry<String, String> required : this.params.entrySet())
            {
                final String actual = "threads".equals(required.getKey()) ?
                    Integer.toString(params.getThreads()) : params.getParam(required.getKey());
                if (!required.getValue().equals(actual))
                {
                    return false;
                }
            }
            return true;
        }

        /**
         * @param results the results of this run, in run order.
         * @return the first result this side refers to, or null if none ran.
         */
        RunResult find(final List<RunResult> results)
        {
            for (final RunResult result : results)
            {
                if (matches(result))
                {
                    return result;
                }
            }
            return null;
        }

        /**
         * @return e.g. {@code ChronicleQueueBenchmark.append(valueSize=64,threads=1) × 301}.
         */
        String describe()
        {
            final StringBuilder sb = new StringBuilder(benchmark);
            if (!params.isEmpty())
            {
                final StringJoiner joiner = new StringJoiner(",", "(", ")");
                params.forEach((k, v) -> joiner.add(k + "=" + v));
                sb.append(joiner);
            }
            if (multiplier != 1.0)
            {
                sb.append(" × ").append(BenchReport.formatNumber(multiplier));
            }
            return sb.toString();
        }
    }

    /**
     * A ratio of plain scores.
     *
     * @param label             what the ratio says.
     * @param numeratorBench    {@code Class.method} of the figure.
     * @param numeratorParams   e.g. {@code valueSize=64,threads=1}; empty for any.
     * @param denominatorBench  {@code Class.method} of the ceiling or rival.
     * @param denominatorParams e.g. {@code valueSize=64}; empty for any.
     * @return the ratio.
     */
    static Ratio ratio(
        final String label,
        final String numeratorBench,
        final String numeratorParams,
        final String denominatorBench,
        final String denominatorParams)
    {
        return ratio(label, numeratorBench, numeratorParams, 1.0, denominatorBench, denominatorParams, 1.0);
    }

    /**
     * A ratio of scores each multiplied into common units, e.g. bytes/s.
     *
     * @param label                 what the ratio says.
     * @param numeratorBench        {@code Class.method} of the figure.
     * @param numeratorParams       e.g. {@code valueSize=256,threads=1}; empty for any.
     * @param numeratorMultiplier   what the figure's score is multiplied by.
     * @param denominatorBench      {@code Class.method} of the ceiling or rival.
     * @param denominatorParams     parameters of the ceiling; empty for any.
     * @param denominatorMultiplier what the ceiling's score is multiplied by.
     * @return the ratio.
     */
    static Ratio ratio(
        final String label,
        final String numeratorBench,
        final String numeratorParams,
        final double numeratorMultiplier,
        final String denominatorBench,
        final String denominatorParams,
        final double denominatorMultiplier)
    {
        return new Ratio(
            label,
            new Side(numeratorBench, parseParams(numeratorParams), numeratorMultiplier),
            new Side(denominatorBench, parseParams(denominatorParams), denominatorMultiplier));
    }

    /**
     * @param results the results of this run.
     * @return the ratio, or NaN if either side did not run (the report then omits it).
     */
    double compute(final List<RunResult> results)
    {
        final RunResult top = numerator.find(results);
        final RunResult bottom = denominator.find(results);
        if (null == top || null == bottom)
        {
            return Double.NaN;
        }

        return (top.getPrimaryResult().getScore() * numerator.multiplier) /
            (bottom.getPrimaryResult().getScore() * denominator.multiplier);
    }

    private static Map<String, String> parseParams(final String spec)
    {
        if (spec.isBlank())
        {
            return Collections.emptyMap();
        }

        final Map<String, String> params = new LinkedHashMap<>();
        for (final String pair : spec.split(","))
        {
            final int eq = pair.indexOf('=');
            if (eq <= 0)
            {
                throw new IllegalArgumentException("bad ratio params: spec=" + spec + " pair=" + pair);
            }
            params.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return Collections.unmodifiableMap(params);
    }
}
