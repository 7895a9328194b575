package io.jmirror.bench;

import java.util.regex.Pattern;

/**
 * One step of the runner's plan: the benchmarks a regex selects, run at one thread count. It exists because
 * JMH runs a benchmark at one thread count per run, and some figures (contended appends) are only
 * meaningful next to the same benchmark at another count.
 *
 * @param regex   found (not fully matched) in the benchmark's full name, as JMH's own include does.
 * @param threads thread count, or {@link #ANNOTATED} to use the benchmark's own {@code @Threads}.
 */
record RunEntry(String regex, int threads)
{
    /** Thread count meaning "as the benchmark's annotations say". */
    static final int ANNOTATED = 0;

    /**
     * @param regex selects the benchmarks, which run at their annotated thread count.
     * @return the entry.
     */
    static RunEntry entry(final String regex)
    {
        return new RunEntry(regex, ANNOTATED);
    }

    /**
     * @param regex   selects the benchmarks.
     * @param threads thread count to run them at.
     * @return the entry.
     */
    static RunEntry entry(final String regex, final int threads)
    {
        return new RunEntry(regex, threads);
    }

    /**
     * @param benchmark full benchmark name, e.g. {@code io.jmirror.bench.CeilingBenchmark.memoryCopy}.
     * @return whether this entry selects it.
     */
    boolean selects(final String benchmark)
    {
        return Pattern.compile(regex).matcher(benchmark).find();
    }

    @Override
    public String toString()
    {
        return regex + (threads == ANNOTATED ? " (annotated threads)" : " (threads=" + threads + ")");
    }
}
