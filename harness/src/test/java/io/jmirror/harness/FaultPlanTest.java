package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultPlanTest
{
    @Test
    void theDefaultPlanInjectsEveryKindWithinTheFirstMinute()
    {
        everyKindWithinTheFirstMinute(true);
        everyKindWithinTheFirstMinute(false);
    }

    private static void everyKindWithinTheFirstMinute(final boolean failover)
    {
        final List<FaultPlan.Scheduled> schedule = FaultPlan.defaults(failover).schedule(60_000);
        final EnumSet<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        long previous = -1;
        for (final FaultPlan.Scheduled fault : schedule)
        {
            assertTrue(fault.atMs() < 60_000, fault.toString());
            assertTrue(fault.atMs() >= previous, "in time order: " + schedule);
            previous = fault.atMs();
            kinds.add(fault.kind());
        }
        assertEquals(EnumSet.copyOf(FaultKind.kinds(failover)), kinds);
        assertEquals(FaultKind.kinds(failover).size(), schedule.size());
        assertEquals(2 * FaultKind.kinds(failover).size(), FaultPlan.defaults(failover).schedule(120_000).size());
    }

    @Test
    void periodsAreParsedPerKind()
    {
        final FaultPlan plan = FaultPlan.parse(List.of("kill=10s", "stall-acks=30s"), false);
        assertEquals(Duration.ofSeconds(10), plan.periods().get(FaultKind.KILL));
        assertEquals(2, plan.periods().size());
        assertEquals(6 + 2, plan.schedule(60_000).size());
        assertTrue(FaultPlan.none().schedule(60_000).isEmpty());
        final FaultPlan failover = FaultPlan.parse(List.of("kill-primary=20s", "one-way=30s"), true);
        assertEquals(3 + 2, failover.schedule(60_000).size());
    }

    @Test
    void badSpecsAreNamed()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse(List.of("flood=1s"), true))
            .getMessage().contains("flood"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse(List.of("kill"), false))
            .getMessage().contains("KIND=PERIOD"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse(List.of("kill=10ms"), false))
            .getMessage().contains("at least 1s"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse(List.of("kill=10s"), true))
            .getMessage().contains("--no-failover"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse(List.of("bit-flip=10s"),
            false)).getMessage().contains("with failover"));
    }

    @Test
    void durationsReadTheWayOperatorsWriteThem()
    {
        assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
        assertEquals(Duration.ofSeconds(30), DurationConverter.parse("30s"));
        assertEquals(Duration.ofMinutes(2), DurationConverter.parse("2m"));
        assertEquals(Duration.ofHours(1), DurationConverter.parse("1h"));
        assertEquals(Duration.ofSeconds(7), DurationConverter.parse("7"));
        assertThrows(picocli.CommandLine.TypeConversionException.class, () -> DurationConverter.parse("soon"));
    }

    @Test
    void zipfSkewsTowardsTheFirstGlobals()
    {
        final java.util.Random random = new java.util.Random(3);
        final ZipfSampler uniform = new ZipfSampler(100, 0);
        final ZipfSampler skewed = new ZipfSampler(100, 1.2);
        int uniformFirst = 0;
        int skewedFirst = 0;
        for (int i = 0; i < 100_000; i++)
        {
            uniformFirst += uniform.next(random) == 0 ? 1 : 0;
            skewedFirst += skewed.next(random) == 0 ? 1 : 0;
            final int drawn = skewed.next(random);
            assertTrue(drawn >= 0 && drawn < 100);
        }
        assertTrue(uniformFirst > 700 && uniformFirst < 1300, "uniform share of global 0: " + uniformFirst);
        assertTrue(skewedFirst > 20_000, "skewed share of global 0: " + skewedFirst);
    }
}
