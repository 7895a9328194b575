package io.jmirror.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The machine's CPU time so far, from the first line of Linux's {@code /proc/stat}: how much of it was busy and how
 * much the hypervisor stole (time a virtual core was ready to run while the host ran something else).
 * <p>
 * Why the runner records it: on a shared virtual machine the same jar gives figures 25% apart from one run to the
 * next, and steal is the one cause of that a run can see. Steal depends on what the other tenants are doing. A
 * shipping run once lost a third of the machine's CPU time to it, while two busy loops lost under 2%. A report that
 * says how much was stolen while each group ran tells a reader which figures to trust.
 */
record CpuTimes(long busyTicks, long stealTicks, long totalTicks)
{
    private static final Path PROC_STAT = Path.of("/proc/stat");
    // Fields after "cpu": user nice system idle iowait irq softirq steal (then guest times, already in user).
    private static final int IDLE = 3;
    private static final int IOWAIT = 4;
    private static final int STEAL = 7;
    private static final int FIELDS = 8;

    /**
     * @return the machine's CPU times now, or null where {@code /proc/stat} cannot be read (not Linux).
     */
    static CpuTimes read()
    {
        try
        {
            final List<String> lines = Files.readAllLines(PROC_STAT);
            return lines.isEmpty() ? null : parse(lines.get(0));
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * @param line the aggregate line of {@code /proc/stat}, e.g. {@code cpu  3630672 0 599044 2831622 ...}.
     * @return its times.
     * @throws IllegalArgumentException if the line is not an aggregate cpu line with at least 8 times.
     */
    static CpuTimes parse(final String line)
    {
        final String[] words = line.trim().split("\\s+");
        if (!"cpu".equals(words[0]) || words.length < FIELDS + 1)
        {
            throw new IllegalArgumentException("not the aggregate cpu line of /proc/stat: " + line);
        }
        long total = 0;
        long idle = 0;
        long steal = 0;
        for (int i = 0; i < FIELDS; i++)
        {
            final long ticks = Long.parseLong(words[i + 1]);
            total += ticks;
            if (i == IDLE || i == IOWAIT)
            {
                idle += ticks;
            }
            else if (i == STEAL)
            {
                steal = ticks;
            }
        }
        return new CpuTimes(total - idle - steal, steal, total);
    }

    /**
     * @param before an earlier reading.
     * @return e.g. "busy 52%, stolen 31%": shares of all the machine's CPU time (every core) in between.
     */
    String sharesSince(final CpuTimes before)
    {
        if (totalTicks - before.totalTicks <= 0)
        {
            return "no CPU time elapsed";
        }
        return String.format("busy %d%%, stolen %d%%",
            Math.round(100 * busyShareSince(before)), Math.round(100 * stolenShareSince(before)));
    }

    /**
     * @param before an earlier reading.
     * @return the share (0 to 1) of all the machine's CPU time in between that was busy; 0 if none elapsed.
     */
    double busyShareSince(final CpuTimes before)
    {
        final long total = totalTicks - before.totalTicks;
        return total <= 0 ? 0 : (double)(busyTicks - before.busyTicks) / total;
    }

    /**
     * @param before an earlier reading.
     * @return the share (0 to 1) of all the machine's CPU time in between that the hypervisor stole; 0 if none
     * elapsed.
     */
    double stolenShareSince(final CpuTimes before)
    {
        final long total = totalTicks - before.totalTicks;
        return total <= 0 ? 0 : (double)(stealTicks - before.stealTicks) / total;
    }
}
