package io.jmirror.mirror;

import io.jmirror.dejournal.DejournalContext;
import io.jmirror.dejournal.DejournalStatus;
import io.jmirror.dejournal.Dejournaler;
import io.jmirror.dejournal.DivergenceUndo;
import io.jmirror.dejournal.TransactionRollback;
import io.jmirror.journal.EpochStart;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalConsumer;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalTruncation;
import io.jmirror.shipper.AllowedMember;
import io.jmirror.shipper.BackupRelease;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.MemberStatus;
import io.jmirror.shipper.Primary;
import io.jmirror.shipper.PrimaryContext;
import io.jmirror.shipper.Receiver;
import io.jmirror.shipper.RejectReason;
import io.jmirror.shipper.ReceiverContext;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link MirrorNode}'s real environment: the journal files, the embedder's store, a {@link Primary} shipping over
 * TCP and a {@link Member} receiving and applying. {@link FailoverControl} decides; this does the I/O.
 */
final class NodeEnvironment implements FailoverEnvironment
{
    private static final Logger LOG = LoggerFactory.getLogger(NodeEnvironment.class);

    private final MirrorNodeContext ctx;
    private volatile Journal journal;
    private volatile Primary primary;
    private volatile Member member;
    private volatile long lastAppliedLsn = -1;
    private volatile boolean isFencedByPeer;
    private volatile boolean isClosing;
    private volatile JournalConsumer storeConsumer;
    private long undoneFromLsn = -1;

    NodeEnvironment(final MirrorNodeContext ctx)
    {
        this.ctx = ctx;
    }

    @Override
    public List<EpochStart> journalEpochHistory()
    {
        final Member following = member;
        final Journal received = null == following ? null : following.receiver().journal();
        if (null != received)
        {
            // While following, the receiver's journal is open and its epoch history is kept as records arrive.
            return received.epochHistory();
        }
        final JournalContext journalContext = ctx.journalContext();
        if (!Journal.exists(journalContext.journalDir()))
        {
            return List.of();
        }
        try (Journal onDisk = Journal.openReadOnly(journalContext.journalDir()))
        {
            return onDisk.epochHistory();
        }
    }

    @Override
    public boolean journalExists()
    {
        return Journal.exists(ctx.journalContext().journalDir());
    }

    @Override
    public long journalEndLsn()
    {
        try (Journal onDisk = Journal.openReadOnly(ctx.journalContext().journalDir()))
        {
            return onDisk.tailLsn();
        }
    }

    @Override
    public long storeRecoveredLsn()
    {
        return ctx.target().recoveredLsn();
    }

    @Override
    public String openAsPrimary(final long epoch, final BackupRelease release)
    {
        final Journal opened = Journal.open(ctx.journalContext());
        try
        {
            // A store that needs records this journal has purged (a durable store restored from an old copy, or one
            // whose checkpoint the journal outran) would open for writes without them: refuse before writing.
            final String notResumable = ResumePoint.whyNotResumable(ctx.memberName(), ctx.target(), opened, false);
            if (null != notResumable)
            {
                throw new IllegalStateException("cannot open as primary: " + notResumable);
            }
            if (opened.epoch() < epoch)
            {
                opened.startEpoch(epoch, ctx.memberName());
            }
            // Durable before anything of the epoch is shipped or acknowledged: a member must never hold a record of
            // an epoch whose start a crash could take from this journal (the arbiter would grant the epoch again).
            opened.awaitDurable(opened.tailLsn());
            final TransactionRollback.Result rollback =
                TransactionRollback.rollBackOpenTransactions(opened, opened.startLsn());
            if (!rollback.withoutBeforeImage().isEmpty())
            {
                LOG.error("open transactions held records without before-images; they stay applied: lsns={}",
                    rollback.withoutBeforeImage());
            }
            try (Dejournaler apply = Dejournaler.start(new DejournalContext().journal(opened).target(ctx.target())
                .workers(ctx.workers())))
            {
                while (!apply.awaitApplied(opened.tailLsn(), TimeUnit.SECONDS.toNanos(1)))
                {
                    LOG.info("bringing the store up to the journal before opening for writes: {}", apply.status());
                }
            }
            if (ctx.target().isDurable())
            {
                // The store resumes at its checkpoint after a crash: purge keeps the journal from there
                // (purgePrimary moves this to each new checkpoint the application makes).
                storeConsumer = opened.registerConsumer("store", Math.max(0, ctx.target().recoveredLsn()));
            }
            final PrimaryContext primaryContext = new PrimaryContext().journal(opened).insecure(null == ctx.tls())
                .tls(ctx.tls())
                .bindAddress(ctx.addressOf(ctx.memberName()));
            for (final String name : ctx.failoverMemberNames())
            {
                if (!name.equals(ctx.memberName()))
                {
                    primaryContext.member(AllowedMember.of(name, MemberRole.BACKUP));
                }
            }
            for (final String name : ctx.asyncMemberNames())
            {
                if (!name.equals(ctx.memberName()))
                {
                    primaryContext.member(AllowedMember.of(name, MemberRole.DR_ASYNC));
                }
            }
            // The flag belongs to this primary: one fenced earlier and since rejoined starts clean.
            isFencedByPeer = false;
            journal = opened;
            primary = Primary.start(primaryContext
                .qosTimeoutMs(ctx.qosTimeoutMs()).heartbeatIntervalMs(ctx.heartbeatIntervalMs())
                .memberRetentionMs(ctx.memberRetentionMs()).backupRelease(release)
                .higherEpochHandler((higher, name) -> isFencedByPeer = true));
            return "rolledBack=" + rollback.transactions();
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(storeConsumer);
            storeConsumer = null;
            CloseHelper.quietClose(opened);
            journal = null;
            throw ex;
        }
    }

    @Override
    public void closePrimary()
    {
        CloseHelper.quietClose(primary);
        primary = null;
        CloseHelper.quietClose(storeConsumer);
        storeConsumer = null;
        CloseHelper.quietClose(journal);
        journal = null;
    }

    /**
     * As primary, remove the journal files no member seen within the member retention still needs, outside the
     * journal's retention, and, with a durable store, none holding a record at or above the store's last checkpoint
     * (a restart replays from there). Called on the node's duty-cycle thread, the one that opens and closes the
     * primary.
     *
     * @return files deleted; 0 when not primary.
     */
    int purgePrimary()
    {
        final Primary current = primary;
        if (null == current)
        {
            return 0;
        }
        final JournalConsumer store = storeConsumer;
        if (null != store)
        {
            store.position(Math.max(store.position(), ctx.target().recoveredLsn()));
        }
        return current.purge();
    }

    @Override
    public long primaryTailLsn()
    {
        return journal.tailLsn();
    }

    @Override
    public long backupActiveLsn(final String memberName)
    {
        return primary.backupActiveLsn(memberName);
    }

    @Override
    public void assignBackup(final String memberName)
    {
        primary.assignBackup(memberName);
    }

    @Override
    public long memberDurableLsn(final String memberName)
    {
        final MemberStatus status = primary.memberStatus(memberName);
        return null == status ? -1 : status.durableLsn();
    }

    @Override
    public String primaryFencedBy()
    {
        final Primary current = primary;
        if (isFencedByPeer || current.isFenced())
        {
            return "fencedEpoch=" + current.fencedEpoch() + " primary=" + current.fencedPrimaryName();
        }
        return null;
    }

    @Override
    public void follow(final String primaryName, final MemberRole role, final long epoch)
    {
        member = Member.start(new MemberContext().target(ctx.target()).workers(ctx.workers())
            .purgeIntervalMs(ctx.purgeIntervalMs())
            .receiverContext(new ReceiverContext().memberName(ctx.memberName()).role(role)
                .mirrorName(ctx.mirrorName()).primaryAddress(ctx.connectAddressOf(primaryName))
                .insecure(null == ctx.tls()).tls(ctx.tls()).primaryName(primaryName)
                .heartbeatIntervalMs(ctx.heartbeatIntervalMs()).qosTimeoutMs(ctx.qosTimeoutMs())
                .reconnectIntervalMs(Math.max(10, ctx.heartbeatIntervalMs() / 2))
                .journalContext(ctx.journalContext())));
    }

    @Override
    public void stopFollowing()
    {
        final Member stopped = member;
        CloseHelper.quietClose(stopped);
        member = null;
        // Closed: its dejournaler applies nothing more, so this is where the store stands.
        lastAppliedLsn = null == stopped || null == stopped.dejournaler() ? -1 : stopped.dejournaler().appliedLsn();
    }

    @Override
    public boolean isStreaming()
    {
        return member.receiver().state() == Receiver.State.STREAMING;
    }

    @Override
    public long receivedTailLsn()
    {
        final Journal received = member.receiver().journal();
        return null == received ? 0 : received.tailLsn();
    }

    @Override
    public long appliedLsn()
    {
        final Member current = member;
        if (null == current)
        {
            return lastAppliedLsn;
        }
        return null == current.dejournaler() ? -1 : current.dejournaler().appliedLsn();
    }

    @Override
    public String followerFailure()
    {
        final Member current = member;
        if (null == current)
        {
            return null;
        }
        if (null != current.lastWiringError())
        {
            return "member cannot start or feed its dejournaler: " + current.lastWiringError();
        }
        final String waiting = current.waitingReason();
        if (null != waiting)
        {
            // Its journal lacks records its store holds: a takeover would start an epoch below the store's data.
            return waiting;
        }
        final Dejournaler dejournaler = current.dejournaler();
        if (null != dejournaler)
        {
            final DejournalStatus status = dejournaler.status();
            if ("FAILED".equals(status.state()))
            {
                return "dejournaler FAILED: " + status.failure();
            }
        }
        return null;
    }

    @Override
    public boolean isFollowerWaiting()
    {
        final Member current = member;
        return null != current && null != current.waitingReason() && null == current.lastWiringError() &&
            !current.isFailed();
    }

    @Override
    public long followerDivergenceLsn()
    {
        final Member current = member;
        return null != current && current.receiver().lastReject() == RejectReason.DIVERGED ?
            current.receiver().lastRejectLsn() : -1;
    }

    @Override
    public String followerRefusal()
    {
        final Member current = member;
        if (null == current)
        {
            return null;
        }
        final RejectReason refused = current.receiver().lastReject();
        if (refused != RejectReason.DIVERGED && refused != RejectReason.LSN_NOT_A_RECORD &&
            refused != RejectReason.LSN_AHEAD)
        {
            return null;
        }
        return "reason=" + refused + " lsn=" + current.receiver().lastRejectLsn() + " lastError=" +
            current.receiver().status().lastError();
    }

    @Override
    public boolean applyAllReceived()
    {
        final Member current = member;
        final Journal received = current.receiver().journal();
        if (null == received)
        {
            return true;
        }
        while (null == current.dejournaler() ||
            !current.dejournaler().awaitApplied(received.tailLsn(), TimeUnit.MILLISECONDS.toNanos(100)))
        {
            if (null != followerFailure() || isClosing)
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public Path truncateJournal(final long lsn)
    {
        // A durable store may hold records beyond its checkpoint (flushed since, or at close): a restarted former
        // primary or DR async undoes the bytes to be cut on its store first, else they would stay there after the
        // journal forgets them. A store already undone from this LSN (a fenced primary) is not undone again.
        if (ctx.target().isDurable() && undoneFromLsn != lsn && journalEndLsn() > lsn)
        {
            final List<Long> withoutBeforeImage = undoBeyond(lsn);
            if (null != withoutBeforeImage)
            {
                throw new IllegalStateException("cannot cut the journal at lsn=" + lsn + ": member=" +
                    ctx.memberName() + " dir=" + ctx.dir() + " its durable store may hold records beyond it that " +
                    "carry no before-image, lsns=" + withoutBeforeImage + "; rebuild it (seed it from a current " +
                    "member's store)");
            }
        }
        undoneFromLsn = -1;
        return JournalTruncation.truncate(ctx.journalContext().journalDir(), lsn);
    }

    @Override
    public List<Long> undoBeyond(final long lsn)
    {
        final DivergenceUndo.Result undone;
        try (Journal onDisk = Journal.openReadOnly(ctx.journalContext().journalDir()))
        {
            undone = DivergenceUndo.undo(onDisk, lsn, ctx.target(), ctx.dir().resolve("undo-scratch"));
        }
        LOG.info("undid divergent records on the store: member={} fromLsn={} records={} withoutBeforeImage={}",
            ctx.memberName(), lsn, undone.recordsUndone(), undone.withoutBeforeImage());
        if (!undone.isUndone())
        {
            return undone.withoutBeforeImage();
        }
        // The store now holds nothing from lsn on, so it must not resume beyond lsn: the new primary's records
        // there differ. The checkpoint also makes the undo durable in a store that writes without a log.
        final long recovered = ctx.target().recoveredLsn();
        if (recovered >= 0)
        {
            ctx.target().checkpoint(Math.min(recovered, lsn));
        }
        undoneFromLsn = lsn;
        return null;
    }

    /**
     * The node is closing: stop waiting for applies.
     */
    void closing()
    {
        isClosing = true;
    }

    Journal journal()
    {
        return journal;
    }

    Primary primary()
    {
        return primary;
    }

    Member member()
    {
        return member;
    }

    /**
     * Close what is open. Safe to call twice.
     */
    void close()
    {
        closePrimary();
        stopFollowing();
    }
}
