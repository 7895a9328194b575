package io.jmirror.harness.sim;

import io.jmirror.mirror.ArbiterRecord;
import io.jmirror.mirror.MirrorNode;

/**
 * Applies {@link SimInvariants} to the state of a {@link Simulation}: after every step, and the convergence check at
 * the end of the heal phase.
 */
final class SimChecks
{
    private SimChecks()
    {
    }

    static String afterStep(final Simulation sim)
    {
        final SimInvariants invariants = sim.invariants();
        final ArbiterRecord record = sim.arbiterRecord();
        if (null != record)
        {
            final String backward = invariants.epochNotBackward("arbiter", record.epoch());
            if (null != backward)
            {
                return backward;
            }
        }
        for (final SimNode node : sim.nodes())
        {
            String broken = invariants.epochNotBackward(node.name() + " journal", node.journal().epoch());
            if (null == broken && node.isUp())
            {
                broken = SimInvariants.storeFollowsJournal(node.name(), node.journal().records(),
                    node.store().values(), node.store().appliedLsn());
            }
            if (null != broken)
            {
                return broken;
            }
        }
        final String async = asyncChecks(sim, record);
        if (null != async)
        {
            return async;
        }
        final SimNode primary = currentPrimary(sim);
        if (null == primary)
        {
            return null;
        }
        for (final SimNode node : sim.nodes())
        {
            if (node.isAsync() && node.isUp())
            {
                final String differ = SimInvariants.asyncAgreesInEpoch(primary.name(), primary.journal().records(),
                    primary.primarySide().epoch(), node.name(), node.journal().records(), node.journal().epoch());
                if (null != differ)
                {
                    return differ;
                }
            }
        }
        final String lost = SimInvariants.ackedNotLost(primary.name(), primary.journal().records(), sim.acked());
        if (null != lost)
        {
            return lost;
        }
        for (final SimNode node : sim.nodes())
        {
            final SimPrimarySide.Session session = primary.primarySide().session(node.name());
            if (node != primary && node.isUp() && null != session && null != node.followerSide() &&
                primary.name().equals(node.followerSide().primary()))
            {
                final String differ = SimInvariants.journalsAgree(primary.name(), primary.journal().records(),
                    node.name(), node.journal().records(), session.ackedDurableLsn);
                if (null != differ)
                {
                    return differ;
                }
            }
        }
        return null;
    }

    private static String asyncChecks(final Simulation sim, final ArbiterRecord record)
    {
        for (final SimNode node : sim.nodes())
        {
            if (!node.isAsync() || !node.isUp())
            {
                continue;
            }
            String gatedBy = null;
            for (final SimNode other : sim.nodes())
            {
                if (other.isUp() && null != other.primarySide() &&
                    node.name().equals(other.primarySide().gate().backupName()))
                {
                    gatedBy = other.name();
                }
            }
            final String broken = SimInvariants.asyncStaysAsync(node.name(), node.control().role(),
                null == record ? null : record.primary(), null == record ? null : record.backup(), gatedBy);
            if (null != broken)
            {
                return broken;
            }
        }
        return null;
    }

    /**
     * The member the arbiter names primary, once it is PRIMARY in the arbiter's epoch; null otherwise (no
     * commit can be acknowledged without it, so none is checked meanwhile).
     */
    static SimNode currentPrimary(final Simulation sim)
    {
        final ArbiterRecord record = sim.arbiterRecord();
        if (null == record || null == record.primary())
        {
            return null;
        }
        final SimNode node = sim.node(record.primary());
        if (null == node || !node.isUp() || node.control().role() != MirrorNode.Role.PRIMARY ||
            node.control().epoch() != record.epoch() || null == node.primarySide())
        {
            return null;
        }
        return node;
    }

    static String convergence(final Simulation sim)
    {
        final SimNode primary = currentPrimary(sim);
        if (null == primary)
        {
            final StringBuilder roles = new StringBuilder();
            for (final SimNode node : sim.nodes())
            {
                roles.append(' ').append(node.name()).append('=').append(node.isUp() ? node.control().role() +
                    "(" + node.control().reason() + ")" : "down");
            }
            return "no primary after the heal: arbiter=" + sim.arbiterRecord() + roles;
        }
        for (final SimNode node : sim.nodes())
        {
            if (node == primary)
            {
                continue;
            }
            final MirrorNode.Role expected = node.isAsync() ? MirrorNode.Role.ASYNC : MirrorNode.Role.BACKUP;
            if (node.control().role() != expected || null == node.followerSide() ||
                !primary.name().equals(node.followerSide().primary()))
            {
                return "member did not rejoin after the heal: " + node.name() + " is " + node.control().role() +
                    " following " + (null == node.followerSide() ? "nobody" : node.followerSide().primary()) +
                    ": " + node.control().reason();
            }
            final String differ = SimInvariants.converged(primary.name(), primary.journal().records(),
                primary.store().values(), node.name(), node.journal().records(), node.store().values());
            if (null != differ)
            {
                return differ;
            }
        }
        return null;
    }
}
