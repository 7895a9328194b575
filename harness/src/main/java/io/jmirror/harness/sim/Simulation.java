package io.jmirror.harness.sim;

import io.jmirror.mirror.ArbiterRecord;
import io.jmirror.mirror.MirrorNode;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One deterministic run: two failover members ("A", "B"), {@link SimOptions#asyncMembers()} DR async members ("C",
 * ...) and an arbiter on one thread, a simulated clock and network, seeded random sources for every choice (one for
 * the failover members and the arbiter, one for what concerns the async members only), faults for
 * {@link SimOptions#steps()} steps and then a heal phase in which every member must converge. The invariants
 * ({@link SimInvariants}) are checked after every step.
 */
public final class Simulation
{
    static final String MIRROR = "SIM";
    private static final int TRACE_KEPT = 2000;
    private static final String[] GLOBALS = {"Patient", "Visit", "Lab"};
    private static final long ASYNC_SEED_MIX = 0x5DEECE66DL;

    private final SimOptions options;
    private final SimFaultPlan faultPlan;
    private final SplittableRandom random;
    private final SplittableRandom asyncRandom;
    private final SimNetwork network;
    private final SimArbiter arbiter;
    private final List<SimNode> nodes = new ArrayList<>();
    private final SimInvariants invariants = new SimInvariants();
    private final List<SimRecord> acked = new ArrayList<>();
    private final ArrayDeque<String> trace = new ArrayDeque<>();
    private final long[] restartAtMs;
    private long arbiterRestartAtMs = -1;
    private long nowMs;
    private int step;
    private long traceHash = 1125899906842597L;
    private long failovers;
    private long crashes;
    private long corruption;
    private long nextValue;
    private long rebuilds;
    private long lateTakeoverGrants;

    /**
     * @param options the run.
     */
    public Simulation(final SimOptions options)
    {
        this(options, SimFaultPlan.RANDOM);
    }

    /**
     * @param options   the run.
     * @param faultPlan what goes wrong in the fault phase.
     */
    public Simulation(final SimOptions options, final SimFaultPlan faultPlan)
    {
        this.options = options;
        this.faultPlan = faultPlan;
        this.random = new SplittableRandom(options.seed());
        // Its own source: async members draw nothing from the failover members' one, so their run stays as it was.
        this.asyncRandom = new SplittableRandom(options.seed() ^ ASYNC_SEED_MIX);
        final String[] asyncNames = new String[options.asyncMembers()];
        for (int i = 0; i < asyncNames.length; i++)
        {
            asyncNames[i] = String.valueOf((char)('C' + i));
        }
        this.network = new SimNetwork(random, asyncRandom, Set.of(asyncNames));
        this.arbiter = new SimArbiter(MIRROR, new String[] {"A", "B"}, asyncNames, options.qosTimeoutMs(),
            this::nowMs, random);
        nodes.add(new SimNode("A", "B", true, this, options));
        nodes.add(new SimNode("B", "A", false, this, options));
        for (final String name : asyncNames)
        {
            nodes.add(new SimNode(name, null, false, this, options));
        }
        restartAtMs = new long[nodes.size()];
        Arrays.fill(restartAtMs, -1);
    }

    /**
     * @return the outcome.
     */
    public SimResult run()
    {
        network.conditions(random.nextDouble() * 0.05, random.nextDouble() * 0.05, 1 + random.nextInt(50));
        arbiter.storeFailureRate(random.nextDouble() * 0.01);
        trace("run: seed=" + options.seed() + " steps=" + options.steps() + " sabotage=" + options.sabotage());
        arbiter.start();
        for (final SimNode node : nodes)
        {
            node.start();
        }
        final int total = options.steps() + options.healSteps();
        String violation = null;
        for (step = 0; step < total && null == violation; step++)
        {
            nowMs += options.stepMs();
            if (step < options.steps())
            {
                faultPlan.inject(this);
            }
            else
            {
                if (step == options.steps())
                {
                    heal();
                }
                operatorRepairs();
            }
            restartDue();
            deliver();
            final List<SimRecord> ackedNow = new ArrayList<>();
            for (final SimNode node : nodes)
            {
                if (node.isRunning())
                {
                    final MirrorNode.Role before = node.control().role();
                    node.step(ackedNow);
                    if (before == MirrorNode.Role.BACKUP && node.control().role() == MirrorNode.Role.PRIMARY)
                    {
                        failovers++;
                    }
                }
            }
            for (final SimRecord write : ackedNow)
            {
                trace("acked to the client: " + write);
            }
            acked.addAll(ackedNow);
            if (step < options.steps() + options.healSteps() / 2)
            {
                violation = write();
            }
            if (null == violation)
            {
                violation = SimChecks.afterStep(this);
            }
        }
        if (null == violation)
        {
            violation = SimChecks.convergence(this);
        }
        if (null != violation)
        {
            trace("VIOLATION: " + violation);
        }
        return new SimResult(options.seed(), violation, null == violation ? -1 : step - 1, step, failovers,
            acked.size(), crashes, corruption, rebuilds, lateTakeoverGrants, traceHash, List.copyOf(trace));
    }

    /**
     * A client write to a member that accepts writes (a stale primary too, if it still does).
     */
    private String write()
    {
        if (random.nextInt(3) != 0)
        {
            return null;
        }
        final List<SimNode> writable = new ArrayList<>();
        for (final SimNode node : nodes)
        {
            if (node.acceptsWrites())
            {
                writable.add(node);
            }
        }
        if (writable.isEmpty())
        {
            return null;
        }
        final SimNode node = writable.get(random.nextInt(writable.size()));
        final SimRecord record = node.primarySide().write(GLOBALS[random.nextInt(GLOBALS.length)],
            random.nextInt(5), ++nextValue);
        trace(node.name() + ": client write " + record);
        return invariants.oneWriterPerEpoch(record.epoch(), node.name());
    }

    private void heal()
    {
        trace("heal: faults stop; links healed, members restarted and resumed, the arbiter up");
        network.healAll();
        network.conditions(0, 0, 5);
        arbiter.storeFailureRate(0);
        if (!arbiter.isUp())
        {
            arbiter.start();
            arbiterRestartAtMs = -1;
        }
        for (int i = 0; i < nodes.size(); i++)
        {
            final SimNode node = nodes.get(i);
            if (!node.isUp())
            {
                node.start();
                restartAtMs[i] = -1;
            }
            node.resume();
        }
    }

    /**
     * In the heal phase the operator rebuilds a member that says it cannot go on (its apply FAILED on a damaged
     * record, or it must be rebuilt).
     */
    private void operatorRepairs()
    {
        for (final SimNode node : nodes)
        {
            if (node.needsRebuild())
            {
                node.rebuild();
                invariants.forget(node.name() + " journal");
                rebuilds++;
            }
        }
    }

    private void restartDue()
    {
        for (int i = 0; i < nodes.size(); i++)
        {
            if (restartAtMs[i] >= 0 && nowMs >= restartAtMs[i])
            {
                restartAtMs[i] = -1;
                nodes.get(i).start();
            }
        }
        if (arbiterRestartAtMs >= 0 && nowMs >= arbiterRestartAtMs)
        {
            arbiterRestartAtMs = -1;
            arbiter.start();
            trace("arbiter: restarted, record=" + arbiter.persisted());
        }
    }

    private void deliver()
    {
        for (final SimNetwork.InFlight message : network.due(nowMs))
        {
            if (message.message() instanceof SimMessage.LateArbiterRequest late)
            {
                final ArbiterRecord before = arbiter.persisted();
                final ArbiterResponse response = arbiter.handle(late.request());
                if (SimArbiter.isTakeover(late.request()) && null != response && response.isGranted() &&
                    null != before && response.epoch() > before.epoch())
                {
                    lateTakeoverGrants++;
                }
                trace("arbiter: late request from " + message.from() + " " + late.request().kind() + " epoch=" +
                    late.request().epoch() + " -> " + (null == response ? "arbiter down" : response.reason() +
                    " epoch=" + response.epoch() + " primary=" + response.primary()) + " (answer lost)");
                continue;
            }
            final SimNode to = node(message.to());
            if (null != to && to.isStalled())
            {
                // A stalled machine's socket buffers hold what arrives; it reads them when it resumes.
                network.sendLate(nowMs, message.from(), message.to(), message.message(), to.stalledForMs(), 0);
            }
            else if (null != to && to.isRunning())
            {
                to.deliver(message.from(), message.message());
            }
        }
    }

    /**
     * A member's request to the arbiter: it may be lost, delivered late (after the member gave up), delivered twice,
     * and its answer may be lost.
     */
    ArbiterResponse arbiterRoundTrip(final String from, final ArbiterRequest request)
    {
        final SplittableRandom fate = network.isAsyncLink(from, SimNetwork.ARBITER) ? asyncRandom : this.random;
        final boolean isLost = network.isCut(from, SimNetwork.ARBITER) || fate.nextDouble() < 0.02;
        if (isLost || !arbiter.isUp() || fate.nextDouble() < 0.01)
        {
            if (fate.nextDouble() < 0.2)
            {
                network.sendLate(nowMs, from, SimNetwork.ARBITER, new SimMessage.LateArbiterRequest(request),
                    1 + fate.nextLong(options.qosTimeoutMs() * 3), options.qosTimeoutMs() * 3);
            }
            return null;
        }
        final ArbiterResponse response = arbiter.handle(request);
        if (fate.nextDouble() < 0.01)
        {
            network.sendLate(nowMs, from, SimNetwork.ARBITER, new SimMessage.LateArbiterRequest(request),
                1 + fate.nextLong(options.qosTimeoutMs() * 3), 0);
        }
        if (network.isCut(SimNetwork.ARBITER, from) || fate.nextDouble() < 0.02)
        {
            return null;
        }
        return response;
    }

    void crashNode(final int index, final long downMs, final boolean isMachineCrash)
    {
        final SimNode node = nodes.get(index);
        if (!node.isUp())
        {
            return;
        }
        crashes++;
        node.crash(isMachineCrash);
        restartAtMs[index] = nowMs + downMs;
    }

    /**
     * Start a killed member now rather than when its down time ends (a scripted restart).
     */
    void restartNow(final int index)
    {
        if (!nodes.get(index).isUp())
        {
            restartAtMs[index] = nowMs;
        }
    }

    void crashArbiter(final long downMs)
    {
        if (!arbiter.isUp())
        {
            return;
        }
        crashes++;
        arbiter.crash();
        arbiterRestartAtMs = nowMs + downMs;
        trace("arbiter: crashed");
    }

    void trace(final String event)
    {
        final String line = "t=" + nowMs + "ms " + event;
        traceHash = traceHash * 31 + line.hashCode();
        trace.addLast(line);
        if (trace.size() > TRACE_KEPT)
        {
            trace.removeFirst();
        }
    }

    void countDetectedCorruption()
    {
        corruption++;
    }

    SimNode node(final String name)
    {
        for (final SimNode node : nodes)
        {
            if (node.name().equals(name))
            {
                return node;
            }
        }
        return null;
    }

    /**
     * @return the index of the member named {@code name}.
     */
    int nodeIndex(final String name)
    {
        for (int i = 0; i < nodes.size(); i++)
        {
            if (nodes.get(i).name().equals(name))
            {
                return i;
            }
        }
        throw new IllegalArgumentException("no such member: name=" + name);
    }

    List<SimNode> nodes()
    {
        return nodes;
    }

    List<SimRecord> acked()
    {
        return acked;
    }

    SimInvariants invariants()
    {
        return invariants;
    }

    ArbiterRecord arbiterRecord()
    {
        return arbiter.persisted();
    }

    long nowMs()
    {
        return nowMs;
    }

    /**
     * @return the step being run, from 0.
     */
    public int stepIndex()
    {
        return step;
    }

    SplittableRandom random()
    {
        return random;
    }

    /**
     * @return the random source for what concerns {@code node}: the async members' own for an async member.
     */
    SplittableRandom random(final SimNode node)
    {
        return node.isAsync() ? asyncRandom : random;
    }

    /**
     * @return the random source for what concerns the async members only.
     */
    SplittableRandom asyncRandom()
    {
        return asyncRandom;
    }

    /**
     * Cut every link between the members and the arbiter, both ways.
     */
    public void cutEveryLink()
    {
        final List<String> ends = new ArrayList<>();
        for (final SimNode node : nodes)
        {
            ends.add(node.name());
        }
        ends.add(SimNetwork.ARBITER);
        for (final String from : ends)
        {
            for (final String to : ends)
            {
                if (!from.equals(to))
                {
                    network.cut(from, to);
                }
            }
        }
        trace("fault: cut every link");
    }

    /**
     * Heal every link.
     */
    public void healEveryLink()
    {
        network.healAll();
        trace("fault: heal every link");
    }

    SimNetwork network()
    {
        return network;
    }

    SimOptions options()
    {
        return options;
    }
}
