package io.jmirror.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the results of a soak without failover: {@code report.json} (Jackson) with every sample, fault and
 * checkpoint, and {@code report.html}, a
 * self-contained page (inline SVG, no scripts fetched) plotting throughput and each member's lag over time with the
 * faults marked.
 */
final class SoakReport
{
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"};
    private static final int WIDTH = 960;
    private static final int HEIGHT = 260;
    private static final int MARGIN = 60;

    private final Map<String, Object> settings;
    private final List<ClusterSample> samples;
    private final List<FaultEvent> faults;
    private final List<Cluster.Checkpoint> checkpoints;
    private final SoakResult result;

    SoakReport(
        final Map<String, Object> settings,
        final List<ClusterSample> samples,
        final List<FaultEvent> faults,
        final List<Cluster.Checkpoint> checkpoints,
        final SoakResult result)
    {
        this.settings = settings;
        this.samples = samples;
        this.faults = faults;
        this.checkpoints = checkpoints;
        this.result = result;
    }

    void write(final Path dir) throws IOException
    {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("report.json"), json(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("report.html"), html(), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------------------------------------------- JSON

    String json() throws IOException
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        final Map<String, Object> resultJson = new LinkedHashMap<>();
        resultJson.put("pass", result.pass());
        resultJson.put("records", result.records());
        resultJson.put("faultsInjected", result.faultsInjected());
        resultJson.put("recordsLost", result.recordsLost());
        resultJson.put("orderViolations", result.orderViolations());
        resultJson.put("digestMismatches", result.digestMismatches());
        resultJson.put("checkpoints", result.checkpoints());
        resultJson.put("line", result.line());
        json.put("result", resultJson);
        json.put("settings", settings);
        json.put("faults", faults(faults));
        json.put("checkpoints", checkpoints);
        json.put("samples", samples);
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json) + "\n";
    }

    /**
     * @return the faults as JSON objects, the kind by its option name.
     */
    static List<Map<String, Object>> faults(final List<FaultEvent> faults)
    {
        final List<Map<String, Object>> list = new ArrayList<>();
        for (final FaultEvent fault : faults)
        {
            final Map<String, Object> f = new LinkedHashMap<>();
            f.put("startMs", fault.startMs());
            f.put("endMs", fault.endMs());
            f.put("kind", fault.kind().optionName());
            f.put("member", fault.member());
            f.put("detail", fault.detail());
            list.add(f);
        }
        return list;
    }

    // ---------------------------------------------------------------------------------------------------- HTML

    String html()
    {
        final StringBuilder out = new StringBuilder(64 * 1024);
        out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jmirror soak</title>\n")
            .append("<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}")
            .append("td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f4f4f4}")
            .append(".pass{color:#2ca02c}.fail{color:#d62728}svg{background:#fafafa;border:1px solid #ddd}")
            .append("</style></head><body>\n<h1>jmirror soak</h1>\n<p class=\"")
            .append(result.pass() ? "pass" : "fail").append("\"><b>").append(escape(result.line()))
            .append("</b></p>\n<h2>Settings</h2>\n<p>");
        for (final Map.Entry<String, Object> entry : settings.entrySet())
        {
            out.append(escape(entry.getKey())).append(" = ").append(escape(String.valueOf(entry.getValue())))
                .append("; ");
        }
        out.append("</p>\n<h2>Throughput (records/s)</h2>\n");
        final double[] time = new double[samples.size()];
        final double[] rate = new double[samples.size()];
        for (int i = 0; i < samples.size(); i++)
        {
            time[i] = samples.get(i).elapsedMs() / 1000.0;
            rate[i] = samples.get(i).recordsPerSec();
        }
        chart(out, time, new double[][] {rate}, new String[] {"primary"}, faults);
        out.append("<h2>Member lag (bytes not yet applied)</h2>\n");
        final int members = samples.isEmpty() ? 0 : samples.get(0).members().size();
        final double[][] lag = new double[members][samples.size()];
        final String[] names = new String[members];
        for (int m = 0; m < members; m++)
        {
            names[m] = samples.get(0).members().get(m).name();
            for (int i = 0; i < samples.size(); i++)
            {
                lag[m][i] = samples.get(i).members().get(m).lagBytes();
            }
        }
        chart(out, time, lag, names, faults);
        out.append("<h2>Faults</h2>\n<table><tr><th>start s</th><th>end s</th><th>fault</th><th>member</th>")
            .append("<th>detail</th></tr>\n");
        for (final FaultEvent fault : faults)
        {
            out.append(String.format(Locale.ROOT, "<tr><td>%.1f</td><td>%.1f</td><td>%s</td><td>%s</td>" +
                "<td style=\"text-align:left\">%s</td></tr>%n", fault.startMs() / 1000.0, fault.endMs() / 1000.0,
                fault.kind().optionName(), escape(fault.member()), escape(fault.detail())));
        }
        out.append("</table>\n<h2>Checkpoints</h2>\n<table><tr><th>at s</th><th>LSN</th><th>records</th>")
            .append("<th>nodes</th><th>caught up</th><th>lost</th><th>digest mismatches</th><th>details</th></tr>\n");
        for (final Cluster.Checkpoint checkpoint : checkpoints)
        {
            out.append(String.format(Locale.ROOT, "<tr><td>%.1f</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td>" +
                "<td>%d</td><td>%d</td><td style=\"text-align:left\">%s</td></tr>%n", checkpoint.elapsedMs() / 1000.0,
                checkpoint.lsn(), checkpoint.records(), checkpoint.nodes(), checkpoint.caughtUp(),
                checkpoint.lostRecords(), checkpoint.digestMismatches(),
                escape(String.join("; ", checkpoint.details()))));
        }
        out.append("</table>\n</body></html>\n");
        return out.toString();
    }

    /**
     * A line chart as inline SVG, with the faults marked as bands.
     */
    static void chart(final StringBuilder out, final double[] time, final double[][] series, final String[] names,
        final List<FaultEvent> faults)
    {
        final double maxTime = Math.max(1, time.length == 0 ? 1 : time[time.length - 1]);
        double maxValue = 1;
        for (final double[] values : series)
        {
            for (final double value : values)
            {
                maxValue = Math.max(maxValue, value);
            }
        }
        final int plotWidth = WIDTH - 2 * MARGIN;
        final int plotHeight = HEIGHT - 2 * MARGIN / 2 - 20;
        final int top = 10;
        out.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">%n",
            WIDTH, HEIGHT));
        out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>%n",
            MARGIN, top + plotHeight, MARGIN + plotWidth, top + plotHeight));
        out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>%n",
            MARGIN, top, MARGIN, top + plotHeight));
        out.append(String.format(Locale.ROOT, "<text x=\"2\" y=\"%d\" font-size=\"11\">%s</text>%n", top + 10,
            compact(maxValue)));
        out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.0f s</text>%n",
            MARGIN + plotWidth - 30, top + plotHeight + 14, maxTime));
        for (final FaultEvent fault : faults)
        {
            final double x = MARGIN + plotWidth * (fault.startMs() / 1000.0) / maxTime;
            final double w = Math.max(1.5, plotWidth * ((fault.endMs() - fault.startMs()) / 1000.0) / maxTime);
            out.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" " +
                "fill=\"#ff7f0e\" fill-opacity=\"0.25\"><title>%s on %s</title></rect>%n", x, top, w, plotHeight,
                fault.kind().optionName(), escape(fault.member())));
            out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" fill=\"#b35900\">" +
                "%s</text>%n", x + 1, top + plotHeight + 26, fault.kind().optionName()));
        }
        for (int s = 0; s < series.length; s++)
        {
            final StringBuilder points = new StringBuilder();
            for (int i = 0; i < time.length; i++)
            {
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", MARGIN + plotWidth * time[i] / maxTime,
                    top + plotHeight - plotHeight * series[s][i] / maxValue));
            }
            final String colour = COLOURS[s % COLOURS.length];
            out.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.5\" points=\"")
                .append(points).append("\"/>\n");
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text>%n",
                MARGIN + 10 + 110 * s, top + 12, colour, escape(names[s])));
        }
        out.append("</svg>\n");
    }

    private static String compact(final double value)
    {
        if (value >= 1e9)
        {
            return String.format(Locale.ROOT, "%.1fG", value / 1e9);
        }
        if (value >= 1e6)
        {
            return String.format(Locale.ROOT, "%.1fM", value / 1e6);
        }
        if (value >= 1e3)
        {
            return String.format(Locale.ROOT, "%.1fk", value / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", value);
    }

    static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
