package io.jmirror.dejournal;

import java.util.List;
import java.util.Map;

/**
 * The dejournaler at one moment.
 *
 * @param state                  RUNNING, FAILED (a record could not be applied; see failure) or CLOSED.
 * @param appliedLsn             every record below it is applied.
 * @param journalEndLsn          end of the complete records in the local journal.
 * @param bytesBehind            journal end minus applied LSN.
 * @param recordsInFlight        records dispatched to workers and not yet applied.
 * @param msBehind               age of the oldest record not yet applied, 0 when caught up.
 * @param applyRatePerSecond     records applied per second over the last status interval.
 * @param openTransactions       transactions started and not yet committed or rolled back.
 * @param oldestOpenTransactionLsn LSN of the oldest open TSTART, -1 if none.
 * @param databases              dejournal status per database seen: CAUGHT_UP, BEHIND or PAUSED.
 * @param workers                per-worker load.
 * @param failure                why dejournaling stopped, null while running.
 */
public record DejournalStatus(
    String state,
    long appliedLsn,
    long journalEndLsn,
    long bytesBehind,
    long recordsInFlight,
    long msBehind,
    double applyRatePerSecond,
    int openTransactions,
    long oldestOpenTransactionLsn,
    Map<String, String> databases,
    List<WorkerStatus> workers,
    String failure)
{
    /**
     * One worker's load.
     *
     * @param index      worker index.
     * @param records    records applied.
     * @param busyMs     time spent applying.
     * @param queueDepth records waiting in its ring when it last started a batch.
     */
    public record WorkerStatus(int index, long records, long busyMs, long queueDepth)
    {
    }
}
