package io.jmirror.mirror;

import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterProtocol.Kind;
import io.jmirror.shipper.ArbiterProtocol.Reason;
import io.jmirror.shipper.ArbiterRequest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The arbiter's rules as a pure function: who may stop waiting for whom, who may take over, and that one epoch never
 * sees both.
 */
class ArbiterRulesTest
{
    private static final long QOS = 8000;
    private static final String MIRROR = "CLINIC";

    private static ArbiterRequest request(final Kind kind, final String member, final long epoch)
    {
        return new ArbiterRequest(kind, MIRROR, member, epoch, 0);
    }

    private static ArbiterRequest activePoll(final String member, final long epoch)
    {
        return new ArbiterRequest(Kind.POLL, MIRROR, member, epoch, ArbiterProtocol.FLAG_BACKUP_ACTIVE);
    }

    private static ArbiterRequest activePoll(final String member, final long epoch, final long lsn)
    {
        return new ArbiterRequest(Kind.POLL, MIRROR, member, epoch, ArbiterProtocol.FLAG_BACKUP_ACTIVE, lsn);
    }

    private static ArbiterRequest revoke(final String member, final long epoch, final long tail)
    {
        return new ArbiterRequest(Kind.REVOKE_BACKUP, MIRROR, member, epoch, 0, tail);
    }

    /** A mirror with primary a in epoch 1 and an ACTIVE backup b. */
    private static ArbiterRecord running()
    {
        ArbiterRecord record = ArbiterRules.decide(null, request(Kind.CLAIM_PRIMARY, "a", 0), 0, 0, QOS).record();
        record = ArbiterRules.decide(record, request(Kind.POLL, "b", 0), 0, 0, QOS).record();
        record = ArbiterRules.decide(record, activePoll("a", 1), 0, 0, QOS).record();
        assertEquals(new ArbiterRecord(MIRROR, 1, "a", "b", true, false, false, false,
            List.of(new ArbiterRecord.Start(1, -1))), record);
        return record;
    }

    @Test
    void theFirstClaimStartsAnEpochAboveTheClaimantsJournal()
    {
        final ArbiterRules.Decision first = ArbiterRules.decide(null, request(Kind.CLAIM_PRIMARY, "a", 4), 0, 0, QOS);
        assertTrue(first.isGranted());
        assertEquals(5, first.record().epoch());
        assertEquals("a", first.record().primary());

        final ArbiterRules.Decision second = ArbiterRules.decide(first.record(), request(Kind.CLAIM_PRIMARY, "b", 0),
            0, 0, QOS);
        assertEquals(Reason.NOT_PRIMARY, second.reason());
        final ArbiterRules.Decision restart = ArbiterRules.decide(first.record(), claim("a", 5, 4096), 0, 0, QOS);
        assertTrue(restart.isGranted(), "a restarted primary is confirmed: " + restart.message());
        assertEquals("a", restart.record().primary());
        assertEquals(6, restart.record().epoch(), "in a new epoch");
    }

    private static ArbiterRequest claim(final String member, final long journalEpoch, final long journalEnd)
    {
        return new ArbiterRequest(Kind.CLAIM_PRIMARY, MIRROR, member, journalEpoch, 0, journalEnd);
    }

    @Test
    void aRestartedPrimaryReignsOnInANewEpochThatStartsAtItsJournalsEnd()
    {
        // What it shipped before a machine crash may be gone from its disk but not from the backup's: new records at
        // those LSNs must be of another epoch, so the backup is refused DIVERGED and cuts there.
        final ArbiterRules.Decision restart = ArbiterRules.decide(running(), claim("a", 1, 4096), 0, 0, QOS);
        assertTrue(restart.isGranted(), restart.message());
        assertEquals(2, restart.record().epoch());
        assertEquals("a", restart.record().primary());
        assertEquals("b", restart.record().backup());
        assertEquals(4096, restart.record().nextEpochLsn(1), "where the backup's journal in epoch 1 must end");
        assertEquals(-1, restart.record().nextEpochLsn(2));

        final ArbiterRules.Decision again = ArbiterRules.decide(restart.record(), claim("a", 2, 5000), 0, 0, QOS);
        assertEquals(3, again.record().epoch(), "each restart in a started epoch is a new epoch");
        assertEquals(4096, again.record().nextEpochLsn(1));
        assertEquals(5000, again.record().nextEpochLsn(2));

        assertEquals(Reason.MALFORMED, ArbiterRules.decide(running(), request(Kind.CLAIM_PRIMARY, "a", 1), 0, 0, QOS)
            .reason(), "a claim without the journal's end cannot place the new epoch");
    }

    @Test
    void aClaimRepeatedBeforeTheEpochStartWasWrittenGetsThatEpochAgainStartingWhereTheJournalEndsNow()
    {
        final ArbiterRecord granted = ArbiterRules.decide(running(), claim("a", 1, 4096), 0, 0, QOS).record();
        // Crashed between the grant and a durable EPOCH_START of epoch 2, losing a little more of its tail.
        final ArbiterRules.Decision repeated = ArbiterRules.decide(granted, claim("a", 1, 4000), 0, 0, QOS);
        assertTrue(repeated.isGranted(), repeated.message());
        assertEquals(2, repeated.record().epoch(), "no epoch is burnt, none goes backward");
        assertEquals(4000, repeated.record().nextEpochLsn(1));
        assertEquals(1, repeated.record().starts().stream().filter((start) -> start.epoch() == 2).count(),
            "one start per epoch: " + repeated.record().starts());
        assertFalse(repeated.record().backupActive());

        // The same for a backup that took over and crashed before its EPOCH_START.
        final ArbiterRecord takenOver = ArbiterRules.decide(running(),
            new ArbiterRequest(Kind.TAKEOVER, MIRROR, "b", 1, 0, 3000), QOS, 0, QOS).record();
        assertEquals(2, takenOver.epoch());
        final ArbiterRules.Decision takeoverRepeated = ArbiterRules.decide(takenOver, claim("b", 1, 2992), 0, 0, QOS);
        assertTrue(takeoverRepeated.isGranted(), takeoverRepeated.message());
        assertEquals(2, takeoverRepeated.record().epoch());
        assertEquals("b", takeoverRepeated.record().primary());
        assertEquals(2992, takeoverRepeated.record().nextEpochLsn(1));
    }

    @Test
    void aRestartedPrimaryClearsBackupActiveUntilTheBackupIsActiveAgainThere()
    {
        // The restarted primary acknowledges commits before its backup reconnects; were the backup still held ACTIVE,
        // it could take over without them once the primary died again.
        final ArbiterRecord restarted = ArbiterRules.decide(running(), claim("a", 1, 4096), 0, 0, QOS).record();
        assertEquals(2, restarted.epoch());
        assertFalse(restarted.backupActive());
        assertEquals(Reason.BACKUP_NOT_ACTIVE,
            ArbiterRules.decide(restarted, request(Kind.TAKEOVER, "b", 2), QOS, 0, QOS).reason());
        // A report the crashed process sent, delivered after the claim, names the old epoch and carries at most its
        // journal end: neither re-admits the backup.
        assertFalse(ArbiterRules.decide(restarted, activePoll("a", 1, 4096), 0, 0, QOS).record().backupActive());
        assertFalse(ArbiterRules.decide(restarted, activePoll("a", 2, 4096), 0, 0, QOS).record().backupActive());
        final ArbiterRecord activeAgain = ArbiterRules.decide(restarted, activePoll("a", 2, 4097), 0, 0, QOS)
            .record();
        assertTrue(activeAgain.backupActive());
        assertTrue(ArbiterRules.decide(activeAgain, request(Kind.TAKEOVER, "b", 2), QOS, 0, QOS).isGranted());
    }

    @Test
    void theBackupTakesOverOnlyWhenActiveAndThePrimaryIsLost()
    {
        ArbiterRecord record = ArbiterRules.decide(null, request(Kind.CLAIM_PRIMARY, "a", 0), 0, 0, QOS).record();
        record = ArbiterRules.decide(record, request(Kind.POLL, "b", 0), 0, 0, QOS).record();
        assertEquals(Reason.BACKUP_NOT_ACTIVE,
            ArbiterRules.decide(record, request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS).reason(), "not ACTIVE yet");

        record = running();
        assertEquals(Reason.PARTNER_ALIVE,
            ArbiterRules.decide(record, request(Kind.TAKEOVER, "b", 1), QOS - 1, 0, QOS).reason());
        assertEquals(Reason.NOT_BACKUP,
            ArbiterRules.decide(record, request(Kind.TAKEOVER, "c", 1), QOS, 0, QOS).reason());
        assertEquals(Reason.STALE_EPOCH,
            ArbiterRules.decide(record, request(Kind.TAKEOVER, "b", 0), QOS, 0, QOS).reason());

        final ArbiterRules.Decision takeover = ArbiterRules.decide(record,
            new ArbiterRequest(Kind.TAKEOVER, MIRROR, "b", 1, 0, 4096), QOS, 0, QOS);
        assertTrue(takeover.isGranted(), takeover.message());
        assertEquals(new ArbiterRecord(MIRROR, 2, "b", "a", false, false, false, false,
            List.of(new ArbiterRecord.Start(1, -1), new ArbiterRecord.Start(2, 4096))), takeover.record());
        assertEquals(4096, takeover.record().nextEpochLsn(1), "where the epoch after 1 starts");
        assertEquals(-1, takeover.record().nextEpochLsn(2));

        final ArbiterRules.Decision again = ArbiterRules.decide(takeover.record(), request(Kind.TAKEOVER, "b", 1),
            QOS, 0, QOS);
        assertTrue(again.isGranted(), "a repeated takeover is granted again");
        assertEquals(2, again.record().epoch(), "and does not start another epoch");
    }

    @Test
    void revokingTheBackupAndTakingOverExcludeEachOtherInOneEpoch()
    {
        final ArbiterRecord record = running();
        assertEquals(Reason.PARTNER_ALIVE,
            ArbiterRules.decide(record, request(Kind.REVOKE_BACKUP, "a", 1), 0, QOS - 1, QOS).reason());
        assertEquals(Reason.NOT_PRIMARY,
            ArbiterRules.decide(record, request(Kind.REVOKE_BACKUP, "b", 1), 0, QOS, QOS).reason());

        assertTrue(ArbiterRules.decide(record, request(Kind.REVOKE_BACKUP, "a", 1), 0, 0, QOS, false, true)
            .isGranted(), "a backup that says it lost the primary agrees to be released");
        final ArbiterRules.Decision revoke = ArbiterRules.decide(record, request(Kind.REVOKE_BACKUP, "a", 1), 0, QOS,
            QOS);
        assertTrue(revoke.isGranted());
        assertFalse(revoke.record().backupActive());
        assertEquals(Reason.BACKUP_NOT_ACTIVE,
            ArbiterRules.decide(revoke.record(), request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS).reason());
        // an "ACTIVE" report without an LSN above the revoke's (perhaps sent before it) does not make the backup
        // eligible again
        final ArbiterRecord reported = ArbiterRules.decide(revoke.record(), activePoll("a", 1), 0, QOS, QOS).record();
        assertFalse(reported.backupActive());
        assertEquals(Reason.BACKUP_NOT_ACTIVE,
            ArbiterRules.decide(reported, request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS).reason());

        final ArbiterRecord takenOver = ArbiterRules.decide(record, request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS)
            .record();
        assertEquals(Reason.NOT_PRIMARY,
            ArbiterRules.decide(takenOver, request(Kind.REVOKE_BACKUP, "a", 1), 0, QOS, QOS).reason(),
            "the old primary can no longer drop its backup");
    }

    @Test
    void aRevokedBackupIsActiveAgainOnAFreshReportAboveTheRevokesLsnAndMayThenTakeOver()
    {
        final ArbiterRules.Decision revoked = ArbiterRules.decide(running(), revoke("a", 1, 5000), 0, QOS, QOS);
        assertTrue(revoked.isGranted(), revoked.message());
        assertEquals(5000, revoked.record().revokedLsn());
        assertEquals(Reason.BACKUP_NOT_ACTIVE,
            ArbiterRules.decide(revoked.record(), request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS).reason());

        final ArbiterRules.Decision fresh = ArbiterRules.decide(revoked.record(), activePoll("a", 1, 5001), 0, 0,
            QOS);
        assertTrue(fresh.isGranted(), fresh.message());
        assertTrue(fresh.record().backupActive(), fresh.message());
        assertFalse(fresh.record().revoked());
        assertEquals(Reason.PARTNER_ALIVE,
            ArbiterRules.decide(fresh.record(), request(Kind.TAKEOVER, "b", 1), QOS - 1, 0, QOS).reason());
        final ArbiterRules.Decision takeover = ArbiterRules.decide(fresh.record(),
            new ArbiterRequest(Kind.TAKEOVER, MIRROR, "b", 1, 0, 5001), QOS, 0, QOS);
        assertTrue(takeover.isGranted(), takeover.message());
        assertEquals(2, takeover.record().epoch());
        assertEquals(ArbiterRecord.NO_REVOKE, takeover.record().revokedLsn(), "a new epoch starts unrevoked");

        // re-admitted, the backup is revoked again only by the usual rule
        assertEquals(Reason.PARTNER_ALIVE,
            ArbiterRules.decide(fresh.record(), revoke("a", 1, 6000), 0, QOS - 1, QOS).reason());
    }

    @Test
    void aStaleActiveReportAtOrBelowTheRevokesLsnDoesNotReadmitTheBackup()
    {
        final ArbiterRecord revoked = ArbiterRules.decide(running(), revoke("a", 1, 5000), 0, QOS, QOS).record();
        for (final long stale : new long[] {-1, 0, 4999, 5000})
        {
            final ArbiterRules.Decision late = ArbiterRules.decide(revoked, activePoll("a", 1, stale), 0, 0, QOS);
            assertTrue(late.isGranted(), "a poll is answered");
            assertSame(revoked, late.record(), "lsn=" + stale + ": " + late.message());
            assertEquals(Reason.BACKUP_NOT_ACTIVE,
                ArbiterRules.decide(late.record(), request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS).reason());
        }
        assertFalse(ArbiterRules.decide(revoked, activePoll("a", 0, 9000), 0, 0, QOS).record().backupActive(),
            "a report of an older epoch");
        assertFalse(ArbiterRules.decide(revoked, activePoll("b", 1, 9000), 0, 0, QOS).record().backupActive(),
            "only the primary reports its backup");

        // A second revoke while already not ACTIVE raises the LSN a re-admission must pass, never lowers it.
        final ArbiterRecord again = ArbiterRules.decide(revoked, revoke("a", 1, 7000), 0, 0, QOS).record();
        assertEquals(7000, again.revokedLsn());
        assertFalse(ArbiterRules.decide(again, activePoll("a", 1, 6000), 0, 0, QOS).record().backupActive());
        final ArbiterRecord late = ArbiterRules.decide(again, revoke("a", 1, 3000), 0, 0, QOS).record();
        assertSame(again, late, "a late revoke of a lower tail changes nothing");
        final ArbiterRecord readmitted = ArbiterRules.decide(again, activePoll("a", 1, 7001), 0, 0, QOS).record();
        assertTrue(readmitted.backupActive());
        // After a re-admission and another revoke, a report sent before the first revoke is still stale.
        final ArbiterRecord revokedAgain = ArbiterRules.decide(readmitted, revoke("a", 1, 2000), 0, QOS, QOS)
            .record();
        assertTrue(revokedAgain.revoked());
        assertEquals(7000, revokedAgain.revokedLsn(), "never lowered within the epoch");
        assertFalse(ArbiterRules.decide(revokedAgain, activePoll("a", 1, 6500), 0, 0, QOS).record().backupActive());
    }

    @Test
    void aForcedEpochStaysRevokedWhateverThePrimaryReports()
    {
        final ArbiterRequest forcedPoll = new ArbiterRequest(Kind.POLL, MIRROR, "a", 1, ArbiterProtocol.FLAG_FORCED);
        final ArbiterRecord forced = ArbiterRules.decide(running(), forcedPoll, 0, 0, QOS).record();
        assertEquals(ArbiterRecord.REVOKED_FOR_THE_EPOCH, forced.revokedLsn());
        assertFalse(ArbiterRules.decide(forced, activePoll("a", 1, Long.MAX_VALUE - 1), 0, 0, QOS).record()
            .backupActive());
        // revoked before the force: the force still makes it for the epoch
        final ArbiterRecord revoked = ArbiterRules.decide(running(), revoke("a", 1, 5000), 0, QOS, QOS).record();
        final ArbiterRecord forcedAfter = ArbiterRules.decide(revoked, forcedPoll, 0, 0, QOS).record();
        assertTrue(forcedAfter.isForced(1));
        final ArbiterRules.Decision report = ArbiterRules.decide(forcedAfter, activePoll("a", 1, 9000), 0, 0, QOS);
        assertFalse(report.record().backupActive(), report.message());
        assertEquals(Reason.BACKUP_NOT_ACTIVE,
            ArbiterRules.decide(report.record(), request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS).reason());
    }

    @Test
    void aForcedPrimaryRevokesItsBackupForTheEpochAndTheEpochIsRecordedForced()
    {
        final ArbiterRecord record = running();
        final ArbiterRequest forcedPoll = new ArbiterRequest(Kind.POLL, MIRROR, "a", 1, ArbiterProtocol.FLAG_FORCED);
        final ArbiterRules.Decision forced = ArbiterRules.decide(record, forcedPoll, 0, 0, QOS);
        assertTrue(forced.isGranted(), forced.message());
        assertTrue(forced.record().isForced(1));
        assertTrue(forced.record().revoked());
        assertFalse(forced.record().backupActive());
        assertEquals(Reason.BACKUP_NOT_ACTIVE, ArbiterRules.decide(forced.record(), request(Kind.TAKEOVER, "b", 1),
            QOS, 0, QOS).reason(), "the backup lacks what the forced primary acknowledged alone");
        assertSame(forced.record(), ArbiterRules.decide(forced.record(), forcedPoll, 0, 0, QOS).record(),
            "told twice, recorded once");

        final ArbiterRules.Decision byBackup = ArbiterRules.decide(record,
            new ArbiterRequest(Kind.POLL, MIRROR, "b", 1, ArbiterProtocol.FLAG_FORCED), 0, 0, QOS);
        assertEquals(Reason.NOT_PRIMARY, byBackup.reason(), "only the primary of the epoch is forced");
        assertFalse(byBackup.record().isForced(1));

        // the backup took over before the arbiter heard of the force: the report only marks the old epoch
        final ArbiterRecord takenOver = ArbiterRules.decide(record, request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS)
            .record();
        assertEquals(2, takenOver.epoch());
        final ArbiterRules.Decision late = ArbiterRules.decide(takenOver, forcedPoll, 0, 0, QOS);
        assertTrue(late.isGranted(), late.message());
        assertTrue(late.record().isForced(1));
        assertFalse(late.record().isForced(2));
        assertFalse(late.record().revoked(), "epoch 2's backup is not touched by epoch 1's force");
        assertEquals("b", late.record().primary());
    }

    @Test
    void noFailoverAndHandover()
    {
        final ArbiterRecord record = running();
        final ArbiterRecord flagged = ArbiterRules.decide(record,
            new ArbiterRequest(Kind.SET_NO_FAILOVER, MIRROR, "a", 1, ArbiterProtocol.FLAG_VALUE), 0, 0, QOS).record();
        assertTrue(flagged.noFailover());
        assertEquals(Reason.NO_FAILOVER,
            ArbiterRules.decide(flagged, request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS).reason());

        final ArbiterRules.Decision handover = ArbiterRules.decide(record, request(Kind.HANDOVER, "a", 1), 0, 0, QOS);
        assertTrue(handover.isGranted());
        assertEquals(Reason.NOT_PRIMARY,
            ArbiterRules.decide(handover.record(), request(Kind.CLAIM_PRIMARY, "a", 1), 0, 0, QOS).reason(),
            "a primary that handed over cannot claim the role back before the backup takes over");
        final ArbiterRules.Decision takeover = ArbiterRules.decide(handover.record(), request(Kind.TAKEOVER, "b", 1),
            0, 0, QOS);
        assertTrue(takeover.isGranted(), "a handed-over primary need not be silent: " + takeover.message());
        assertEquals(2, takeover.record().epoch());
    }

    private static ArbiterRequest join(final String member, final long epoch)
    {
        return new ArbiterRequest(Kind.JOIN_FAILOVER, MIRROR, member, epoch, 0, 700);
    }

    @Test
    void anAsyncMemberJoinsAsFailoverMemberOnlyIntoAFreeSlotAndIsActiveOnlyAboveThePrimarysTail()
    {
        final ArbiterRecord record = running();
        final ArbiterRules.Decision heard = ArbiterRules.decide(record, join("dr", 1), 0, QOS - 1, QOS, true);
        assertEquals(Reason.PARTNER_ALIVE, heard.reason(), "refused while the arbiter hears the backup");
        assertSame(record, heard.record());
        assertEquals(Reason.STALE_EPOCH, ArbiterRules.decide(record, join("dr", 0), 0, QOS, QOS, true).reason());

        final ArbiterRules.Decision joined = ArbiterRules.decide(record, join("dr", 1), 0, QOS, QOS, true);
        assertTrue(joined.isGranted(), joined.message());
        ArbiterRecord next = joined.record();
        assertEquals("dr", next.backup());
        assertEquals("a", next.primary());
        assertEquals(1, next.epoch(), "the primary reigns on in its epoch");
        assertFalse(next.backupActive(), "not ACTIVE: it may lack what the primary acknowledged");
        assertTrue(next.revoked() && next.backupJoined(), next.toString());
        assertTrue(ArbiterRules.decide(next, join("dr", 1), 0, 0, QOS, true).isGranted(), "a repeat is granted");

        // The replaced backup can no longer take over, nor join back while the new one is heard.
        assertEquals(Reason.NOT_BACKUP, ArbiterRules.decide(next, request(Kind.TAKEOVER, "b", 1), QOS, 0, QOS)
            .reason());
        assertEquals(Reason.PARTNER_ALIVE, ArbiterRules.decide(next, join("b", 1), 0, 0, QOS).reason());
        // The joined async member is now decided as the backup: not ACTIVE, so no takeover.
        assertEquals(Reason.BACKUP_NOT_ACTIVE, ArbiterRules.decide(next, request(Kind.TAKEOVER, "dr", 1), QOS, 0, QOS,
            true).reason());

        // A report the primary sent about b before it learned of dr must not make dr ACTIVE.
        next = ArbiterRules.decide(next, activePoll("a", 1, 900), 0, 0, QOS).record();
        assertFalse(next.backupActive(), "a report before the primary's tail: " + next);
        final ArbiterRequest tail = new ArbiterRequest(Kind.POLL, MIRROR, "a", 1, ArbiterProtocol.FLAG_PRIMARY_TAIL,
            1000);
        next = ArbiterRules.decide(next, tail, 0, 0, QOS).record();
        assertFalse(next.backupJoined());
        assertEquals(1000, next.revokedLsn());
        next = ArbiterRules.decide(next, activePoll("a", 1, 1000), 0, 0, QOS).record();
        assertFalse(next.backupActive(), "not above the tail: " + next);
        next = ArbiterRules.decide(next, activePoll("a", 1, 1100), 0, 0, QOS).record();
        assertTrue(next.backupActive(), next.toString());

        final ArbiterRules.Decision takeover = ArbiterRules.decide(next,
            new ArbiterRequest(Kind.TAKEOVER, MIRROR, "dr", 1, 0, 1100), QOS, 0, QOS, true);
        assertTrue(takeover.isGranted(), takeover.message());
        assertEquals("dr", takeover.record().primary());
        assertEquals("a", takeover.record().backup());
        assertEquals(2, takeover.record().epoch());
    }

    @Test
    void joiningAsFailoverMemberIsRefusedToThePrimaryAndWithoutAPrimary()
    {
        final ArbiterRecord record = running();
        assertEquals(Reason.UNAUTHORIZED, ArbiterRules.decide(record, join("a", 1), 0, QOS, QOS).reason(),
            "the primary does not join as its own backup");
        assertEquals(Reason.NOT_PRIMARY, ArbiterRules.decide(null, join("dr", 0), 0, QOS, QOS, true).reason());
        // With no backup at all (an async member was promoted to primary), the slot is free at once.
        final ArbiterRecord promoted = record.promoted("dr", 800);
        final ArbiterRules.Decision joined = ArbiterRules.decide(promoted, join("a", 2), 0, 0, QOS);
        assertTrue(joined.isGranted(), joined.message());
        assertEquals("a", joined.record().backup());
    }

    @Test
    void anAsyncMemberIsPromotedOnlyByForceWithBothFailoverMembersLost()
    {
        final ArbiterRecord record = running();
        final ArbiterRequest force = new ArbiterRequest(Kind.PROMOTE, MIRROR, "dr", 1, ArbiterProtocol.FLAG_VALUE, 800);
        assertEquals(Reason.PARTNER_ALIVE, ArbiterRules.decide(record, force, QOS, QOS - 1, QOS, true).reason());
        assertEquals(Reason.PARTNER_ALIVE, ArbiterRules.decide(record, force, QOS - 1, QOS, QOS, true).reason());
        assertEquals(Reason.NO_FAILOVER, ArbiterRules.decide(record,
            new ArbiterRequest(Kind.PROMOTE, MIRROR, "dr", 1, 0, 800), QOS, QOS, QOS, true).reason(),
            "not without the operator's force");
        assertEquals(Reason.UNAUTHORIZED,
            ArbiterRules.decide(record, request(Kind.TAKEOVER, "dr", 1), QOS, QOS, QOS, true).reason());
        assertEquals(Reason.UNAUTHORIZED,
            ArbiterRules.decide(record, request(Kind.PROMOTE, "b", 1), QOS, QOS, QOS).reason());

        final ArbiterRules.Decision promoted = ArbiterRules.decide(record, force, QOS, QOS, QOS, true);
        assertTrue(promoted.isGranted(), promoted.message());
        assertEquals(2, promoted.record().epoch());
        assertEquals("dr", promoted.record().primary());
        assertNull(promoted.record().backup());
        assertEquals(new ArbiterRecord.Start(2, 800, true),
            promoted.record().starts().get(promoted.record().starts().size() - 1));
        assertTrue(ArbiterRules.decide(record, request(Kind.POLL, "dr", 1), 0, 0, QOS, true).isGranted());
        assertNull(ArbiterRules.decide(
            ArbiterRules.decide(null, request(Kind.CLAIM_PRIMARY, "a", 0), 0, 0, QOS).record(),
            request(Kind.POLL, "dr", 1), 0, 0, QOS, true).record().backup(),
            "an async member's poll registers no backup");
    }

    @Test
    void aMemberAheadOfTheArbiterIsRefused()
    {
        assertEquals(Reason.EPOCH_AHEAD,
            ArbiterRules.decide(running(), request(Kind.POLL, "b", 7), 0, 0, QOS).reason());
    }

    /** Decides one request; the production rules, or a deliberately broken one. */
    @FunctionalInterface
    interface Rules
    {
        ArbiterRules.Decision decide(ArbiterRecord record, ArbiterRequest request, long primarySilentMs,
            long backupSilentMs, long qosTimeoutMs);
    }

    /** A request on its way to the arbiter: when it was sent, in the order of sending. */
    private record Sent(ArbiterRequest request, long sentAt)
    {
    }

    /** What the random runs exercised, so a test can tell that re-admission and takeovers after it happened. */
    static final class Exercised
    {
        long readmissions;
        long takeoversAfterReadmission;
        long lateDeliveries;
    }

    /**
     * Random requests from two members with random silences; returns the first violation of: epochs never go
     * backward; no takeover is granted while a revoke granted in its epoch is in force. Requests carry realistic LSNs:
     * each member's journal tail grows while it is primary and its backup's follows behind; REVOKE_BACKUP and
     * CLAIM_PRIMARY carry the sender's tail when sent, an ACTIVE report the backup's acknowledged LSN (at most the
     * primary's tail when sent). Requests are delivered late and out of order (an earlier one after later ones), and
     * some are lost.
     * <p>
     * A revoke (REVOKE_BACKUP, a restarted primary's claim, an operator's force) is in force in its epoch from its
     * grant until the arbiter accepts an ACTIVE report sent after every revoke of the epoch granted so far was sent:
     * the primary stops honouring its grants before such a report leaves, so only then may the backup take over. A
     * re-admission on a report sent before a revoke is a violation of its own.
     */
    static String findViolation(final Rules rules, final long seed, final int steps)
    {
        return findViolation(rules, seed, steps, new Exercised());
    }

    static String findViolation(final Rules rules, final long seed, final int steps, final Exercised exercised)
    {
        final Random random = new Random(seed);
        final String[] members = {"a", "b"};
        final Kind[] kinds = Kind.values();
        final long[] tail = {0, 0};
        final List<Sent> inFlight = new ArrayList<>();
        // Per epoch: the latest send time of a revoke granted in it, and whether a fresh report re-admitted since.
        final Map<Long, Long> revokeSentAt = new HashMap<>();
        final Set<Long> inForce = new HashSet<>();
        final Set<Long> readmittedEpochs = new HashSet<>();
        ArbiterRecord record = null;
        for (int i = 0; i < steps; i++)
        {
            advanceTails(random, record, members, tail);
            final int index = random.nextInt(2);
            final String member = members[index];
            final long epoch = null == record ? 0 : Math.max(0, record.epoch() - (random.nextInt(4) == 0 ? 1 : 0));
            final Kind kind = kinds[random.nextInt(kinds.length)];
            inFlight.add(new Sent(new ArbiterRequest(kind, MIRROR, member, epoch, flags(random, kind),
                lsn(random, kind, tail[index])), i));
            // Requests wait on the way: none, one or two are delivered per step, the newest or one sent earlier; a
            // queue grown long loses its oldest.
            if (inFlight.size() > 6)
            {
                inFlight.remove(0);
            }
            for (int delivered = random.nextInt(3); delivered > 0 && !inFlight.isEmpty(); delivered--)
            {
                final int pick = random.nextInt(3) == 0 ? random.nextInt(inFlight.size()) : inFlight.size() - 1;
                final Sent sent = inFlight.remove(pick);
                if (pick < inFlight.size())
                {
                    exercised.lateDeliveries++;
                }
                final ArbiterRules.Decision decision = rules.decide(record, sent.request(), random.nextInt(2) * QOS,
                    random.nextInt(2) * QOS, QOS);
                final String violation = check(record, sent, decision, revokeSentAt, inForce, readmittedEpochs,
                    exercised);
                if (null != violation)
                {
                    return violation + " step=" + i + " seed=" + seed;
                }
                record = null == decision.record() ? record : decision.record();
            }
        }
        return null;
    }

    private static String check(
        final ArbiterRecord record, final Sent sent, final ArbiterRules.Decision decision,
        final Map<Long, Long> revokeSentAt, final Set<Long> inForce, final Set<Long> readmittedEpochs,
        final Exercised exercised)
    {
        final ArbiterRequest request = sent.request();
        final ArbiterRecord next = decision.record();
        if (null != record && null != next && next.epoch() < record.epoch())
        {
            return "epoch went backward: " + request;
        }
        if (null != next && next.revoked() && (null == record || next.epoch() > record.epoch() ||
            !record.revoked() || next.revokedLsn() > record.revokedLsn()))
        {
            revokeSentAt.merge(next.epoch(), sent.sentAt(), Math::max);
            inForce.add(next.epoch());
        }
        if (null != record && null != next && next.epoch() == record.epoch() && record.revoked() &&
            !next.revoked() && next.backupActive())
        {
            exercised.readmissions++;
            final long revokedAt = revokeSentAt.getOrDefault(record.epoch(), -1L);
            if (sent.sentAt() <= revokedAt)
            {
                return "revoked backup re-admitted on a report sent at step " + sent.sentAt() +
                    ", not after the revoke sent at step " + revokedAt + ": " + request + " record=" + record;
            }
            inForce.remove(record.epoch());
            readmittedEpochs.add(record.epoch());
        }
        if (decision.isGranted() && null != record && null != next && request.kind() == Kind.TAKEOVER &&
            next.epoch() > record.epoch())
        {
            if (inForce.contains(record.epoch()))
            {
                return "takeover granted in epoch " + record.epoch() + " while the revoke sent at step " +
                    revokeSentAt.get(record.epoch()) + " is in force: " + request + " record=" + record;
            }
            if (readmittedEpochs.contains(record.epoch()))
            {
                exercised.takeoversAfterReadmission++;
            }
        }
        return null;
    }

    /** The primary writes; its backup receives part of it. Tails never go back. */
    private static void advanceTails(
        final Random random, final ArbiterRecord record, final String[] members, final long[] tail)
    {
        if (null == record || null == record.primary())
        {
            return;
        }
        final int primary = members[0].equals(record.primary()) ? 0 : 1;
        tail[primary] += random.nextInt(3);
        tail[1 - primary] = Math.max(tail[1 - primary], tail[primary] - random.nextInt(4));
    }

    private static int flags(final Random random, final Kind kind)
    {
        int flags = random.nextInt(8); // BACKUP_ACTIVE, VALUE, LOST_PRIMARY in any mix
        if (kind == Kind.POLL && random.nextInt(40) == 0)
        {
            flags |= ArbiterProtocol.FLAG_FORCED;
        }
        return flags;
    }

    /** What a real sender puts in the request: its tail, or an ACTIVE report's backup LSN at most its tail. */
    private static long lsn(final Random random, final Kind kind, final long senderTail)
    {
        return switch (kind)
        {
            case REVOKE_BACKUP, CLAIM_PRIMARY, TAKEOVER -> senderTail;
            case POLL -> Math.max(0, senderTail - random.nextInt(3));
            default -> -1;
        };
    }

    @Test
    void randomRequestsNeverBreakTheRules()
    {
        final Exercised exercised = new Exercised();
        for (long seed = 0; seed < 300; seed++)
        {
            final String violation = findViolation(ArbiterRules::decide, seed, 300, exercised);
            assertNull(violation, "seed=" + seed + ": " + violation);
        }
        assertTrue(exercised.readmissions > 0, "no revoked backup was re-admitted: the rule was not exercised");
        assertTrue(exercised.takeoversAfterReadmission > 0, "no takeover followed a re-admission");
        assertTrue(exercised.lateDeliveries > 0, "no request was delivered late");
    }

    @Test
    void theCheckerCatchesAReadmissionOnAReportAtTheRevokesLsn()
    {
        // Broken: a report at the revoke's LSN re-admits the backup (>= instead of >); it may have been sent before
        // the revoke, by a primary that wrote nothing in between.
        final Rules broken = (record, request, primarySilentMs, backupSilentMs, qos) ->
        {
            if (request.kind() == Kind.POLL && null != record && request.memberName().equals(record.primary()) &&
                request.epoch() == record.epoch() && request.has(ArbiterProtocol.FLAG_BACKUP_ACTIVE) &&
                null != record.backup() && record.revoked() && !record.isForced(record.epoch()) &&
                request.lsn() == record.revokedLsn())
            {
                return new ArbiterRules.Decision(Reason.NONE, record.readmitted(), "broken re-admission");
            }
            return ArbiterRules.decide(record, request, primarySilentMs, backupSilentMs, qos);
        };
        boolean found = false;
        for (long seed = 0; seed < 300 && !found; seed++)
        {
            found = null != findViolation(broken, seed, 300);
        }
        assertTrue(found, "the checker never noticed a re-admission on a report at the revoke's LSN");
    }

    @Test
    void theCheckerCatchesATakeoverGrantedAfterARevoke()
    {
        // Broken: takeover ignores whether the backup is still ACTIVE.
        final Rules broken = (record, request, primarySilentMs, backupSilentMs, qos) ->
        {
            if (request.kind() == Kind.TAKEOVER && null != record && request.memberName().equals(record.backup()) &&
                request.epoch() == record.epoch() && primarySilentMs >= qos)
            {
                return new ArbiterRules.Decision(Reason.NONE, record.takenOver(), "broken takeover");
            }
            return ArbiterRules.decide(record, request, primarySilentMs, backupSilentMs, qos);
        };
        boolean found = false;
        for (long seed = 0; seed < 300 && !found; seed++)
        {
            found = null != findViolation(broken, seed, 200);
        }
        assertTrue(found, "the checker never noticed the broken rule");
    }
}
