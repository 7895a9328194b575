package io.jmirror.harness;

import java.util.List;

/**
 * The cluster at one moment, read from the nodes' status files.
 *
 * @param elapsedMs      since the run started.
 * @param records        records the application has journaled.
 * @param recordsPerSec  over the interval since the previous sample.
 * @param primaryLsn     the primary journal's complete LSN.
 * @param commitTimeouts transactions whose {@code awaitCommitted} timed out.
 * @param members        one per member, in start order.
 */
record ClusterSample(
    long elapsedMs,
    long records,
    double recordsPerSec,
    long primaryLsn,
    long commitTimeouts,
    List<MemberSample> members)
{
    /**
     * One member at that moment.
     *
     * @param name        member name.
     * @param transfer    journal transfer status seen by the primary (CATCHUP, ACTIVE, TROUBLE...), or DOWN when the
     *                    primary has no session for it.
     * @param dejournal   dejournal state from the member's status file (CAUGHT_UP, BEHIND...), or DOWN.
     * @param appliedLsn  the member's applied LSN.
     * @param lagBytes    primary LSN minus applied LSN.
     * @param lagMs       age of the member's oldest record not yet applied.
     * @param violations  order violations seen so far, over every incarnation of the process.
     */
    record MemberSample(
        String name,
        String transfer,
        String dejournal,
        long appliedLsn,
        long lagBytes,
        long lagMs,
        long violations)
    {
    }
}
