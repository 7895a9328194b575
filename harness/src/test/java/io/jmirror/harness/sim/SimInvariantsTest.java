package io.jmirror.harness.sim;

import io.jmirror.mirror.MirrorNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each invariant check fails on a history that breaks it, and holds on one that does not.
 */
class SimInvariantsTest
{
    private static final SimRecord START = SimRecord.epochStart(0, 1, "A");
    private static final SimRecord FIRST = SimRecord.set(START.endLsn(), 1, "A", "Patient", 1, 10);
    private static final SimRecord SECOND = SimRecord.set(FIRST.endLsn(), 1, "A", "Patient", 1, 11);

    @Test
    void anAcknowledgedWriteMissingOrDifferentOnThePrimaryIsLost()
    {
        assertNull(SimInvariants.ackedNotLost("A", List.of(START, FIRST, SECOND), List.of(FIRST, SECOND)));
        final SimRecord newEpoch = SimRecord.epochStart(SECOND.lsn(), 2, "B");
        assertTrue(SimInvariants.ackedNotLost("B", List.of(START, FIRST, newEpoch), List.of(FIRST, SECOND))
            .contains("acknowledged commit lost: " + SECOND));
        assertTrue(SimInvariants.ackedNotLost("B", List.of(START), List.of(FIRST))
            .contains("no record at lsn=" + FIRST.lsn()));
    }

    @Test
    void twoWritersInOneEpochAreCaught()
    {
        final SimInvariants invariants = new SimInvariants();
        assertNull(invariants.oneWriterPerEpoch(1, "A"));
        assertNull(invariants.oneWriterPerEpoch(1, "A"));
        assertNull(invariants.oneWriterPerEpoch(2, "B"));
        assertEquals("two members accepted writes in epoch 2: B and A", invariants.oneWriterPerEpoch(2, "A"));
    }

    @Test
    void anEpochGoingBackwardIsCaught()
    {
        final SimInvariants invariants = new SimInvariants();
        assertNull(invariants.epochNotBackward("arbiter", 1));
        assertNull(invariants.epochNotBackward("arbiter", 3));
        assertNull(invariants.epochNotBackward("A journal", 1));
        assertEquals("epoch went backward: arbiter from 3 to 2", invariants.epochNotBackward("arbiter", 2));
    }

    @Test
    void journalsThatDifferBelowTheCommittedPointAreCaught()
    {
        final SimRecord other = SimRecord.set(FIRST.lsn(), 1, "A", "Patient", 1, 99);
        final List<SimRecord> primary = List.of(START, FIRST, SECOND);
        assertNull(SimInvariants.journalsAgree("A", primary, "B", List.of(START, FIRST), SECOND.endLsn()));
        // Beyond the committed point a member may hold what it has not acknowledged yet.
        assertNull(SimInvariants.journalsAgree("A", primary, "B", List.of(START, other), START.endLsn()));
        assertTrue(SimInvariants.journalsAgree("A", primary, "B", List.of(START, other), SECOND.endLsn())
            .startsWith("journals differ below the committed point"));
    }

    @Test
    void aStoreOutOfJournalOrderIsCaught()
    {
        final List<SimRecord> journal = List.of(START, FIRST, SECOND);
        assertNull(SimInvariants.storeFollowsJournal("B", journal, Map.of("Patient(1)", 11L), SECOND.endLsn()));
        assertNull(SimInvariants.storeFollowsJournal("B", journal, Map.of("Patient(1)", 10L), FIRST.endLsn()));
        // The later SET applied before the earlier one: the store ends with the older value.
        assertTrue(SimInvariants.storeFollowsJournal("B", journal, Map.of("Patient(1)", 10L), SECOND.endLsn())
            .startsWith("store out of journal order"));
        assertTrue(SimInvariants.storeFollowsJournal("B", journal, Map.of("Patient(1)", 10L, "Lab(2)", 1L),
            FIRST.endLsn()).startsWith("store holds nodes the journal never set"));
    }

    @Test
    void membersThatDidNotConvergeAreCaught()
    {
        final List<SimRecord> journal = List.of(START, FIRST, SECOND);
        final Map<String, Long> store = Map.of("Patient(1)", 11L);
        assertNull(SimInvariants.converged("A", journal, store, "B", List.of(START, FIRST, SECOND), store));
        assertTrue(SimInvariants.converged("A", journal, store, "B", List.of(START, FIRST), store)
            .startsWith("journals not identical"));
        assertTrue(SimInvariants.converged("A", journal, store, "B", journal, Map.of("Patient(1)", 10L))
            .startsWith("stores not equal"));
    }

    @Test
    void anAsyncMemberInAFailoverRoleNamedByTheArbiterOrWaitedForIsCaught()
    {
        assertNull(SimInvariants.asyncStaysAsync("C", MirrorNode.Role.ASYNC, "A", "B", null));
        assertNull(SimInvariants.asyncStaysAsync("C", MirrorNode.Role.CANDIDATE, null, null, null));
        assertEquals("async member in a failover role: member=C role=BACKUP",
            SimInvariants.asyncStaysAsync("C", MirrorNode.Role.BACKUP, "A", "B", null));
        assertEquals("async member in a failover role: member=C role=PRIMARY",
            SimInvariants.asyncStaysAsync("C", MirrorNode.Role.PRIMARY, "A", "B", null));
        assertEquals("the arbiter names an async member backup: member=C",
            SimInvariants.asyncStaysAsync("C", MirrorNode.Role.ASYNC, "A", "C", null));
        assertEquals("the arbiter names an async member primary: member=C",
            SimInvariants.asyncStaysAsync("C", MirrorNode.Role.ASYNC, "C", "B", null));
        assertEquals("a primary's commits wait for an async member: primary=A member=C",
            SimInvariants.asyncStaysAsync("C", MirrorNode.Role.ASYNC, "A", "B", "A"));
    }

    @Test
    void anAsyncMemberHoldingWhatThePrimaryDoesNotInItsEpochIsCaught()
    {
        // B took over in epoch 2 at SECOND's LSN: the async member kept A's SECOND and then received B's epoch start.
        final SimRecord epoch2 = SimRecord.epochStart(SECOND.lsn(), 2, "B");
        final SimRecord written = SimRecord.set(epoch2.endLsn(), 2, "B", "Lab", 1, 5);
        final List<SimRecord> primary = List.of(START, FIRST, epoch2, written);
        assertNull(SimInvariants.asyncAgreesInEpoch("B", primary, 2, "C", List.of(START, FIRST, epoch2), 2));
        // Still in epoch 1 (not cut yet): what lies beyond the epoch's start is for the cut to remove, not a fault.
        assertNull(SimInvariants.asyncAgreesInEpoch("B", primary, 2, "C", List.of(START, FIRST, SECOND), 1));
        final SimRecord foreign = SimRecord.set(FIRST.lsn(), 1, "A", "Patient", 1, 99);
        assertTrue(SimInvariants.asyncAgreesInEpoch("B", primary, 2, "C", List.of(START, foreign, epoch2), 2)
            .startsWith("async member holds what the primary does not in epoch 2: C holds " + foreign));
        final SimRecord beyond = SimRecord.set(written.endLsn(), 2, "B", "Lab", 2, 6);
        assertTrue(SimInvariants.asyncAgreesInEpoch("B", primary, 2, "C",
            List.of(START, FIRST, epoch2, written, beyond), 2).endsWith("B holds null"));
    }
}
