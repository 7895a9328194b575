package io.jmirror.harness.sim;

import io.jmirror.journal.EpochStart;
import io.jmirror.mirror.FailoverEnvironment;
import io.jmirror.shipper.BackupRelease;
import io.jmirror.shipper.MemberRole;

import java.nio.file.Path;
import java.util.List;

/**
 * The production {@link io.jmirror.mirror.FailoverControl}'s environment over a modelled member: its in-memory
 * journal and store, its {@link SimPrimarySide} and {@link SimFollowerSide}. The sabotage switches that reintroduce
 * known mistakes live here, in the harness, never in the engine.
 */
final class SimEnvironment implements FailoverEnvironment
{
    private final SimNode node;
    private final SimOptions options;

    SimEnvironment(final SimNode node, final SimOptions options)
    {
        this.node = node;
        this.options = options;
    }

    @Override
    public List<EpochStart> journalEpochHistory()
    {
        return node.journal().epochHistory();
    }

    @Override
    public boolean journalExists()
    {
        return node.journal().exists();
    }

    @Override
    public long journalEndLsn()
    {
        return node.journal().tailLsn();
    }

    @Override
    public long storeRecoveredLsn()
    {
        return node.store().appliedLsn();
    }

    @Override
    public String openAsPrimary(final long epoch, final BackupRelease release)
    {
        final SimJournal journal = node.journal();
        journal.create();
        if (journal.epoch() < epoch)
        {
            journal.append(SimRecord.epochStart(journal.tailLsn(), epoch, node.name()));
            journal.sync();
        }
        final SimFollowerSide applier = new SimFollowerSide(node, node.name(), journal.epoch());
        if (!applier.apply(Integer.MAX_VALUE))
        {
            throw new IllegalStateException("cannot bring the store up to the journal: " + applier.failure());
        }
        final BackupRelease used = options.sabotage() == Sabotage.RELEASE_WITHOUT_GRANT ? BackupRelease.AT_ONCE :
            release;
        node.primarySide(new SimPrimarySide(node, journal.epoch(), used));
        return "rolledBack=0";
    }

    @Override
    public void closePrimary()
    {
        node.primarySide(null);
    }

    @Override
    public long primaryTailLsn()
    {
        return node.journal().tailLsn();
    }

    @Override
    public long backupActiveLsn(final String memberName)
    {
        final SimPrimarySide side = node.primarySide();
        final SimPrimarySide.Session session = side.session(memberName);
        if (null == session || session.state != SimPrimarySide.SessionState.ACTIVE)
        {
            return -1;
        }
        if (options.sabotage() == Sabotage.ACTIVE_WITHOUT_COVER)
        {
            return session.ackedDurableLsn;
        }
        return side.gate().activeReportLsn(memberName);
    }

    @Override
    public long memberDurableLsn(final String memberName)
    {
        final SimPrimarySide.Session session = node.primarySide().session(memberName);
        return null == session ? -1 : session.ackedDurableLsn;
    }

    @Override
    public String primaryFencedBy()
    {
        return node.primarySide().fencedBy();
    }

    @Override
    public void follow(final String primaryName, final MemberRole role, final long epoch)
    {
        node.followerSide(new SimFollowerSide(node, primaryName, epoch));
    }

    @Override
    public void stopFollowing()
    {
        node.followerSide(null);
    }

    @Override
    public boolean isStreaming()
    {
        return node.followerSide().isStreaming(node.nowMs(), options);
    }

    @Override
    public long receivedTailLsn()
    {
        return node.journal().tailLsn();
    }

    @Override
    public long appliedLsn()
    {
        return node.store().appliedLsn();
    }

    @Override
    public String followerFailure()
    {
        final SimFollowerSide follower = node.followerSide();
        return null == follower ? null : follower.failure();
    }

    @Override
    public long followerDivergenceLsn()
    {
        final SimFollowerSide follower = node.followerSide();
        return null == follower ? -1 : follower.divergenceLsn();
    }

    @Override
    public String followerRefusal()
    {
        final SimFollowerSide follower = node.followerSide();
        return null == follower ? null : follower.refusal();
    }

    @Override
    public boolean applyAllReceived()
    {
        return node.followerSide().apply(Integer.MAX_VALUE);
    }

    @Override
    public Path truncateJournal(final long lsn)
    {
        final List<SimRecord> cut = node.journal().truncate(lsn);
        node.trace("journal cut at lsn=" + lsn + " records kept aside=" + cut.size());
        return cut.isEmpty() ? null : Path.of("divergent-" + node.name() + "-" + lsn);
    }

    @Override
    public List<Long> undoBeyond(final long lsn)
    {
        node.store().resetTo(node.journal().records(), lsn);
        return null;
    }
}
