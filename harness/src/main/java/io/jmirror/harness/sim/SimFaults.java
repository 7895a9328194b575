package io.jmirror.harness.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The faults of the fault phase, drawn from the run's random source each step: member crashes (process kills; with
 * {@link SimOptions#machineCrashes()} also machine crashes, losing what was not durable, perhaps with a torn tail),
 * arbiter crashes, stalled members (a paused VM that resumes later), links cut
 * one way or both and healed, and a bit flipped at rest in a following member's journal, in a record it has not
 * applied yet (its apply must detect it and stop, never apply it). DR async members suffer the same faults (crashes,
 * stalls, bit flips, links to and from them cut and healed), drawn from the async members' own random source.
 */
final class SimFaults
{
    private static final String[] ENDPOINTS = {"A", "B", SimNetwork.ARBITER};
    private static final int FAILOVER_MEMBERS = 2;

    private SimFaults()
    {
    }

    private static void flipBit(final Simulation sim, final SimNode node, final SplittableRandom random)
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
        final int index = from + random.nextInt(journal.records().size() - from);
        final int bit = random.nextInt(64);
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
            memberFaults(sim, i, node, sim.random(node), qos);
        }
        if (random.nextInt(2000) == 0)
        {
            flipBit(sim, nodes.get(random.nextInt(FAILOVER_MEMBERS)), random);
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
            cut(sim, from, to, random.nextBoolean());
        }
        healOne(sim, random, false);
        if (nodes.size() > FAILOVER_MEMBERS)
        {
            asyncLinkFaults(sim, nodes);
        }
    }

    /**
     * The async members' own bit flips and links, from their random source.
     */
    private static void asyncLinkFaults(final Simulation sim, final List<SimNode> nodes)
    {
        final SplittableRandom random = sim.asyncRandom();
        if (random.nextInt(2000) == 0)
        {
            flipBit(sim, nodes.get(FAILOVER_MEMBERS + random.nextInt(nodes.size() - FAILOVER_MEMBERS)), random);
        }
        if (random.nextInt(400) == 0)
        {
            final String async = nodes.get(FAILOVER_MEMBERS + random.nextInt(nodes.size() - FAILOVER_MEMBERS)).name();
            final String other = ENDPOINTS[random.nextInt(ENDPOINTS.length)];
            final boolean isOutgoing = random.nextBoolean();
            cut(sim, isOutgoing ? async : other, isOutgoing ? other : async, random.nextBoolean());
        }
        healOne(sim, random, true);
    }

    private static void cut(final Simulation sim, final String from, final String to, final boolean bothWays)
    {
        sim.trace("fault: cut " + from + (bothWays ? " <-> " : " -> ") + to);
        sim.network().cut(from, to);
        if (bothWays)
        {
            sim.network().cut(to, from);
        }
    }

    /**
     * Perhaps heal one cut link: among the failover members' and the arbiter's, or among the async members'.
     */
    private static void healOne(final Simulation sim, final SplittableRandom random, final boolean isAsyncLink)
    {
        final SimNetwork network = sim.network();
        final List<String> cut = new ArrayList<>();
        for (final String link : network.cutLinks())
        {
            final String[] ends = link.split("->");
            if (network.isAsyncLink(ends[0], ends[1]) == isAsyncLink)
            {
                cut.add(link);
            }
        }
        if (!cut.isEmpty() && random.nextInt(150) == 0)
        {
            final String link = cut.get(random.nextInt(cut.size()));
            final String[] ends = link.split("->");
            sim.trace("fault: heal " + link);
            network.heal(ends[0], ends[1]);
        }
    }

    private static void memberFaults(
        final Simulation sim, final int i, final SimNode node, final SplittableRandom random, final long qos)
    {
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
}
