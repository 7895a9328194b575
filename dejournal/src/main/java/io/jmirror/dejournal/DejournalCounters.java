package io.jmirror.dejournal;

import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import io.jmirror.journal.StatusText;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A member's dejournal status in its status file, so {@code jmirror status DIR} can read it from outside the process.
 * Typed counters (see {@code StatusCounterType}): the dejournaler's, and
 * records, busy time and queue depth per worker. Public for the member wiring in the mirror module, which owns the
 * status file.
 */
public final class DejournalCounters
{
    private final AtomicCounter state;
    private final AtomicCounter appliedLsn;
    private final AtomicCounter journalEndLsn;
    private final AtomicCounter bytesBehind;
    private final AtomicCounter msBehind;
    private final AtomicCounter recordsApplied;
    private final AtomicCounter applyRate;
    private final AtomicCounter openTransactions;
    private final StatusFile statusFile;
    private final String member;
    private final StatusText lastError;
    /** The failure last copied to {@link #lastError}, so the text is rewritten only when it changes. */
    private String failureShown;
    /** Per worker: records, busyMs, queueDepth; allocated at the first status that lists the workers. */
    private AtomicCounter[][] workers = new AtomicCounter[0][];

    /**
     * @param statusFile where the counters live.
     * @param member     the member's name, in every label.
     */
    public DejournalCounters(final StatusFile statusFile, final String member)
    {
        this.statusFile = statusFile;
        this.member = member;
        state = statusFile.newCounter(StatusCounterType.DEJOURNAL_STATE, member);
        appliedLsn = statusFile.newCounter(StatusCounterType.DEJOURNAL_APPLIED_LSN, member);
        journalEndLsn = statusFile.newCounter(StatusCounterType.DEJOURNAL_JOURNAL_END_LSN, member);
        bytesBehind = statusFile.newCounter(StatusCounterType.DEJOURNAL_BYTES_BEHIND, member);
        msBehind = statusFile.newCounter(StatusCounterType.DEJOURNAL_MS_BEHIND, member);
        recordsApplied = statusFile.newCounter(StatusCounterType.DEJOURNAL_RECORDS_APPLIED, member);
        applyRate = statusFile.newCounter(StatusCounterType.DEJOURNAL_APPLY_RATE, member);
        openTransactions = statusFile.newCounter(StatusCounterType.DEJOURNAL_OPEN_TRANSACTIONS, member);
        lastError = new StatusText(statusFile, StatusCounterType.DEJOURNAL_LAST_ERROR, member);
        state.setRelease(DejournalState.STARTING.ordinal());
    }

    /**
     * Dejournaling failed, or could not start: the state counter shows FAILED and the {@code lastError} text says why,
     * so a status reader outside the process can tell ({@link StatusFile#text}).
     *
     * @param reason why, naming what and where.
     */
    public void failed(final String reason)
    {
        final String shown = String.valueOf(reason).replace('\n', ' ');
        if (!shown.equals(failureShown))
        {
            failureShown = shown;
            lastError.set(shown);
        }
        state.setRelease(DejournalState.FAILED.ordinal());
    }

    /**
     * @param text an error met around the dejournaler (starting it, feeding it), for the status file.
     */
    public void error(final String text)
    {
        lastError.set(text);
    }

    /**
     * @param status the dejournaler's latest status, copied into the counters.
     */
    public void publish(final DejournalStatus status)
    {
        publish(status, null);
    }

    /**
     * @param status  the dejournaler's latest status, copied into the counters.
     * @param failure why the member cannot apply although its dejournaler runs (it cannot catch up), or null: shown
     *                as the dejournaler's own failure is, see {@link #failed(String)}.
     */
    public void publish(final DejournalStatus status, final String failure)
    {
        long records = 0;
        final java.util.List<DejournalStatus.WorkerStatus> workerStatus = status.workers();
        if (workers.length != workerStatus.size())
        {
            allocateWorkers(workerStatus.size());
        }
        for (int i = 0; i < workerStatus.size(); i++)
        {
            final DejournalStatus.WorkerStatus worker = workerStatus.get(i);
            records += worker.records();
            workers[i][0].setRelease(worker.records());
            workers[i][1].setRelease(worker.busyMs());
            workers[i][2].setRelease(worker.queueDepth());
        }
        final String reason = null != status.failure() ? status.failure() : failure;
        if (null != reason)
        {
            failed(reason);
        }
        else
        {
            // Applying again (a dejournaler started after a failure to start): the text stays as the last error.
            failureShown = null;
        }
        state.setRelease(null != reason ? DejournalState.FAILED.ordinal() : DejournalState.of(status).ordinal());
        appliedLsn.setRelease(status.appliedLsn());
        journalEndLsn.setRelease(status.journalEndLsn());
        bytesBehind.setRelease(status.bytesBehind());
        msBehind.setRelease(status.msBehind());
        recordsApplied.setRelease(records);
        applyRate.setRelease(Math.round(status.applyRatePerSecond()));
        openTransactions.setRelease(status.openTransactions());
    }

    private void allocateWorkers(final int count)
    {
        for (final AtomicCounter[] worker : workers)
        {
            org.agrona.CloseHelper.closeAll(worker);
        }
        workers = new AtomicCounter[count][];
        for (int i = 0; i < count; i++)
        {
            workers[i] = new AtomicCounter[] {
                statusFile.newCounter(StatusCounterType.WORKER_RECORDS, member, i),
                statusFile.newCounter(StatusCounterType.WORKER_BUSY_MS, member, i),
                statusFile.newCounter(StatusCounterType.WORKER_QUEUE_DEPTH, member, i)};
        }
    }

    /**
     * The dejournaler stopped.
     */
    public void closed()
    {
        state.setRelease(DejournalState.CLOSED.ordinal());
    }
}
