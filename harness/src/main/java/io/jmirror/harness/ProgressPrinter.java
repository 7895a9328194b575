package io.jmirror.harness;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Samples a {@link Cluster} once a second on its own thread, keeps the samples for the report, and prints a progress
 * line: rewritten in place on a terminal, one line per interval otherwise.
 */
final class ProgressPrinter implements AutoCloseable
{
    private final Cluster cluster;
    private final PrintStream out;
    private final long printEveryMs;
    private final boolean inPlace;
    private final List<ClusterSample> samples = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;
    private volatile boolean isClosed;
    private volatile String status = "";

    ProgressPrinter(final Cluster cluster, final PrintStream out, final long printEveryMs)
    {
        this.cluster = cluster;
        this.out = out;
        this.printEveryMs = printEveryMs;
        this.inPlace = null != System.console() && out == System.out;
        this.thread = new Thread(this::run, "jmirror-progress");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Shown after the figures, e.g. the fault being injected.
     */
    void status(final String text)
    {
        status = text;
    }

    private void run()
    {
        long lastPrintMs = 0;
        while (!isClosed)
        {
            try
            {
                Thread.sleep(1000);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            final ClusterSample sample = cluster.sample();
            samples.add(sample);
            if (sample.elapsedMs() - lastPrintMs >= printEveryMs)
            {
                lastPrintMs = sample.elapsedMs();
                final String line = line(sample) + (status.isEmpty() ? "" : " | " + status);
                if (inPlace)
                {
                    out.print("\r" + line + "\u001b[K");
                }
                else
                {
                    out.println(line);
                }
                out.flush();
            }
        }
    }

    static String line(final ClusterSample sample)
    {
        final StringBuilder line = new StringBuilder(160);
        line.append(String.format(Locale.ROOT, "%4ds %,9.0f rec/s  lsn %,d", sample.elapsedMs() / 1000,
            sample.recordsPerSec(), sample.primaryLsn()));
        for (final ClusterSample.MemberSample member : sample.members())
        {
            line.append(String.format(Locale.ROOT, " | %s %s/%s lag %s %,d ms", member.name(), member.transfer(),
                member.dejournal(), bytes(member.lagBytes()), member.lagMs()));
        }
        return line.toString();
    }

    static String bytes(final long bytes)
    {
        if (bytes >= 1L << 20)
        {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double)(1L << 20));
        }
        if (bytes >= 1L << 10)
        {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / (double)(1L << 10));
        }
        return bytes + " B";
    }

    List<ClusterSample> samples()
    {
        synchronized (samples)
        {
            return new ArrayList<>(samples);
        }
    }

    @Override
    public void close()
    {
        isClosed = true;
        thread.interrupt();
        try
        {
            thread.join(5000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (inPlace)
        {
            out.println();
        }
    }
}
