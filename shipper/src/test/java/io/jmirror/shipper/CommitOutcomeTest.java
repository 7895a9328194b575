package io.jmirror.shipper;

import io.jmirror.journal.EpochStart;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CommitOutcomeTest
{
    private static CommitOutcome cutOff(final long lsn, final long epoch)
    {
        return new CommitOutcome(CommitOutcome.Status.INDETERMINATE, lsn, epoch, epoch + 1, "b", "fenced");
    }

    @Test
    void aRecordBelowTheNextEpochsStartIsKeptAndOneAtOrBeyondItIsLost()
    {
        final List<EpochStart> history = List.of(new EpochStart(1, 0, "a"), new EpochStart(2, 4096, "b"),
            new EpochStart(3, 8192, "a"));
        assertEquals(CommitOutcome.Fate.KEPT, cutOff(4000, 1).resolve(history));
        assertEquals(CommitOutcome.Fate.LOST, cutOff(4096, 1).resolve(history));
        assertEquals(CommitOutcome.Fate.LOST, cutOff(5000, 1).resolve(history));
        // a record of epoch 2 is judged by where epoch 3 started, not epoch 2
        assertEquals(CommitOutcome.Fate.KEPT, cutOff(5000, 2).resolve(history));
        assertEquals(CommitOutcome.Fate.LOST, cutOff(9000, 2).resolve(history));
    }

    @Test
    void withoutALaterEpochOrWithItsStartPurgedTheFateIsUnknown()
    {
        assertEquals(CommitOutcome.Fate.UNKNOWN, cutOff(100, 3).resolve(List.of(new EpochStart(3, 0, "a"))));
        assertEquals(CommitOutcome.Fate.UNKNOWN, cutOff(100, 1).resolve(
            List.of(new EpochStart(2, EpochStart.PURGED, null), new EpochStart(3, 8192, "a"))));
        assertEquals(CommitOutcome.Fate.UNKNOWN, cutOff(100, 1).resolve(List.of()));
    }

    @Test
    void aCommittedOutcomeIsAlwaysKept()
    {
        final CommitOutcome committed = new CommitOutcome(CommitOutcome.Status.COMMITTED, 9000, 1, 0, null, "ok");
        assertEquals(CommitOutcome.Fate.KEPT, committed.resolve(List.of(new EpochStart(2, 4096, "b"))));
    }
}
