package io.jmirror.harness.sim;

import io.jmirror.mirror.FailoverControl;
import io.jmirror.mirror.FailoverSettings;
import io.jmirror.mirror.MirrorNode;
import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;

import java.util.List;

/**
 * One simulated member, failover or DR async: what survives a crash (its journal, modelled) and what does not (the
 * production {@link FailoverControl}, its store, its primary and receiving sides). It runs when it is up and not
 * stalled.
 */
final class SimNode
{
    private final String name;
    private final String partner;
    private final boolean initialPrimary;
    private final boolean isAsync;
    private final Simulation sim;
    private final SimOptions options;
    private final SimJournal journal = new SimJournal();
    private final SimStore store = new SimStore();
    private FailoverControl control;
    private SimPrimarySide primarySide;
    private SimFollowerSide followerSide;
    private long pausedUntilMs = -1;
    private long nextBeatMs;
    private long lastJournalEpoch;

    /**
     * @param partner the other failover member; null for a DR async member.
     */
    SimNode(final String name, final String partner, final boolean initialPrimary, final Simulation sim,
        final SimOptions options)
    {
        this.name = name;
        this.partner = partner;
        this.initialPrimary = initialPrimary;
        this.isAsync = null == partner;
        this.sim = sim;
        this.options = options;
    }

    void start()
    {
        control = new FailoverControl(new FailoverSettings(Simulation.MIRROR, name, partner, isAsync, initialPrimary),
            sim::nowMs, this::askArbiter, new SimEnvironment(this, options));
        nextBeatMs = sim.nowMs();
        trace("started: journalTail=" + journal.tailLsn() + " journalEpoch=" + journal.epoch());
    }

    /**
     * Crash: lose the process (control, store, sides); a machine crash loses what the disk had not made durable too.
     */
    void crash(final boolean isMachineCrash)
    {
        control = null;
        primarySide = null;
        followerSide = null;
        store.clear();
        final int lost = isMachineCrash ? journal.crash(sim.random(this)) : 0;
        if (!isMachineCrash)
        {
            journal.sync();
        }
        pausedUntilMs = -1;
        trace((isMachineCrash ? "machine crashed: non-durable records lost=" + lost : "process killed") +
            " journalTail=" + journal.tailLsn());
    }

    /**
     * The operator rebuilds a member that cannot apply its journal: a new, empty journal and store, then it starts
     * and copies the primary's journal again.
     */
    void rebuild()
    {
        trace("rebuilt by the operator: " + control.reason());
        control = null;
        primarySide = null;
        followerSide = null;
        store.clear();
        journal.clear();
        start();
    }

    /**
     * @return true when this member says it cannot go on without an operator: its apply FAILED, or it must be
     * rebuilt.
     */
    boolean needsRebuild()
    {
        // An async member's control does not put its dejournaler's failure in its reason (a backup's does); the
        // operator reads it where the member's status shows it.
        return isUp() && (control.reason().startsWith("FAILED") || control.reason().contains("must be rebuilt") ||
            (isAsync && null != followerSide && null != followerSide.failure()));
    }

    void pause(final long untilMs)
    {
        pausedUntilMs = untilMs;
        trace("stalled until " + untilMs + "ms");
    }

    void resume()
    {
        pausedUntilMs = -1;
    }

    boolean isUp()
    {
        return null != control;
    }

    boolean isRunning()
    {
        return isUp() && sim.nowMs() >= pausedUntilMs;
    }

    long stalledForMs()
    {
        return Math.max(1, pausedUntilMs - sim.nowMs());
    }

    boolean isStalled()
    {
        return isUp() && sim.nowMs() < pausedUntilMs;
    }

    /**
     * One step: deliver is done by the simulation; beat the control, then run the sides.
     */
    void step(final List<SimRecord> acked)
    {
        final long nowMs = sim.nowMs();
        if (nowMs >= nextBeatMs)
        {
            nextBeatMs = nowMs + options.heartbeatMs();
            final MirrorNode.Role before = control.role();
            try
            {
                control.onBeat(nowMs);
            }
            catch (final RuntimeException ex)
            {
                control.onError(ex);
                trace("beat failed: " + ex);
            }
            if (before != control.role())
            {
                trace(before + " -> " + control.role() + " epoch=" + control.epoch() + ": " + control.reason());
            }
        }
        if (null != followerSide)
        {
            followerSide.step(nowMs, options);
        }
        if (null != primarySide)
        {
            if (sim.random().nextInt(4) != 0)
            {
                journal.sync();
            }
            primarySide.step(nowMs, options, acked);
        }
    }

    void deliver(final String from, final SimMessage message)
    {
        final long nowMs = sim.nowMs();
        if (message instanceof SimMessage.Hello hello)
        {
            if (null != primarySide)
            {
                primarySide.onHello(hello, nowMs);
            }
        }
        else if (message instanceof SimMessage.Ack ack)
        {
            if (null != primarySide)
            {
                primarySide.onAck(ack, nowMs);
            }
        }
        else if (message instanceof SimMessage.StaleEpoch stale)
        {
            if (null != primarySide && stale.epoch() > primarySide.epoch())
            {
                primarySide.fence("STALE_EPOCH from " + from + ": epoch=" + stale.epoch());
            }
        }
        else if (message instanceof SimMessage.Reject reject && null != followerSide)
        {
            followerSide.onReject(reject);
        }
        else if (message instanceof SimMessage.Batch batch && null != followerSide)
        {
            followerSide.onBatch(batch, nowMs);
        }
    }

    /**
     * The control's arbiter link: the request crosses the simulated network now (or late, or never) and the answer
     * comes back (or not).
     */
    private ArbiterResponse askArbiter(final ArbiterRequest request)
    {
        ArbiterResponse response = sim.arbiterRoundTrip(name, request);
        if (options.sabotage() == Sabotage.TAKEOVER_WITHOUT_GRANT && null != response && !response.isGranted() &&
            request.kind() == ArbiterProtocol.Kind.TAKEOVER && name.equals(response.backup()))
        {
            response = new ArbiterResponse(ArbiterProtocol.Reason.NONE, response.epoch() + 1, name,
                response.primary(), 0, -1, "sabotaged: takeover taken without the arbiter's grant");
        }
        if (request.kind() != ArbiterProtocol.Kind.POLL || null == response || !response.isGranted())
        {
            trace("arbiter " + request.kind() + " epoch=" + request.epoch() + " flags=" + request.flags() + " -> " +
            (null == response ? "no answer" : response.reason() + " epoch=" + response.epoch() + " primary=" +
            response.primary()));
        }
        return response;
    }

    void send(final String to, final SimMessage message)
    {
        sim.network().send(sim.nowMs(), name, to, message);
    }

    void trace(final String event)
    {
        sim.trace(name + ": " + event);
    }

    void detectedCorruption()
    {
        sim.countDetectedCorruption();
    }

    /**
     * @return the epoch of the journal's last {@code EPOCH_START}; remembered so a step can see it go backward.
     */
    long journalEpochSeen()
    {
        final long previous = lastJournalEpoch;
        lastJournalEpoch = Math.max(lastJournalEpoch, journal.epoch());
        return previous;
    }

    String name()
    {
        return name;
    }

    /**
     * @return true for a DR async member.
     */
    boolean isAsync()
    {
        return isAsync;
    }

    String partner()
    {
        return partner;
    }

    long nowMs()
    {
        return sim.nowMs();
    }

    SimJournal journal()
    {
        return journal;
    }

    SimStore store()
    {
        return store;
    }

    FailoverControl control()
    {
        return control;
    }

    SimPrimarySide primarySide()
    {
        return primarySide;
    }

    void primarySide(final SimPrimarySide side)
    {
        primarySide = side;
    }

    SimFollowerSide followerSide()
    {
        return followerSide;
    }

    void followerSide(final SimFollowerSide side)
    {
        followerSide = side;
    }

    /**
     * @return true when the production control is PRIMARY and its primary side takes writes.
     */
    boolean acceptsWrites()
    {
        return isRunning() && control.role() == MirrorNode.Role.PRIMARY && null != primarySide &&
            !primarySide.isFenced();
    }
}
