package io.jmirror.mirror;

import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import io.jmirror.journal.StatusText;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.AtomicCounter;

import java.nio.file.Path;

/**
 * A failover node's own status file, in its directory, so that {@code jmirror status DIR} shows from outside the
 * process what the operator needs first: the node's role and epoch, why it is in that role, its takeovers and
 * forces, failed duty cycles, and where the bytes cut off at a rejoin were kept. Written by the node's control thread
 * once per beat.
 */
final class NodeStatus implements AutoCloseable
{
    private static final int MAX_COUNTERS = 16;

    private final StatusFile statusFile;
    private final AtomicCounter role;
    private final AtomicCounter epoch;
    private final AtomicCounter takeovers;
    private final AtomicCounter lastTakeoverMs;
    private final AtomicCounter forces;
    private final AtomicCounter errors;
    private final StatusText reason;
    private final StatusText divergentBytes;
    private String shownReason;
    private Path shownDivergentBytes;

    /**
     * @param dir    the node's directory.
     * @param member the node's member name.
     */
    NodeStatus(final Path dir, final String member)
    {
        statusFile = StatusFile.create(dir, MAX_COUNTERS);
        role = statusFile.newCounter(StatusCounterType.NODE_ROLE, member);
        epoch = statusFile.newCounter(StatusCounterType.NODE_EPOCH, member);
        takeovers = statusFile.newCounter(StatusCounterType.NODE_TAKEOVERS, member);
        lastTakeoverMs = statusFile.newCounter(StatusCounterType.NODE_LAST_TAKEOVER_MS, member);
        forces = statusFile.newCounter(StatusCounterType.NODE_FORCES, member);
        errors = statusFile.newCounter(StatusCounterType.NODE_ERRORS, member);
        reason = new StatusText(statusFile, StatusCounterType.NODE_REASON, member);
        divergentBytes = new StatusText(statusFile, StatusCounterType.NODE_DIVERGENT_BYTES, member);
    }

    /**
     * Copy the control's state into the counters; texts are rewritten only when they change.
     */
    void publish(final FailoverControl control)
    {
        role.setRelease(control.role().ordinal());
        epoch.setRelease(control.epoch());
        takeovers.setRelease(control.takeovers());
        lastTakeoverMs.setRelease(control.lastTakeoverMs());
        forces.setRelease(control.forces());
        final String why = control.reason();
        if (null != why && !why.equals(shownReason))
        {
            shownReason = why;
            reason.set(why);
        }
        final Path kept = control.divergentBytes();
        if (null != kept && !kept.equals(shownDivergentBytes))
        {
            shownDivergentBytes = kept;
            divergentBytes.set(kept.toString());
        }
    }

    /**
     * A duty cycle failed.
     */
    void onError()
    {
        errors.incrementRelease();
    }

    /**
     * @return the status file (for tests and metrics).
     */
    StatusFile statusFile()
    {
        return statusFile;
    }

    @Override
    public void close()
    {
        CloseHelper.close(statusFile);
    }
}
