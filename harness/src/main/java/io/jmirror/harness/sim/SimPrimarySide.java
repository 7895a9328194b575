package io.jmirror.harness.sim;

import io.jmirror.shipper.BackupGate;
import io.jmirror.shipper.BackupRelease;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;

/**
 * A member's primary side, modelled on the shipper's {@code Primary} and {@code MemberSession}: one session per
 * member (CATCHUP until it is caught up as {@code MemberSession.isCaughtUp} says: everything sent acked durable and
 * less than one batch left to send, then ACTIVE; TROUBLE when acks stop progressing for the QoS
 * timeout; closed when nothing is heard for it), batches and heartbeats as messages, and the commit rule. The gate
 * that decides whether commits wait for the backup is the production {@link BackupGate}, asked through the
 * production release ({@link io.jmirror.mirror.FailoverControl#mayRelease}) unless a sabotage replaces it.
 */
final class SimPrimarySide
{
    private static final int MAX_BATCH_RECORDS = 8;

    private final SimNode node;
    private final long epoch;
    private final BackupRelease release;
    private final BackupGate gate = new BackupGate();
    private final TreeMap<String, Session> sessions = new TreeMap<>();
    private final List<SimRecord> pending = new ArrayList<>();
    private String fencedBy;

    /**
     * The primary's view of one member.
     */
    static final class Session
    {
        final String member;
        SessionState state = SessionState.CATCHUP;
        long sentLsn;
        long ackedDurableLsn;
        long lastFrameMs;
        long lastAckProgressMs;
        long lastSentMs;
        long lastAckAdvanceMs;

        Session(final String member, final long fromLsn, final long nowMs)
        {
            this.member = member;
            this.sentLsn = fromLsn;
            this.ackedDurableLsn = fromLsn;
            this.lastFrameMs = nowMs;
            this.lastAckProgressMs = nowMs;
            this.lastAckAdvanceMs = nowMs;
        }
    }

    /**
     * A session's journal transfer status.
     */
    enum SessionState
    {
        CATCHUP, ACTIVE, TROUBLE
    }

    SimPrimarySide(final SimNode node, final long epoch, final BackupRelease release)
    {
        this.node = node;
        this.epoch = epoch;
        this.release = release;
    }

    long epoch()
    {
        return epoch;
    }

    String fencedBy()
    {
        return fencedBy;
    }

    boolean isFenced()
    {
        return null != fencedBy;
    }

    Session session(final String member)
    {
        return sessions.get(member);
    }

    BackupGate gate()
    {
        return gate;
    }

    void fence(final String why)
    {
        if (null == fencedBy)
        {
            fencedBy = why;
            node.trace("primary side fenced: " + why);
        }
    }

    /**
     * A client write: append it (the caller checked this node accepts writes).
     */
    SimRecord write(final String global, final long key, final long value)
    {
        final SimJournal journal = node.journal();
        final SimRecord record = SimRecord.set(journal.tailLsn(), epoch, node.name(), global, key, value);
        journal.append(record);
        node.store().apply(record);
        pending.add(record);
        return record;
    }

    void onHello(final SimMessage.Hello hello, final long nowMs)
    {
        if (hello.epoch() > epoch)
        {
            fence("a member knows a higher epoch: fencedEpoch=" + hello.epoch() + " member=" + hello.member());
            return;
        }
        final SimJournal journal = node.journal();
        final long divergence = divergenceLsn(hello);
        if (divergence >= 0)
        {
            // As the shipper's MemberSession: the member's journal runs beyond the next epoch's start.
            node.trace("hello refused DIVERGED: member=" + hello.member() + " memberEpoch=" + hello.epoch() +
                " fromLsn=" + hello.fromLsn() + " divergenceLsn=" + divergence);
            node.send(hello.member(), new SimMessage.Reject(node.name(), "DIVERGED", divergence));
            return;
        }
        if (hello.fromLsn() > journal.tailLsn() || !journal.isRecordStart(hello.fromLsn()))
        {
            // LSN_AHEAD or LSN_NOT_A_RECORD: refused; the member retries.
            node.trace("hello refused: member=" + hello.member() + " fromLsn=" + hello.fromLsn() + " tail=" +
                journal.tailLsn());
            node.send(hello.member(), new SimMessage.Reject(node.name(), hello.fromLsn() > journal.tailLsn() ?
                "LSN_AHEAD" : "LSN_NOT_A_RECORD", -1));
            return;
        }
        final Session session = new Session(hello.member(), hello.fromLsn(), nowMs);
        sessions.put(hello.member(), session);
        node.trace("session opened: member=" + hello.member() + " fromLsn=" + hello.fromLsn() + " tail=" +
            journal.tailLsn());
        if (isCaughtUp(session))
        {
            state(session, SessionState.ACTIVE);
        }
    }

    /**
     * As {@code MemberSession.isCaughtUp}: everything sent is acked durable and less than one batch is left to send.
     * So a backup turns ACTIVE while the primary's last records (perhaps acknowledged without it, the gate open) are
     * still on their way to it: the gate's cover ({@link BackupGate#activeReportLsn}) is what keeps them.
     */
    private boolean isCaughtUp(final Session session)
    {
        final SimJournal journal = node.journal();
        if (session.ackedDurableLsn != session.sentLsn)
        {
            return false;
        }
        final int index = journal.indexAt(session.sentLsn);
        return session.sentLsn >= journal.tailLsn() || (index >= 0 &&
            journal.records().size() - index <= MAX_BATCH_RECORDS);
    }

    private long divergenceLsn(final SimMessage.Hello hello)
    {
        if (hello.epoch() >= epoch)
        {
            return -1;
        }
        for (final io.jmirror.journal.EpochStart start : node.journal().epochHistory())
        {
            if (start.epoch() > hello.epoch())
            {
                return hello.fromLsn() > start.lsn() ? start.lsn() : -1;
            }
        }
        return -1;
    }

    void onAck(final SimMessage.Ack ack, final long nowMs)
    {
        if (ack.epoch() > epoch)
        {
            fence("a member acked in a higher epoch: fencedEpoch=" + ack.epoch() + " member=" + ack.member());
            return;
        }
        final Session session = sessions.get(ack.member());
        if (null == session)
        {
            return;
        }
        session.lastFrameMs = nowMs;
        if (ack.durableLsn() > session.ackedDurableLsn)
        {
            session.ackedDurableLsn = ack.durableLsn();
            session.lastAckAdvanceMs = nowMs;
            gate.onAck(ack.member(), ack.durableLsn());
        }
        if (session.ackedDurableLsn >= session.sentLsn)
        {
            session.lastAckProgressMs = nowMs;
        }
    }

    /**
     * One step: ship, watch sessions, ask the gate, acknowledge what is committed.
     *
     * @param acked receives the writes acknowledged to the client in this step.
     */
    void step(final long nowMs, final SimOptions options, final List<SimRecord> acked)
    {
        final SimJournal journal = node.journal();
        for (final Iterator<Session> it = sessions.values().iterator(); it.hasNext(); )
        {
            final Session session = it.next();
            if (nowMs - session.lastFrameMs > options.qosTimeoutMs())
            {
                node.trace("session closed: member=" + session.member + " no frame within the QoS timeout");
                it.remove();
                continue;
            }
            // Timers before sending, as MemberSession's duty cycle: caught up is judged on what was sent so far.
            if (session.state == SessionState.ACTIVE && nowMs - session.lastAckProgressMs > options.qosTimeoutMs())
            {
                state(session, SessionState.TROUBLE);
            }
            else if (session.state != SessionState.ACTIVE && isCaughtUp(session))
            {
                state(session, SessionState.ACTIVE);
            }
            ship(session, nowMs, options);
        }
        final Session backup = sessions.get(node.partner());
        if (null == backup || backup.state != SessionState.ACTIVE)
        {
            gate.onNotActive(release, epoch);
        }
        if (isFenced())
        {
            return;
        }
        for (final Iterator<SimRecord> it = pending.iterator(); it.hasNext(); )
        {
            final SimRecord record = it.next();
            if (!isCommitted(record.lsn()))
            {
                break;
            }
            it.remove();
            acked.add(record);
        }
    }

    /**
     * The production rule ({@code CommitPosition.isCommittedNow}): durable here, and acked durable by the backup while
     * the gate holds commits for it.
     */
    private boolean isCommitted(final long lsn)
    {
        long position = Long.MAX_VALUE;
        if (gate.isGating())
        {
            position = gate.ackedDurableLsn();
        }
        position = Math.min(position, node.journal().durableLsn());
        return position > lsn;
    }

    private void ship(final Session session, final long nowMs, final SimOptions options)
    {
        final SimJournal journal = node.journal();
        if (session.ackedDurableLsn < session.sentLsn &&
            nowMs - session.lastAckAdvanceMs > options.heartbeatMs() * 2)
        {
            // A batch was lost (the model's link is not a stream): go back to what the member has.
            session.sentLsn = session.ackedDurableLsn;
            session.lastAckAdvanceMs = nowMs;
        }
        final List<SimRecord> batch = new ArrayList<>();
        int index = journal.indexAt(session.sentLsn);
        while (index >= 0 && index < journal.records().size() && batch.size() < MAX_BATCH_RECORDS)
        {
            batch.add(journal.records().get(index++));
        }
        if (batch.isEmpty() && nowMs - session.lastSentMs < options.heartbeatMs())
        {
            return;
        }
        node.send(session.member, new SimMessage.Batch(node.name(), epoch, session.sentLsn, List.copyOf(batch)));
        session.lastSentMs = nowMs;
        if (!batch.isEmpty())
        {
            session.sentLsn = batch.get(batch.size() - 1).endLsn();
        }
    }

    private void state(final Session session, final SessionState next)
    {
        if (session.state == next)
        {
            return;
        }
        node.trace("session " + session.member + " " + session.state + " -> " + next + " acked=" +
            session.ackedDurableLsn + " tail=" + node.journal().tailLsn());
        session.state = next;
        if (next == SessionState.ACTIVE && session.member.equals(node.partner()))
        {
            gate.onActive(session.member, session.ackedDurableLsn, node.journal()::durableLsn);
        }
    }
}
