package io.jmirror.harness.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The faults of the fault phase, drawn from the run's random source each step: member crashes (process kills; with
 * {@link SimOptions#machineCrashes()} also machine crashes, losing what was not durable, perhaps with a torn tail),
 * arbiter crashes, stalled members (a paused VM that resumes later), links cut
 * one way or both and healed, and a bit flipped at rest in a following member's journal, in a record it has not
 * applied yet (its apply must detect it and stop, never apply it).
 */
final class SimFaults
{
    private static final String[] ENDPOINTS = {"A", "B", SimNetwork.ARBITER};

    private SimFaults()
    {
    }

    private static void flipBit(final Simulation sim, final SimNode node)
    {
        if (!node.isUp() || null == node.followerSide() || null != node.primarySide())
        {
            return;
        }
        final SimJournal journal = node.journal();
        final int from = journal.indexAt(node.store().appliedLsn());
        if (from < 0)
        {
            return;
        }
        final int index = from + sim.random().nextInt(journal.records().size() - from);
        final int bit = sim.random().nextInt(64);
        sim.trace("fault: flip bit " + bit + " at rest in " + node.name() + "'s journal, record at lsn=" +
            journal.records().get(index).lsn());
        journal.flipBit(index, bit);
    }

    static void inject(final Simulation sim)
    {
        final SplittableRandom random = sim.random();
        final long qos = sim.options().qosTimeoutMs();
        final List<SimNode> nodes = sim.nodes();
        for (int i = 0; i < nodes.size(); i++)
        {
            final SimNode node = nodes.get(i);
            if (node.isUp() && random.nextInt(1500) == 0)
            {
                final long downMs = 50 + random.nextLong(qos * 4);
                final boolean isMachineCrash = sim.options().machineCrashes() && random.nextBoolean();
                sim.trace("fault: " + (isMachineCrash ? "machine crash " : "kill ") + node.name() + " for " +
                    downMs + "ms");
                sim.crashNode(i, downMs, isMachineCrash);
            }
            else if (node.isRunning() && random.nextInt(2500) == 0)
            {
                final long stallMs = qos / 2 + random.nextLong(qos * 3);
                sim.trace("fault: stall " + node.name() + " for " + stallMs + "ms");
                node.pause(sim.nowMs() + stallMs);
            }
        }
        if (random.nextInt(2000) == 0)
        {
            flipBit(sim, nodes.get(random.nextInt(nodes.size())));
        }
        if (random.nextInt(3000) == 0)
        {
            final long downMs = 50 + random.nextLong(qos * 4);
            sim.trace("fault: crash the arbiter for " + downMs + "ms");
            sim.crashArbiter(downMs);
        }
        final SimNetwork network = sim.network();
        if (random.nextInt(400) == 0)
        {
            final String from = ENDPOINTS[random.nextInt(ENDPOINTS.length)];
            String to = ENDPOINTS[random.nextInt(ENDPOINTS.length)];
            while (to.equals(from))
            {
                to = ENDPOINTS[random.nextInt(ENDPOINTS.length)];
            }
            final boolean bothWays = random.nextBoolean();
            sim.trace("fault: cut " + from + (bothWays ? " <-> " : " -> ") + to);
            network.cut(from, to);
            if (bothWays)
            {
                network.cut(to, from);
            }
        }
        if (!network.cutLinks().isEmpty() && random.nextInt(150) == 0)
        {
            final List<String> cut = new ArrayList<>(network.cutLinks());
            final String link = cut.get(random.nextInt(cut.size()));
            final String[] ends = link.split("->");
            sim.trace("fault: heal " + link);
            network.heal(ends[0], ends[1]);
        }
    }
}
