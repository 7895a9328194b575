package io.jmirror.mirror;

import io.jmirror.journal.EpochStart;
import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterProtocol.Kind;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;
import io.jmirror.shipper.BackupGate;
import io.jmirror.shipper.BackupRelease;
import io.jmirror.shipper.MemberRole;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link FailoverControl} without threads, sockets or files: beats driven by hand against a scripted arbiter and
 * environment.
 */
class FailoverControlTest
{
    /**
     * A backup that has lost its primary; the arbiter would grant its takeover (and then names it primary).
     */
    private static class Script implements ArbiterLink, FailoverEnvironment
    {
        final List<Kind> asked = new ArrayList<>();
        String failure;
        boolean isWaiting;
        boolean opened;
        boolean isGranted;

        @Override
        public ArbiterResponse request(final ArbiterRequest request)
        {
            asked.add(request.kind());
            if (request.kind() == Kind.TAKEOVER)
            {
                isGranted = true;
                return new ArbiterResponse(ArbiterProtocol.Reason.NONE, 2, "B", "A", 0, 900, "takeover granted");
            }
            return new ArbiterResponse(ArbiterProtocol.Reason.NONE, isGranted ? 2 : 1, isGranted ? "B" : "A",
                isGranted ? "A" : "B", ArbiterProtocol.FLAG_BACKUP_ACTIVE, 900, "heard");
        }

        @Override
        public List<EpochStart> journalEpochHistory()
        {
            return List.of(new EpochStart(1, 0, "A"));
        }

        @Override
        public boolean journalExists()
        {
            return true;
        }

        @Override
        public long journalEndLsn()
        {
            return 4096;
        }

        @Override
        public long storeRecoveredLsn()
        {
            return 0;
        }

        @Override
        public String openAsPrimary(final long epoch, final BackupRelease release)
        {
            opened = true;
            return "rolledBack=0";
        }

        @Override
        public void closePrimary()
        {
        }

        @Override
        public long primaryTailLsn()
        {
            return 4096;
        }

        @Override
        public long backupActiveLsn(final String memberName)
        {
            return -1;
        }

        @Override
        public long memberDurableLsn(final String memberName)
        {
            return -1;
        }

        @Override
        public String primaryFencedBy()
        {
            return null;
        }

        @Override
        public void follow(final String primaryName, final MemberRole role, final long epoch)
        {
        }

        @Override
        public void stopFollowing()
        {
        }

        @Override
        public boolean isStreaming()
        {
            return false;
        }

        @Override
        public long receivedTailLsn()
        {
            return 4096;
        }

        @Override
        public long appliedLsn()
        {
            return 0;
        }

        @Override
        public String followerFailure()
        {
            return failure;
        }

        @Override
        public boolean isFollowerWaiting()
        {
            return isWaiting;
        }

        @Override
        public boolean applyAllReceived()
        {
            return null == failure;
        }

        @Override
        public Path truncateJournal(final long lsn)
        {
            return null;
        }

        @Override
        public List<Long> undoBeyond(final long lsn)
        {
            return null;
        }

        @Override
        public long followerDivergenceLsn()
        {
            return -1;
        }

        @Override
        public String followerRefusal()
        {
            return null;
        }
    }

    /**
     * A member following a primary: the arbiter's primary, epoch and where the next epoch after the journal's starts
     * are set by the test; the environment records what the control did to its journal and store.
     */
    private static class Follower extends Script
    {
        final List<String> did = new ArrayList<>();
        long arbiterEpoch = 2;
        String arbiterPrimary = "A";
        long nextEpochLsn = -1;
        long journalEpoch = 1;
        long journalEnd = 6000;
        long applied = 5000;
        long divergedAt = -1;
        long recovered;
        String refusal;
        List<Long> withoutBeforeImage;
        String arbiterBackup = "B";
        boolean isSlotFree;

        @Override
        public ArbiterResponse request(final ArbiterRequest request)
        {
            asked.add(request.kind());
            if (request.kind() == Kind.JOIN_FAILOVER)
            {
                if (!isSlotFree)
                {
                    return new ArbiterResponse(ArbiterProtocol.Reason.PARTNER_ALIVE, arbiterEpoch, arbiterPrimary,
                        arbiterBackup, 0, 900, "no free failover slot");
                }
                arbiterBackup = request.memberName();
            }
            return new ArbiterResponse(ArbiterProtocol.Reason.NONE, arbiterEpoch, arbiterPrimary, arbiterBackup, 0,
                900, "heard", request.epoch() < arbiterEpoch ? nextEpochLsn : -1);
        }

        @Override
        public List<EpochStart> journalEpochHistory()
        {
            return List.of(new EpochStart(journalEpoch, 0, "A"));
        }

        @Override
        public long journalEndLsn()
        {
            return journalEnd;
        }

        @Override
        public long storeRecoveredLsn()
        {
            return recovered;
        }

        @Override
        public long appliedLsn()
        {
            return applied;
        }

        @Override
        public boolean isStreaming()
        {
            return true;
        }

        @Override
        public void follow(final String primaryName, final MemberRole role, final long epoch)
        {
            did.add("follow " + primaryName + " as " + role + " in " + epoch);
        }

        @Override
        public void stopFollowing()
        {
            did.add("stop");
            divergedAt = -1;
            refusal = null;
        }

        @Override
        public List<Long> undoBeyond(final long lsn)
        {
            did.add("undo " + lsn);
            return withoutBeforeImage;
        }

        @Override
        public Path truncateJournal(final long lsn)
        {
            did.add("cut " + lsn);
            journalEnd = lsn;
            return Path.of("divergent-" + lsn);
        }

        @Override
        public long followerDivergenceLsn()
        {
            return divergedAt;
        }

        @Override
        public String followerRefusal()
        {
            return refusal;
        }
    }

    private static FailoverControl following(final Follower env, final boolean isAsync)
    {
        final FailoverControl control = new FailoverControl(new FailoverSettings("CLINIC", isAsync ? "D" : "B", "A",
            isAsync, false), () -> 0, env, env);
        control.onBeat(0);
        assertEquals(isAsync ? MirrorNode.Role.ASYNC : MirrorNode.Role.BACKUP, control.role(), control.reason());
        return control;
    }

    private static FailoverControl backupOf(final Script script)
    {
        final long[] now = {0};
        final FailoverControl control = new FailoverControl(new FailoverSettings("CLINIC", "B", "A", false, false),
            () -> now[0], script, script);
        control.onBeat(0);
        assertEquals(MirrorNode.Role.BACKUP, control.role(), control.reason());
        return control;
    }

    @Test
    void aBackupThatLostItsPrimaryAsksForTheTakeoverAndTakesOver()
    {
        final Script script = new Script();
        final FailoverControl control = backupOf(script);
        control.onBeat(100);
        assertTrue(script.asked.contains(Kind.TAKEOVER), script.asked.toString());
        assertEquals(MirrorNode.Role.PRIMARY, control.role(), control.reason());
        assertEquals(2, control.epoch());
        assertTrue(script.opened);
    }

    @Test
    void aBackupThatCannotApplyNeitherAsksForNorAcceptsTheTakeover()
    {
        final Script script = new Script();
        final FailoverControl control = backupOf(script);
        script.failure = "dejournaler FAILED: bad checksum at lsn=2048";
        control.onBeat(100);
        assertFalse(script.asked.contains(Kind.TAKEOVER), script.asked.toString());
        assertEquals(MirrorNode.Role.BACKUP, control.role());
        assertTrue(control.reason().startsWith("FAILED: "), control.reason());
        assertTrue(control.reason().contains("bad checksum at lsn=2048"), control.reason());

        // Even when the arbiter already names it primary (a grant it asked for before it failed), it stays put.
        script.isGranted = true;
        control.onBeat(200);
        assertEquals(MirrorNode.Role.BACKUP, control.role(), control.reason());
        assertFalse(script.opened);
    }

    @Test
    void aBackupWaitingForRecordsItsStoreHoldsSaysItWaitsAndDoesNotTakeOver()
    {
        final Script script = new Script();
        final FailoverControl control = backupOf(script);
        script.failure = "the store is ahead of its journal: journalEndLsn=1024 storeAppliedLsn=2048";
        script.isWaiting = true;
        control.onBeat(100);
        assertFalse(script.asked.contains(Kind.TAKEOVER), script.asked.toString());
        assertEquals(MirrorNode.Role.BACKUP, control.role());
        assertTrue(control.reason().startsWith("WAITING: "), control.reason());
        assertTrue(control.reason().contains("storeAppliedLsn=2048"), control.reason());
    }

    @Test
    void aFormerPrimaryWhoseRejoinQuestionGoesUnansweredAsksAgainInsteadOfCallingItselfLost()
    {
        final List<Long> truncatedAt = new ArrayList<>();
        final int[] polls = {0};
        final Script script = new Script()
        {
            @Override
            public ArbiterResponse request(final ArbiterRequest request)
            {
                asked.add(request.kind());
                polls[0]++;
                if (polls[0] == 2)
                {
                    return null; // the answer to "where did the next epoch start?" is lost
                }
                return new ArbiterResponse(ArbiterProtocol.Reason.NONE, 2, "B", "A", 0, 900, "heard", 1024);
            }

            @Override
            public Path truncateJournal(final long lsn)
            {
                truncatedAt.add(lsn);
                return null;
            }
        };
        final FailoverControl control = new FailoverControl(new FailoverSettings("CLINIC", "A", "B", false, true),
            () -> 0, script, script);
        control.onBeat(0);
        assertEquals(MirrorNode.Role.CANDIDATE, control.role(), control.reason());
        assertEquals(List.of(), truncatedAt);
        control.onBeat(100);
        assertEquals(MirrorNode.Role.BACKUP, control.role(), control.reason());
        assertEquals(List.of(1024L), truncatedAt);
    }

    @Test
    void aBackupRefusedDivergedUndoesAndCutsAtTheLsnThePrimaryNamedAndFollowsAgain()
    {
        final Follower env = new Follower();
        final FailoverControl control = following(env, false);
        env.did.clear();
        env.divergedAt = 4096;
        control.onBeat(100);
        assertEquals(List.of("stop", "undo 4096", "cut 4096", "follow A as BACKUP in 2"), env.did);
        assertEquals(MirrorNode.Role.BACKUP, control.role(), control.reason());
        assertEquals(1, control.divergences());
        assertEquals(Path.of("divergent-4096"), control.divergentBytes());
    }

    @Test
    void aMemberRefusedDivergedWhoseRecordsCarryNoBeforeImageStopsFencedToBeRebuilt()
    {
        for (final boolean isAsync : new boolean[] {false, true})
        {
            final Follower env = new Follower();
            final FailoverControl control = following(env, isAsync);
            env.did.clear();
            env.divergedAt = 4096;
            env.withoutBeforeImage = List.of(4200L);
            control.onBeat(100);
            assertEquals(List.of("stop", "undo 4096"), env.did, "async=" + isAsync);
            assertEquals(MirrorNode.Role.FENCED, control.role(), control.reason());
            assertTrue(control.reason().contains("must be rebuilt"), control.reason());
            assertTrue(control.reason().contains("4200"), control.reason());
        }
    }

    @Test
    void aDrAsyncAheadOfTheNewPrimaryAtAFailoverUndoesItsExtraRecordsCutsAndFollows()
    {
        final Follower env = new Follower();
        env.journalEpoch = 1;
        env.arbiterEpoch = 1;
        final FailoverControl control = following(env, true);
        env.did.clear();
        env.arbiterEpoch = 2;
        env.arbiterPrimary = "B";
        env.nextEpochLsn = 4096; // B's epoch 2 starts below what this member applied (5000)
        control.onBeat(100);
        assertEquals(List.of("stop", "undo 4096", "cut 4096", "follow B as DR_ASYNC in 2"), env.did);
        assertEquals(MirrorNode.Role.ASYNC, control.role(), control.reason());
        assertEquals(2, control.epoch());
    }

    @Test
    void aDrAsyncThatFollowedItsPrimaryThroughARestartCutsAfterItsJournalsLastEpochAtTheNextFailover()
    {
        // D followed A in epoch 1; A restarted and reigns on in epoch 2 (starting at 3000), which D's journal holds.
        // B then takes over in epoch 3 at 5500: D must cut there, not at 3000, where epoch 2 (A's, kept) started.
        final Follower env = new Follower()
        {
            @Override
            public ArbiterResponse request(final ArbiterRequest request)
            {
                asked.add(request.kind());
                final long next = request.epoch() == 1 ? 3000 : request.epoch() == 2 ? 5500 : -1;
                return new ArbiterResponse(ArbiterProtocol.Reason.NONE, arbiterEpoch, arbiterPrimary, "B", 0, 900,
                    "heard", next);
            }
        };
        env.journalEpoch = 1;
        env.arbiterEpoch = 1;
        final FailoverControl control = following(env, true);
        env.journalEpoch = 2; // A's EPOCH_START of its restart reached D's journal
        env.arbiterEpoch = 2;
        control.onBeat(100);
        env.did.clear();
        env.arbiterEpoch = 3;
        env.arbiterPrimary = "B";
        control.onBeat(200);
        assertEquals(List.of("stop", "cut 5500", "follow B as DR_ASYNC in 3"), env.did);
        assertEquals(3, control.epoch());
    }

    @Test
    void aDrAsyncRestartedWithAnOlderJournalEpochCutsAtTheNextEpochsStartBeforeFollowing()
    {
        final Follower env = new Follower();
        env.arbiterPrimary = "B";
        env.nextEpochLsn = 4096;
        env.recovered = 5000; // its store holds records of epoch 1 beyond where epoch 2 starts
        final FailoverControl control = new FailoverControl(new FailoverSettings("CLINIC", "D", "A", true, false),
            () -> 0, env, env);
        control.onBeat(0);
        assertEquals(List.of("undo 4096", "cut 4096", "follow B as DR_ASYNC in 2"), env.did);
        assertEquals(MirrorNode.Role.ASYNC, control.role(), control.reason());

        // Without the arbiter's answer it does not follow uncut: it asks again next beat.
        final Follower unanswered = new Follower()
        {
            @Override
            public ArbiterResponse request(final ArbiterRequest request)
            {
                return asked.size() == 1 ? null : super.request(request);
            }
        };
        unanswered.asked.add(Kind.POLL);
        final FailoverControl waiting = new FailoverControl(new FailoverSettings("CLINIC", "D", "A", true, false),
            () -> 0, unanswered, unanswered);
        waiting.onBeat(0);
        assertEquals(List.of(), unanswered.did);
        assertEquals(MirrorNode.Role.CANDIDATE, waiting.role(), waiting.reason());
    }

    @Test
    void aDrAsyncPromotedToFailoverMemberSwitchesToBackupAndFollowsTheSamePrimaryAsBackup()
    {
        final Follower env = new Follower();
        env.arbiterEpoch = 1;
        final FailoverControl control = following(env, true);
        env.did.clear();
        control.joinFailoverWanted(true);
        control.onBeat(100);
        assertTrue(env.asked.contains(Kind.JOIN_FAILOVER), env.asked.toString());
        assertEquals(List.of(), env.did, "no free slot: it keeps following as DR async");
        assertEquals(MirrorNode.Role.ASYNC, control.role(), control.reason());

        env.isSlotFree = true;
        control.onBeat(200);
        assertEquals(List.of("stop", "follow A as BACKUP in 1"), env.did);
        assertEquals(MirrorNode.Role.BACKUP, control.role(), control.reason());
        assertEquals(1, control.joins());

        // As backup it stays so while it streams, and asks no takeover.
        env.did.clear();
        env.asked.clear();
        control.onBeat(300);
        assertEquals(List.of(), env.did);
        assertEquals(MirrorNode.Role.BACKUP, control.role(), control.reason());
        assertFalse(env.asked.contains(Kind.TAKEOVER), env.asked.toString());

        // Restarted, it follows as the backup the arbiter names it.
        final Follower restarted = new Follower();
        restarted.arbiterEpoch = 1;
        restarted.arbiterBackup = "D";
        final FailoverControl again = new FailoverControl(new FailoverSettings("CLINIC", "D", "A", true, false),
            () -> 0, restarted, restarted);
        again.onBeat(0);
        assertEquals(List.of("follow A as BACKUP in 1"), restarted.did);
        assertEquals(MirrorNode.Role.BACKUP, again.role(), again.reason());
    }

    @Test
    void aBackupReplacedByAJoinedAsyncMemberFollowsAsAsyncMember()
    {
        final Follower env = new Follower();
        env.arbiterEpoch = 1;
        final FailoverControl control = following(env, false);
        env.did.clear();
        env.arbiterBackup = "D";
        control.onBeat(100);
        assertEquals(List.of("stop", "follow A as DR_ASYNC in 1"), env.did);
        assertEquals(MirrorNode.Role.ASYNC, control.role(), control.reason());
    }

    @Test
    void aDrAsyncThePrimaryKeepsRefusingDoesNotClaimToBeFollowing()
    {
        final Follower env = new Follower();
        env.arbiterEpoch = 1;
        final FailoverControl control = following(env, true);
        assertTrue(control.reason().startsWith("following"), control.reason());
        env.refusal = "reason=LSN_NOT_A_RECORD lsn=-1";
        control.onBeat(100);
        assertEquals(MirrorNode.Role.ASYNC, control.role());
        assertTrue(control.reason().contains("refused") && control.reason().contains("LSN_NOT_A_RECORD"),
            control.reason());
    }

    @Test
    void aFormerPrimaryWhoseDurableStoreHoldsItsDivergentRecordsUndoesThemCutsAndFollows()
    {
        // Node A was primary in epoch 1 (its journal's last EPOCH_START is its own); B took over in epoch 2 at 4096,
        // and A's store (a durable one, checkpointed at 5000) holds records beyond that.
        final Follower env = new Follower();
        env.arbiterPrimary = "B";
        env.arbiterBackup = "A"; // the takeover made the former primary the backup-to-be
        env.nextEpochLsn = 4096;
        env.recovered = 5000;
        final FailoverControl control = new FailoverControl(new FailoverSettings("CLINIC", "A", "B", false, true),
            () -> 0, env, env);
        control.onBeat(0);
        assertEquals(List.of("undo 4096", "cut 4096", "follow B as BACKUP in 2"), env.did);
        assertEquals(MirrorNode.Role.BACKUP, control.role(), control.reason());
        assertEquals(Path.of("divergent-4096"), control.divergentBytes());

        // Without before-images for those records it cannot be undone: FENCED, to be rebuilt, never following.
        final Follower noImages = new Follower();
        noImages.arbiterPrimary = "B";
        noImages.nextEpochLsn = 4096;
        noImages.recovered = 5000;
        noImages.withoutBeforeImage = List.of(4500L);
        final FailoverControl fenced = new FailoverControl(new FailoverSettings("CLINIC", "A", "B", false, true),
            () -> 0, noImages, noImages);
        fenced.onBeat(0);
        assertEquals(List.of("undo 4096"), noImages.did);
        assertEquals(MirrorNode.Role.FENCED, fenced.role(), fenced.reason());
        assertTrue(fenced.reason().contains("must be rebuilt"), fenced.reason());
    }

    /**
     * Primary A of epoch 1 with backup B: the production {@link ArbiterRules} decide, the production
     * {@link BackupGate} holds commits; the test plays the backup's session and the journal's positions.
     */
    private static final class PrimaryScript extends Script
    {
        private static final long QOS = 8000;
        final BackupGate gate = new BackupGate();
        final List<ArbiterRequest> requests = new ArrayList<>();
        FailoverControl control;
        ArbiterRecord record;
        boolean isSessionActive;
        long durableLsn;
        long backupSilentMs;
        Boolean mayReleaseWhenActiveReported;
        final List<String> assigned = new ArrayList<>();

        @Override
        public ArbiterResponse request(final ArbiterRequest request)
        {
            asked.add(request.kind());
            requests.add(request);
            if (request.has(ArbiterProtocol.FLAG_BACKUP_ACTIVE))
            {
                // What would the gate do if the backup dropped while this report is on its way?
                mayReleaseWhenActiveReported = control.mayRelease("B", 1);
            }
            final ArbiterRules.Decision decision = ArbiterRules.decide(record, request, 0,
                null == record || null == record.backup() ? QOS : backupSilentMs, QOS);
            record = decision.record();
            if (null == record)
            {
                return new ArbiterResponse(decision.reason(), 0, null, null, 0, -1, decision.message());
            }
            return new ArbiterResponse(decision.reason(), record.epoch(), record.primary(), record.backup(),
                (record.backupActive() ? ArbiterProtocol.FLAG_BACKUP_ACTIVE : 0) |
                (record.backupJoined() ? ArbiterProtocol.FLAG_BACKUP_JOINED : 0), backupSilentMs, decision.message());
        }

        @Override
        public void assignBackup(final String memberName)
        {
            assigned.add(memberName);
        }

        @Override
        public List<EpochStart> journalEpochHistory()
        {
            return List.of();
        }

        @Override
        public boolean journalExists()
        {
            return false;
        }

        @Override
        public long primaryTailLsn()
        {
            return durableLsn;
        }

        @Override
        public long backupActiveLsn(final String memberName)
        {
            return isSessionActive ? gate.activeReportLsn(memberName) : -1;
        }

        @Override
        public long memberDurableLsn(final String memberName)
        {
            return gate.ackedDurableLsn();
        }

        /** B's session turns ACTIVE having acknowledged {@code acked}. */
        void backupActive(final long acked)
        {
            isSessionActive = true;
            gate.onActive("B", acked, () -> durableLsn);
        }

        /** B's session drops; the gate asks whether commits may go on without it. */
        boolean backupLost()
        {
            isSessionActive = false;
            return gate.onNotActive(control, 1);
        }

        ArbiterRequest lastPoll()
        {
            for (int i = requests.size() - 1; i >= 0; i--)
            {
                if (requests.get(i).kind() == Kind.POLL)
                {
                    return requests.get(i);
                }
            }
            throw new AssertionError("no POLL sent: " + requests);
        }
    }

    private static PrimaryScript primaryOfEpochOne()
    {
        final PrimaryScript script = new PrimaryScript();
        script.control = new FailoverControl(new FailoverSettings("CLINIC", "A", "B", false, true), () -> 0, script,
            script);
        script.control.onBeat(0);
        assertEquals(MirrorNode.Role.PRIMARY, script.control.role(), script.control.reason());
        assertEquals(1, script.control.epoch());
        script.record = ArbiterRules.decide(script.record, new ArbiterRequest(Kind.POLL, "CLINIC", "B", 1, 0), 0, 0,
            PrimaryScript.QOS).record();
        assertEquals("B", script.record.backup());
        return script;
    }

    @Test
    void theActiveReportWaitsUntilTheBackupHoldsWhatThePrimaryAcknowledgedBeforeTheGateClosed()
    {
        final PrimaryScript script = primaryOfEpochOne();
        // Acknowledged alone (the gate is open until the backup is first ACTIVE) up to 300; B's session turns
        // ACTIVE one batch short of it.
        script.durableLsn = 300;
        script.backupActive(250);
        assertEquals(300, script.gate.closedAtLsn());
        script.control.onBeat(100);
        assertFalse(script.lastPoll().has(ArbiterProtocol.FLAG_BACKUP_ACTIVE), script.lastPoll().toString());
        assertFalse(script.record.backupActive(), "B lacks 250..300, which A acknowledged: it must not take over");

        script.gate.onAck("B", 300);
        script.control.onBeat(200);
        assertTrue(script.lastPoll().has(ArbiterProtocol.FLAG_BACKUP_ACTIVE), script.lastPoll().toString());
        assertEquals(300, script.lastPoll().lsn(), "the report carries B's acknowledged durable LSN");
        assertTrue(script.record.backupActive());
    }

    @Test
    void afterTheBackupIsReadmittedTheNextReleaseAsksTheArbiterAgain()
    {
        final PrimaryScript script = primaryOfEpochOne();
        script.backupActive(0);
        script.control.onBeat(100);
        assertTrue(script.record.backupActive());

        // B is cut off; the arbiter has lost it too and grants the revoke at A's tail.
        script.durableLsn = 100;
        script.backupSilentMs = PrimaryScript.QOS;
        assertFalse(script.backupLost(), "no release before the arbiter's grant");
        script.control.onBeat(200);
        final ArbiterRequest revoke = script.requests.get(script.requests.size() - 1);
        assertEquals(Kind.REVOKE_BACKUP, revoke.kind(), script.requests.toString());
        assertEquals(100, revoke.lsn(), "the revoke carries A's journal tail");
        assertTrue(script.record.revoked());
        assertTrue(script.backupLost(), "released on the grant");
        script.durableLsn = 200; // acknowledged alone

        // B is back, short of what A acknowledged alone: still not reported, and the release still holds (the
        // arbiter would refuse B a takeover).
        script.backupSilentMs = 0;
        script.backupActive(150);
        script.control.onBeat(300);
        assertFalse(script.lastPoll().has(ArbiterProtocol.FLAG_BACKUP_ACTIVE));
        assertFalse(script.record.backupActive());
        assertTrue(script.control.mayRelease("B", 1));

        script.gate.onAck("B", 200);
        script.control.onBeat(400);
        assertEquals(200, script.lastPoll().lsn());
        assertTrue(script.record.backupActive(), "re-admitted: " + script.record);
        assertFalse(script.record.revoked());
        assertEquals(Boolean.FALSE, script.mayReleaseWhenActiveReported,
            "the grant stopped counting before the report left, not when its answer came back");

        // B drops again: this time A must ask the arbiter, which still hears B and refuses.
        final int asked = script.requests.size();
        assertFalse(script.backupLost(), "no release on the old grant");
        script.control.onBeat(500);
        assertTrue(script.requests.subList(asked, script.requests.size()).stream()
            .anyMatch((request) -> request.kind() == Kind.REVOKE_BACKUP), script.requests.toString());
        assertTrue(script.record.backupActive(), "the arbiter still hears B: " + script.record);
        assertFalse(script.backupLost(), "commits keep waiting for B");
        assertTrue(ArbiterRules.decide(script.record, new ArbiterRequest(Kind.TAKEOVER, "CLINIC", "B", 1, 0, 200),
            PrimaryScript.QOS, 0, PrimaryScript.QOS).isGranted(), "B may take over once A is lost");
    }

    @Test
    void aPrimaryAdmitsAJoinedBackupAndSendsItsTailSoOnlyAReportAboutTheNewBackupMakesItActive()
    {
        final PrimaryScript script = primaryOfEpochOne();
        script.backupActive(0);
        script.control.onBeat(100);
        assertEquals(List.of("B"), script.assigned);
        assertTrue(script.record.backupActive());

        // B is lost to the arbiter; D joins into its slot. A has written up to 100 meanwhile.
        script.backupSilentMs = PrimaryScript.QOS;
        final ArbiterRules.Decision join = ArbiterRules.decide(script.record,
            new ArbiterRequest(Kind.JOIN_FAILOVER, "CLINIC", "D", 1, 0, 0), 0, PrimaryScript.QOS, PrimaryScript.QOS,
            true, false);
        assertTrue(join.isGranted(), join.message());
        script.record = join.record();
        script.durableLsn = 100;
        script.control.onBeat(200);
        assertEquals(List.of("B", "D"), script.assigned, "the primary now admits D as backup");
        final ArbiterRequest tail = script.lastPoll();
        assertTrue(tail.has(ArbiterProtocol.FLAG_PRIMARY_TAIL), script.requests.toString());
        assertEquals(100, tail.lsn(), "the tail it had once it admitted D");
        assertFalse(script.record.backupJoined());
        assertEquals(100, script.record.revokedLsn());

        // D's session turns ACTIVE holding all A wrote, and A writes on: D is ACTIVE above the tail.
        script.backupSilentMs = 0;
        script.isSessionActive = true;
        script.gate.onActive("D", 100, () -> script.durableLsn);
        script.durableLsn = 150;
        script.gate.onAck("D", 150);
        script.control.onBeat(300);
        assertTrue(script.lastPoll().has(ArbiterProtocol.FLAG_BACKUP_ACTIVE), script.requests.toString());
        assertEquals(150, script.lastPoll().lsn());
        assertTrue(script.record.backupActive(), script.record.toString());
    }

    @Test
    void aPrimaryAnsweredInAHigherEpochThatNamesItBackupFencesWithoutAdmittingItselfAsItsOwnBackup()
    {
        final List<String> assigned = new ArrayList<>();
        final Script script = new Script()
        {
            @Override
            public ArbiterResponse request(final ArbiterRequest request)
            {
                asked.add(request.kind());
                if (!opened)
                {
                    return new ArbiterResponse(ArbiterProtocol.Reason.NONE, 1, "A", "B", 0, 0, "primary A");
                }
                // B took over meanwhile: the record now names A its backup.
                return new ArbiterResponse(ArbiterProtocol.Reason.NONE, 2, "B", "A", 0, 0, "epoch 2");
            }

            @Override
            public void assignBackup(final String memberName)
            {
                assigned.add(memberName);
            }
        };
        final FailoverControl control = new FailoverControl(new FailoverSettings("CLINIC", "A", "B", false, true),
            () -> 0, script, script);
        control.onBeat(0);
        assertEquals(MirrorNode.Role.PRIMARY, control.role(), control.reason());
        control.onBeat(100);
        assertEquals(MirrorNode.Role.FENCED, control.role(), control.reason());
        assertFalse(assigned.contains("A"), "a fenced primary does not admit itself as backup: " + assigned);
    }
}
