package io.jmirror.harness;

import io.jmirror.dejournal.Target;
import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordHandler;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.mirror.MirrorNode;
import io.jmirror.shipper.Primary;
import org.agrona.CloseHelper;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The application of a failover member: while its node is primary and it is told to run, one transaction at a time,
 * awaited; the store and the journal change together, with before-images, as an embedder's would. Each record is
 * appended to the journal, then read back from it and applied to the node's {@link Target} on this thread, so the
 * primary's store, in memory or in RocksDB, changes exactly as a member's does (same records, same apply code), and
 * the LSN below which it holds every record is known. Once a second it checkpoints the store at the last
 * acknowledged TCOMMIT: with a durable store a restart replays the journal from there, purge keeps the journal from
 * there, and the backup holds everything below it, so the checkpoint never lies beyond where a takeover's epoch
 * starts (a former primary's store checkpointed beyond that point would have to be rebuilt). Transaction
 * {@code t} sets {@code ^Acked(t)}, {@code ^Mirror(t)} and {@code ^Data(t % 256)} to {@link WorkloadHistory#value};
 * some transactions are rolled back by the application (undo journaled, then TROLLBACK). Each outcome goes to the
 * {@link WorkloadHistory} when there is one, so a checker can hold the whole mirror to what its clients were told.
 */
final class FailoverWorkload implements Runnable
{
    static final GlobalName ACKED = GlobalName.of("USER", "Acked");
    static final GlobalName MIRROR = GlobalName.of("USER", "Mirror");
    static final GlobalName DATA = GlobalName.of("USER", "Data");
    /** Transaction ids of epoch {@code e} start at {@code e * EPOCH_TXN_BASE}, so no two reigns share one. */
    static final long EPOCH_TXN_BASE = 1_000_000_000L;

    /** How often the store is checkpointed while primary: a RocksDB checkpoint flushes its memtables. */
    static final long CHECKPOINT_INTERVAL_MS = 1000;
    /** How long a record just appended may take to be readable back (another appender's claim before it). */
    private static final long READ_BACK_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final MirrorNode node;
    private final MemberStore store;
    private final Target target;
    private final RecordHandler applyHandler = this::applyRecord;
    private final String name;
    private final int rate;
    private final long qosTimeoutMs;
    private final int rollbackPercent;
    private final WorkloadHistory history;
    private final Random random;
    private final BeforeImage before = new BeforeImage();
    private final SubscriptKey key = new SubscriptKey();
    private long overstateAcks;
    private long lastTxn;
    private Journal applierJournal;
    private JournalReader applier;
    private long nextCheckpointMs;
    private volatile boolean isStopped;
    private volatile boolean isRunning;
    private volatile boolean isIdle = true;
    private volatile long ackedFirst = -1;
    private volatile long ackedLast = -1;
    private volatile Throwable failure;

    /**
     * @param history where outcomes go, or null (the demo checks a contiguous range of acknowledged commits instead).
     */
    FailoverWorkload(final MirrorNode node, final MemberStore store, final String name, final int rate,
        final long qosTimeoutMs, final int rollbackPercent, final WorkloadHistory history)
    {
        this.node = node;
        this.store = store;
        this.target = store.target();
        this.name = name;
        this.rate = rate;
        this.qosTimeoutMs = qosTimeoutMs;
        this.rollbackPercent = rollbackPercent;
        this.history = history;
        this.random = new Random(name.hashCode());
    }

    /**
     * @param lastTxn the highest transaction id this node used before it restarted: a node that is primary again in
     *                the same epoch must not use an id twice.
     */
    FailoverWorkload lastTxn(final long lastTxn)
    {
        this.lastTxn = lastTxn;
        return this;
    }

    /**
     * A broken application for the checker's negative control: its history claims this many commits it never made.
     */
    FailoverWorkload overstateAcks(final long count)
    {
        this.overstateAcks = count;
        return this;
    }

    void resume()
    {
        isRunning = true;
    }

    /**
     * Stop after the transaction in hand, and wait until it is finished.
     */
    void pause()
    {
        isRunning = false;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(8 * qosTimeoutMs + 10_000);
        while (!isIdle && System.nanoTime() < deadline)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * Stop for good and wait until the thread has let go of the store, so the store may be closed.
     */
    void stop()
    {
        isStopped = true;
        pause();
    }

    long ackedFirst()
    {
        return ackedFirst;
    }

    long ackedLast()
    {
        return ackedLast;
    }

    Throwable failure()
    {
        return failure;
    }

    @Override
    public void run()
    {
        final long intervalNs = TimeUnit.SECONDS.toNanos(1) / Math.max(1, rate);
        Journal journal = null;
        JournalAppender appender = null;
        long next = 0;
        long epoch = 0;
        while (!isStopped)
        {
            final Journal current = node.journal();
            final Primary primary = node.primary();
            if (!isRunning || null == current || null == primary || node.role() != MirrorNode.Role.PRIMARY)
            {
                isIdle = true;
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                continue;
            }
            isIdle = false;
            if (!isRunning || isStopped)
            {
                continue;
            }
            if (current != journal)
            {
                journal = current;
                appender = current.newAppender();
                epoch = node.epoch();
                next = Math.max(epoch * EPOCH_TXN_BASE + 1, lastTxn + 1);
                if (current != applierJournal)
                {
                    // A new reign: opening as primary brought the store up to the journal's end, so reading back
                    // starts there. (After a failed transaction in the same reign it goes on where it stopped.)
                    CloseHelper.quietClose(applier);
                    applier = null;
                    applierJournal = null;
                    applier = current.reader(current.tailLsn());
                    applierJournal = current;
                }
            }
            final long txn = next++;
            lastTxn = txn;
            if (transaction(primary, appender, epoch, txn))
            {
                LockSupport.parkNanos(intervalNs);
            }
            else
            {
                journal = null;
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
        CloseHelper.quietClose(applier);
        applier = null;
        isIdle = true;
    }

    /**
     * @return false when the journal failed under it (a failover): the caller takes a new appender.
     */
    private boolean transaction(final Primary primary, final JournalAppender appender, final long epoch,
        final long txn)
    {
        final boolean rollback = random.nextInt(100) < rollbackPercent;
        final byte[] value = WorkloadHistory.value(txn);
        final SubscriptKey dataKey = new SubscriptKey().add(Math.floorMod(txn, (long)WorkloadHistory.DATA_KEYS));
        if (null != history)
        {
            history.invoke(name, epoch, txn);
        }
        boolean isCommitJournaled = false;
        try
        {
            appender.tstart(txn);
            key.clear().add(txn);
            appender.set(txn, ACKED, key, value, before.undefined());
            applyThrough(appender.set(txn, MIRROR, key, value, before.undefined()));
            // the before-image is what the store holds now, every record of this node before it applied
            final byte[] oldData = store.get("USER", "Data", dataKey);
            applyThrough(appender.set(txn, DATA, dataKey, value, before.value(oldData)));
            if (rollback)
            {
                undo(appender, txn, value, dataKey, oldData);
                record(WorkloadHistory.Outcome.ROLLED_BACK, epoch, txn);
                return true;
            }
            isCommitJournaled = true;
            final long startNs = System.nanoTime();
            final long commit = appender.tcommit(txn);
            applyThrough(commit);
            if (!primary.awaitCommitted(commit, TimeUnit.MILLISECONDS.toNanos(4 * qosTimeoutMs)))
            {
                // Stop rather than go on past a commit whose fate is unknown: the demo checks acknowledged commits
                // as one contiguous range, and the soak restarts the application with the next failover.
                record(WorkloadHistory.Outcome.INDETERMINATE, epoch, txn);
                failure = new IllegalStateException("commit not acknowledged in time: txn=" + txn);
                isRunning = false;
                return true;
            }
            acknowledged(epoch, txn, commit, (System.nanoTime() - startNs) / 1000);
            checkpointIfDue(commit);
            return true;
        }
        catch (final RuntimeException ex)
        {
            // Fenced or closed under us: a failover. Before its TCOMMIT the transaction is rolled back by the next
            // primary's takeover (or, unshipped, set aside with the divergent bytes); after it, nobody can say.
            record(isCommitJournaled ? WorkloadHistory.Outcome.INDETERMINATE : WorkloadHistory.Outcome.FAILED,
                epoch, txn);
            failure = null == node.primary() ? null : ex;
            return false;
        }
    }

    private void undo(final JournalAppender appender, final long txn, final byte[] value, final SubscriptKey dataKey,
        final byte[] oldData)
    {
        // newest first, as a rollback does
        if (null == oldData)
        {
            appender.zkill(txn, DATA, dataKey, before.value(value));
        }
        else
        {
            appender.set(txn, DATA, dataKey, oldData, before.value(value));
        }
        appender.zkill(txn, MIRROR, key, before.value(value));
        appender.zkill(txn, ACKED, key, before.value(value));
        applyThrough(appender.trollback(txn));
    }

    /**
     * Apply to the store every record of the journal up to and including the one at {@code lsn}, in journal order.
     *
     * @throws IllegalStateException when the record cannot be read back in time.
     */
    private void applyThrough(final long lsn)
    {
        final JournalReader reader = applier;
        long deadlineNs = 0;
        // One store write for the records of this commit, as a member's worker writes a batch.
        target.beginBatch(0);
        while (reader.position() <= lsn)
        {
            if (reader.poll(applyHandler, 64) == 0)
            {
                final long nowNs = System.nanoTime();
                if (0 == deadlineNs)
                {
                    deadlineNs = nowNs + READ_BACK_TIMEOUT_NS;
                }
                else if (nowNs > deadlineNs)
                {
                    throw new IllegalStateException("a record just appended cannot be read back to apply it: " +
                        "member=" + name + " lsn=" + lsn + " readerPosition=" + reader.position());
                }
                Thread.onSpinWait();
            }
        }
        target.endBatch(0);
    }

    private void applyRecord(final JournalRecord record)
    {
        if (record.type().isNodeRecord())
        {
            target.apply(record, 0);
        }
        else if (record.type().isTransactionMarker())
        {
            // A marker reaches the target once every record before it is applied: the gathered ones are written.
            target.endBatch(0);
            target.onTransactionMarker(record);
            target.beginBatch(0);
        }
    }

    /**
     * @param committedLsn an acknowledged TCOMMIT's LSN: every record below it is applied and on the backup.
     */
    private void checkpointIfDue(final long committedLsn)
    {
        final long nowMs = System.currentTimeMillis();
        if (nowMs >= nextCheckpointMs)
        {
            nextCheckpointMs = nowMs + CHECKPOINT_INTERVAL_MS;
            target.checkpoint(committedLsn);
        }
    }

    private void acknowledged(final long epoch, final long txn, final long lsn, final long latencyUs)
    {
        if (ackedFirst < 0 || txn < ackedFirst)
        {
            ackedFirst = txn;
        }
        ackedLast = txn;
        if (null != history)
        {
            history.ok(name, epoch, txn, lsn, latencyUs);
            if (overstateAcks > 0)
            {
                overstateAcks--;
                history.ok(name, epoch, txn + EPOCH_TXN_BASE / 2, lsn, latencyUs);
            }
        }
    }

    private void record(final WorkloadHistory.Outcome outcome, final long epoch, final long txn)
    {
        if (null != history)
        {
            history.outcome(outcome, name, epoch, txn);
        }
    }
}
