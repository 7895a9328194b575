package io.jmirror.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the failover soak's results: {@code report.json} (Jackson) with the verdict, settings, faults, checkpoints,
 * samples and per-second figures, and {@code report.html}, a self-contained page: each node's role and epoch over
 * time beside commits per second, commit latency (p50 and p99 per second), each member's lag and each node's disk
 * use (journal and store, MiB), with the faults marked on every chart, and the disk figures per node.
 */
final class SoakFailoverReport
{
    private static final int WIDTH = 960;
    private static final int MARGIN = 60;
    private static final int LANE = 22;
    private static final Map<String, String> ROLE_COLOURS = Map.of("PRIMARY", "#2ca02c", "BACKUP", "#1f77b4",
        "ASYNC", "#17becf", "CANDIDATE", "#bcbd22", "TAKING_OVER", "#ffbb33", "FENCED", "#ff7f0e", "DOWN", "#999999",
        "CLOSED", "#555555");

    /**
     * One second of the run, from the history's acknowledgements.
     *
     * @param second    seconds from the start.
     * @param commits   commits acknowledged in it.
     * @param p50Us     median commit wait.
     * @param p99Us     99th percentile commit wait.
     */
    record Second(long second, long commits, long p50Us, long p99Us)
    {
    }

    private final Map<String, Object> settings;
    private final FailoverSoak.Outcome outcome;
    private final long startMs;

    /**
     * @param startMs wall-clock time of the run's start, to place acknowledgements in seconds.
     */
    SoakFailoverReport(final Map<String, Object> settings, final FailoverSoak.Outcome outcome, final long startMs)
    {
        this.settings = settings;
        this.outcome = outcome;
        this.startMs = startMs;
    }

    void write(final Path dir) throws IOException
    {
        Files.createDirectories(dir);
        final List<Second> seconds = seconds();
        final Map<String, Object> json = new LinkedHashMap<>();
        final Map<String, Object> result = new LinkedHashMap<>();
        result.put("pass", outcome.pass());
        result.put("line", outcome.line());
        result.put("problems", outcome.problems());
        json.put("result", result);
        json.put("settings", settings);
        json.put("faults", SoakReport.faults(outcome.faults()));
        json.put("checkpoints", outcome.checkpoints());
        json.put("perSecond", seconds);
        json.put("disk", outcome.disk());
        json.put("samples", outcome.samples());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("report.json").toFile(),
            json);
        Files.writeString(dir.resolve("report.html"), html(seconds), StandardCharsets.UTF_8);
    }

    List<Second> seconds()
    {
        final TreeMap<Long, Histogram> bySecond = new TreeMap<>();
        for (final WorkloadHistory.Op op : outcome.history())
        {
            if (op.outcome() == WorkloadHistory.Outcome.OK && op.timeMs() >= startMs)
            {
                bySecond.computeIfAbsent((op.timeMs() - startMs) / 1000, (s) -> new Histogram(3))
                    .recordValue(Math.max(1, op.latencyUs()));
            }
        }
        final List<Second> seconds = new ArrayList<>();
        if (bySecond.isEmpty())
        {
            return seconds;
        }
        for (long s = 0; s <= bySecond.lastKey(); s++)
        {
            final Histogram histogram = bySecond.get(s);
            seconds.add(null == histogram ? new Second(s, 0, 0, 0) : new Second(s, histogram.getTotalCount(),
                histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99)));
        }
        return seconds;
    }

    private String html(final List<Second> seconds)
    {
        final StringBuilder out = new StringBuilder(64 * 1024);
        out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jmirror failover soak")
            .append("</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:")
            .append("collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f4f4f4}")
            .append(".pass{color:#2ca02c}.fail{color:#d62728}svg{background:#fafafa;border:1px solid #ddd}")
            .append("</style></head><body>\n<h1>jmirror failover soak</h1>\n<p class=\"")
            .append(outcome.pass() ? "pass" : "fail").append("\"><b>").append(SoakReport.escape(outcome.line()))
            .append("</b></p>\n<h2>Settings</h2>\n<p>");
        settings.forEach((key, value) -> out.append(SoakReport.escape(key)).append(" = ")
            .append(SoakReport.escape(String.valueOf(value))).append("; "));
        out.append("</p>\n<h2>Role and epoch of each node</h2>\n");
        roles(out);
        final double[] time = new double[seconds.size()];
        final double[] commits = new double[seconds.size()];
        final double[] p50 = new double[seconds.size()];
        final double[] p99 = new double[seconds.size()];
        for (int i = 0; i < seconds.size(); i++)
        {
            time[i] = seconds.get(i).second();
            commits[i] = seconds.get(i).commits();
            p50[i] = seconds.get(i).p50Us();
            p99[i] = seconds.get(i).p99Us();
        }
        out.append("<h2>Throughput (commits acknowledged per second)</h2>\n");
        SoakReport.chart(out, time, new double[][] {commits}, new String[] {"commits/s"}, outcome.faults());
        out.append("<h2>Commit latency (awaitCommitted, microseconds, p50 and p99 per second)</h2>\n");
        SoakReport.chart(out, time, new double[][] {p50, p99}, new String[] {"p50", "p99"}, outcome.faults());
        out.append("<h2>Lag (bytes of the primary's journal not yet applied)</h2>\n");
        lag(out);
        out.append("<h2>Disk use (MiB of each node's directory: journal and store)</h2>\n");
        disk(out);
        out.append("<h2>Faults</h2>\n<table><tr><th>start s</th><th>end s</th><th>fault</th><th>where</th>")
            .append("<th>detail</th></tr>\n");
        for (final FaultEvent fault : outcome.faults())
        {
            out.append(String.format(Locale.ROOT, "<tr><td>%.1f</td><td>%.1f</td><td>%s</td><td>%s</td>" +
                "<td style=\"text-align:left\">%s</td></tr>%n", fault.startMs() / 1000.0, fault.endMs() / 1000.0,
                fault.kind().optionName(), SoakReport.escape(fault.member()), SoakReport.escape(fault.detail())));
        }
        out.append("</table>\n<h2>Checkpoints</h2>\n<table><tr><th>at s</th><th>primary</th><th>epoch</th>")
            .append("<th>LSN</th><th>caught up</th><th>digest mismatches</th><th>journal mismatches</th>")
            .append("<th>acked</th><th>indeterminate</th>")
            .append("<th>lost acked</th><th>phantoms</th><th>halves</th><th>order</th><th>details</th></tr>\n");
        for (final FailoverSoak.Checkpoint c : outcome.checkpoints())
        {
            final WorkloadHistoryChecker.Result h = c.history();
            out.append(String.format(Locale.ROOT, "<tr><td>%.1f</td><td>%s</td><td>%d</td><td>%d</td><td>%s</td>" +
                "<td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td>" +
                "<td style=\"text-align:left\">%s</td></tr>%n", c.elapsedMs() / 1000.0, c.primary(), c.epoch(),
                c.lsn(), c.caughtUp(), c.digestMismatches(), c.journalMismatches(), h.acknowledged(),
                h.indeterminate(), h.lostAcked(), h.phantoms(), h.halves(), h.orderViolations(),
                SoakReport.escape(String.join("; ", c.details()))));
        }
        out.append("</table>\n</body></html>\n");
        return out.toString();
    }

    /**
     * One lane per node: a bar coloured by role for each sample, the epoch written where it changes.
     */
    private void roles(final StringBuilder out)
    {
        final List<String> nodes = outcome.samples().stream().map(SoakSampler.NodeSample::node).distinct().toList();
        final double maxTime = Math.max(1, outcome.samples().stream().mapToLong(SoakSampler.NodeSample::elapsedMs)
            .max().orElse(1) / 1000.0);
        final int plotWidth = WIDTH - 2 * MARGIN;
        final int height = 20 + LANE * nodes.size() + 30;
        out.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">%n",
            WIDTH, height));
        for (int n = 0; n < nodes.size(); n++)
        {
            final String node = nodes.get(n);
            final int y = 10 + LANE * n;
            out.append(String.format(Locale.ROOT, "<text x=\"2\" y=\"%d\" font-size=\"11\">%s</text>%n", y + 14,
                SoakReport.escape(node)));
            long previousEpoch = -2;
            double previousX = MARGIN;
            for (final SoakSampler.NodeSample sample : outcome.samples())
            {
                if (!sample.node().equals(node))
                {
                    continue;
                }
                final double x = MARGIN + plotWidth * (sample.elapsedMs() / 1000.0) / maxTime;
                out.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" " +
                    "fill=\"%s\"><title>%s epoch %d at %.0f s</title></rect>%n", previousX, y + 2,
                    Math.max(1, x - previousX), LANE - 4, ROLE_COLOURS.getOrDefault(sample.role(), "#000000"),
                    sample.role(), sample.epoch(), sample.elapsedMs() / 1000.0));
                if (sample.epoch() != previousEpoch && sample.epoch() > 0)
                {
                    out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" " +
                        "fill=\"#fff\">e%d</text>%n", x + 2, y + 15, sample.epoch()));
                    previousEpoch = sample.epoch();
                }
                previousX = x;
            }
        }
        // the faults over the lanes, translucent, so both show
        for (final FaultEvent fault : outcome.faults())
        {
            final double x = MARGIN + plotWidth * (fault.startMs() / 1000.0) / maxTime;
            final double w = Math.max(1.5, plotWidth * ((fault.endMs() - fault.startMs()) / 1000.0) / maxTime);
            out.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"10\" width=\"%.1f\" height=\"%d\" " +
                "fill=\"#ff7f0e\" fill-opacity=\"0.2\"><title>%s on %s</title></rect>%n", x, w, LANE * nodes.size(),
                fault.kind().optionName(), SoakReport.escape(fault.member())));
            out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" fill=\"#b35900\">" +
                "%s</text>%n", x + 1, 10 + LANE * nodes.size() + 14, fault.kind().optionName()));
        }
        int legendX = MARGIN;
        for (final String role : List.of("PRIMARY", "BACKUP", "ASYNC", "CANDIDATE", "TAKING_OVER", "FENCED", "DOWN"))
        {
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\">%s</text>%n",
                legendX, height - 4, ROLE_COLOURS.get(role), role));
            legendX += 90;
        }
        out.append("</svg>\n");
    }

    private void lag(final StringBuilder out)
    {
        perNode(out, (sample) -> sample.lagBytes());
    }

    /**
     * The disk lane: each node's directory over time, then a table of start, highest, end and the quarters the flat
     * check compares.
     */
    private void disk(final StringBuilder out)
    {
        perNode(out, (sample) -> sample.diskBytes() / (1024.0 * 1024.0));
        final SoakDisk.Verdict disk = outcome.disk();
        if (null == disk)
        {
            return;
        }
        out.append("<p>").append(SoakReport.escape(disk.text())).append("</p>\n<table><tr><th>node</th>")
            .append("<th>start MiB</th><th>max MiB</th><th>end MiB</th><th>2nd quarter max MiB</th>")
            .append("<th>last quarter max MiB</th></tr>\n");
        for (final SoakDisk.NodeDisk node : disk.nodes())
        {
            out.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>" +
                "<td>%.1f</td><td>%.1f</td></tr>%n", SoakReport.escape(node.node()), mib(node.startBytes()),
                mib(node.maxBytes()), mib(node.endBytes()), mib(node.secondQuarterMax()),
                mib(node.lastQuarterMax())));
        }
        out.append("</table>\n");
    }

    private static double mib(final long bytes)
    {
        return bytes / (1024.0 * 1024.0);
    }

    private void perNode(final StringBuilder out,
        final java.util.function.ToDoubleFunction<SoakSampler.NodeSample> value)
    {
        final List<String> nodes = outcome.samples().stream().map(SoakSampler.NodeSample::node).distinct().toList();
        final List<SoakSampler.NodeSample> first = outcome.samples().stream()
            .filter((s) -> !nodes.isEmpty() && s.node().equals(nodes.get(0))).toList();
        final double[] time = new double[first.size()];
        final double[][] lag = new double[nodes.size()][first.size()];
        for (int i = 0; i < first.size(); i++)
        {
            time[i] = first.get(i).elapsedMs() / 1000.0;
        }
        for (int n = 0; n < nodes.size(); n++)
        {
            int i = 0;
            for (final SoakSampler.NodeSample sample : outcome.samples())
            {
                if (sample.node().equals(nodes.get(n)) && i < first.size())
                {
                    lag[n][i++] = value.applyAsDouble(sample);
                }
            }
        }
        SoakReport.chart(out, time, lag, nodes.toArray(new String[0]), outcome.faults());
    }
}
