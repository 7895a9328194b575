package io.jmirror.dejournal;

import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A member's dejournal status in its status file, so {@code jmirror status DIR} can read it from outside the process.
 * Labels are {@code dejournal=<member> <field>}. Public for the member wiring in the mirror module, which owns the
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

    /**
     * @param statusFile where the counters live.
     * @param member     the member's name, in every label.
     */
    public DejournalCounters(final StatusFile statusFile, final String member)
    {
        state = statusFile.newCounter(StatusCounterType.DEJOURNAL_STATE, member);
        appliedLsn = statusFile.newCounter(StatusCounterType.DEJOURNAL_APPLIED_LSN, member);
        journalEndLsn = statusFile.newCounter(StatusCounterType.DEJOURNAL_JOURNAL_END_LSN, member);
        bytesBehind = statusFile.newCounter(StatusCounterType.DEJOURNAL_BYTES_BEHIND, member);
        msBehind = statusFile.newCounter(StatusCounterType.DEJOURNAL_MS_BEHIND, member);
        recordsApplied = statusFile.newCounter(StatusCounterType.DEJOURNAL_RECORDS_APPLIED, member);
        applyRate = statusFile.newCounter(StatusCounterType.DEJOURNAL_APPLY_RATE, member);
        openTransactions = statusFile.newCounter(StatusCounterType.DEJOURNAL_OPEN_TRANSACTIONS, member);
        state.setRelease(DejournalState.STARTING.ordinal());
    }

    /**
     * @param status the dejournaler's latest status, copied into the counters.
     */
    public void publish(final DejournalStatus status)
    {
        long records = 0;
        for (final DejournalStatus.WorkerStatus worker : status.workers())
        {
            records += worker.records();
        }
        state.setRelease(DejournalState.of(status).ordinal());
        appliedLsn.setRelease(status.appliedLsn());
        journalEndLsn.setRelease(status.journalEndLsn());
        bytesBehind.setRelease(status.bytesBehind());
        msBehind.setRelease(status.msBehind());
        recordsApplied.setRelease(records);
        applyRate.setRelease(Math.round(status.applyRatePerSecond()));
        openTransactions.setRelease(status.openTransactions());
    }

    /**
     * The dejournaler stopped.
     */
    public void closed()
    {
        state.setRelease(DejournalState.CLOSED.ordinal());
    }
}
