package io.jmirror.mirror;

import io.jmirror.journal.EpochStart;
import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterProtocol.Kind;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;
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
        public boolean isMemberActive(final String memberName)
        {
            return false;
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
}
