package io.jmirror.harness;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.mirror.MirrorNode;
import io.jmirror.shipper.Primary;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The application of a failover member: while its node is primary and it is told to run, one transaction at a time,
 * awaited; the store and the journal change together, with before-images, as an embedder's would. Transaction
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

    private final MirrorNode node;
    private final GlobalStore store;
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
    private volatile boolean isRunning;
    private volatile boolean isIdle = true;
    private volatile long ackedFirst = -1;
    private volatile long ackedLast = -1;
    private volatile Throwable failure;

    /**
     * @param history where outcomes go, or null (the demo checks a contiguous range of acknowledged commits instead).
     */
    FailoverWorkload(final MirrorNode node, final GlobalStore store, final String name, final int rate,
        final long qosTimeoutMs, final int rollbackPercent, final WorkloadHistory history)
    {
        this.node = node;
        this.store = store;
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
        while (true)
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
            if (!isRunning)
            {
                continue;
            }
            if (current != journal)
            {
                journal = current;
                appender = current.newAppender();
                epoch = node.epoch();
                next = Math.max(epoch * EPOCH_TXN_BASE + 1, lastTxn + 1);
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
            store.set("USER", "Acked", key, value);
            appender.set(txn, MIRROR, key, value, before.undefined());
            store.set("USER", "Mirror", key, value);
            final byte[] oldData = store.get("USER", "Data", dataKey);
            appender.set(txn, DATA, dataKey, value, before.value(oldData));
            store.set("USER", "Data", dataKey, value);
            if (rollback)
            {
                undo(appender, txn, value, dataKey, oldData);
                record(WorkloadHistory.Outcome.ROLLED_BACK, epoch, txn);
                return true;
            }
            isCommitJournaled = true;
            final long startNs = System.nanoTime();
            final long commit = appender.tcommit(txn);
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
            store.zkill("USER", "Data", dataKey);
        }
        else
        {
            appender.set(txn, DATA, dataKey, oldData, before.value(value));
            store.set("USER", "Data", dataKey, oldData);
        }
        appender.zkill(txn, MIRROR, key, before.value(value));
        store.zkill("USER", "Mirror", key);
        appender.zkill(txn, ACKED, key, before.value(value));
        store.zkill("USER", "Acked", key);
        appender.trollback(txn);
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
