package io.jmirror.harness.sim;

import io.jmirror.mirror.ArbiterRecord;
import io.jmirror.mirror.MirrorNode;

import java.util.List;

import static io.jmirror.harness.sim.SimScript.Step.after;
import static io.jmirror.harness.sim.SimScript.Step.when;

/**
 * Scripted fault phases ({@link SimScript}) that force situations random faults reach too rarely to test.
 */
public final class SimScenarios
{
    private static final String PRIMARY = "A";
    private static final String BACKUP = "B";
    /** Half a batch: the backup lacks so few records that when it says HELLO again it is caught up at once. */
    private static final int NEARLY_CAUGHT_UP_RECORDS = 4;

    /**
     * The scenarios by name, for {@code simulate --script}.
     */
    public enum Name
    {
        /** {@link #activeBeforeCover()}. */
        ACTIVE_BEFORE_COVER;

        /**
         * @return a new script of this scenario (one per run).
         */
        public SimScript newScript()
        {
            return activeBeforeCover();
        }
    }

    private SimScenarios()
    {
    }

    /**
     * The backup turns ACTIVE before it holds what the primary acknowledged alone, and the primary dies in that
     * window. With the production rule ({@code BackupGate.activeReportLsn}) the primary does not report the backup
     * ACTIVE until it has acknowledged durable up to where the gate closed, so the arbiter refuses the backup's
     * takeover and every acknowledged commit survives; with {@link Sabotage#ACTIVE_WITHOUT_COVER} the arbiter
     * re-admits the backup on the early report and grants it the takeover, and the commits it lacks are lost.
     * <ol>
     *   <li>Once B is ACTIVE and A's commits wait for it, A and B are cut apart; A asks the arbiter for
     *   REVOKE_BACKUP, is granted it, and acknowledges commits alone.</li>
     *   <li>1.5 s later, A still released, the link heals; B catches up (CATCHUP, the gate still open).</li>
     *   <li>Once B holds A's journal beyond the revoke's LSN but for a few records, before its session is ACTIVE, A
     *   and B are cut apart again and B is killed: its acks still on their way are lost (so A's session does not
     *   turn ACTIVE on them), and from now on nothing reaches B from A. A acknowledges alone what B lacks.</li>
     *   <li>Once A has acknowledged alone a commit beyond B's journal, the link from B to A heals and B restarts: its
     *   HELLO names its journal's end, less than a batch behind A's, so its session is ACTIVE at once, as the
     *   shipper's rule says, and the gate closes at A's durable LSN, above what B has acknowledged.</li>
     *   <li>In that window (B ACTIVE, B's acknowledged LSN below the gate's {@code closedAtLsn}, B's journal without
     *   a commit A acknowledged) the link from B to A is cut again, so that no later HELLO of B's opens a session
     *   that is not ACTIVE (which would make A revoke B again). A reports B ACTIVE (sabotaged) or holds the report
     *   (production) with its next beats.</li>
     *   <li>0.4 s later, before A's session for B times out, A is killed for 3 s: B, which has lost A, asks to take
     *   over.</li>
     *   <li>3.5 s later A and B are reconnected, so the production run goes on to converge.</li>
     * </ol>
     * It needs the fault phase to last at least {@link SimScript#boundMs()}; about 6 s of it pass before the kill of
     * A in a typical run.
     *
     * @return a new script (one per run).
     */
    public static SimScript activeBeforeCover()
    {
        return new SimScript(List.of(
            new SimScript.Step("B is ACTIVE and A's commits wait for it: cut A <-> B", 1000,
                SimScenarios::isBackupGating, 5000, SimScript.partition(PRIMARY, BACKUP)),
            new SimScript.Step("A acknowledges alone (released B on the arbiter's revoke): heal A <-> B", 1500,
                SimScenarios::isReleased, 5000, SimScript.reconnect(PRIMARY, BACKUP)),
            when("B holds A's journal beyond the revoke but for a few records, not ACTIVE yet: cut A <-> B, kill B",
                SimScenarios::isNearlyCaughtUpBeyondRevoke, 5000,
                SimScript.partition(PRIMARY, BACKUP).andThen(SimScript.kill(BACKUP, 60_000))),
            when("A acknowledged alone a commit beyond B's journal: heal B -> A, restart B",
                SimScenarios::isAckedAloneBeyondBackup, 3000,
                SimScript.heal(BACKUP, PRIMARY).andThen(SimScript.restart(BACKUP))),
            when("B ACTIVE below the gate's closedAtLsn, lacking an acknowledged commit (the window): cut B -> A",
                SimScenarios::isActiveBeforeCover, 3000, SimScript.cut(BACKUP, PRIMARY)),
            after(400, "kill A for 3 s", SimScript.kill(PRIMARY, 3000)),
            after(3500, "heal A <-> B", SimScript.reconnect(PRIMARY, BACKUP))));
    }

    private static SimPrimarySide primarySide(final Simulation sim)
    {
        final SimNode primary = sim.node(PRIMARY);
        return primary.isUp() && primary.control().role() == MirrorNode.Role.PRIMARY ? primary.primarySide() : null;
    }

    private static boolean isBackupGating(final Simulation sim)
    {
        final SimPrimarySide side = primarySide(sim);
        final SimPrimarySide.Session session = null == side ? null : side.session(BACKUP);
        return null != session && session.state == SimPrimarySide.SessionState.ACTIVE && side.gate().isGating() &&
            BACKUP.equals(side.gate().backupName());
    }

    private static boolean isReleased(final Simulation sim)
    {
        final SimPrimarySide side = primarySide(sim);
        final ArbiterRecord record = sim.arbiterRecord();
        return null != side && !side.gate().isGating() && null != record && record.revoked() &&
            PRIMARY.equals(record.primary());
    }

    private static boolean isNearlyCaughtUpBeyondRevoke(final Simulation sim)
    {
        final SimPrimarySide side = primarySide(sim);
        final SimNode backup = sim.node(BACKUP);
        if (!isReleased(sim) || !backup.isUp())
        {
            return false;
        }
        final SimPrimarySide.Session session = side.session(BACKUP);
        final int lacking = sim.node(PRIMARY).journal().records().size() - backup.journal().records().size();
        return (null == session || session.state != SimPrimarySide.SessionState.ACTIVE) &&
            backup.journal().tailLsn() > sim.arbiterRecord().revokedLsn() && lacking <= NEARLY_CAUGHT_UP_RECORDS;
    }

    private static boolean isAckedAloneBeyondBackup(final Simulation sim)
    {
        final SimPrimarySide side = primarySide(sim);
        return null != side && !side.gate().isGating() && isAckedBeyondBackup(sim);
    }

    private static boolean isAckedBeyondBackup(final Simulation sim)
    {
        final List<SimRecord> acked = sim.acked();
        return !acked.isEmpty() && acked.get(acked.size() - 1).endLsn() > sim.node(BACKUP).journal().tailLsn();
    }

    private static boolean isActiveBeforeCover(final Simulation sim)
    {
        final SimPrimarySide side = primarySide(sim);
        final SimPrimarySide.Session session = null == side ? null : side.session(BACKUP);
        return isBackupGating(sim) && session.ackedDurableLsn < side.gate().closedAtLsn() &&
            isAckedBeyondBackup(sim);
    }
}
