package io.jmirror.bench;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CpuTimesTest
{
    @Test
    void splitsTheAggregateLineIntoBusyStolenAndTotal()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice
        final CpuTimes times = CpuTimes.parse("cpu  100 5 50 400 20 3 7 15 9 0");

        assertEquals(100 + 5 + 50 + 3 + 7, times.busyTicks());
        assertEquals(15, times.stealTicks());
        assertEquals(100 + 5 + 50 + 400 + 20 + 3 + 7 + 15, times.totalTicks(), "guest time is already in user");
    }

    @Test
    void sharesAreOfAllTheCpuTimeInBetween()
    {
        final CpuTimes before = CpuTimes.parse("cpu  1000 0 0 1000 0 0 0 0");
        final CpuTimes after = CpuTimes.parse("cpu  1500 0 100 1300 0 0 0 100");

        assertEquals("busy 60%, stolen 10%", after.sharesSince(before));
        assertEquals(0.6, after.busyShareSince(before), 1e-9);
        assertEquals(0.1, after.stolenShareSince(before), 1e-9);
        assertEquals(0.0, before.stolenShareSince(before));
        assertEquals("no CPU time elapsed", before.sharesSince(before));
    }

    @Test
    void rejectsALineThatIsNotTheAggregate()
    {
        assertThrows(IllegalArgumentException.class, () -> CpuTimes.parse("cpu0 1 2 3 4 5 6 7 8"));
        assertThrows(IllegalArgumentException.class, () -> CpuTimes.parse("cpu 1 2 3"));
    }

    @Test
    void readsThisMachineWhereProcStatExists()
    {
        assumeTrue(Files.isReadable(Path.of("/proc/stat")), "not Linux");
        final CpuTimes now = CpuTimes.read();

        assertNotNull(now);
        assertTrue(now.totalTicks() > 0);
        assertTrue(now.totalTicks() >= now.busyTicks() + now.stealTicks());
    }
}
