package io.jmirror.dejournal;

import io.jmirror.journal.JournalConsumer;

/**
 * The applied LSN (every record below it applied) and its checkpoint: it only moves forward; a checkpoint hands it to
 * the target, which persists it as the point a restart resumes from, and moves the dejournal's journal consumer to
 * it, so the journal may purge the files below and keeps the rest mapped. Advanced and checkpointed on the dispatcher
 * thread; read from any thread.
 */
final class AppliedLsn
{
    private final Target target;
    private final JournalConsumer consumer;
    private final long checkpointIntervalMs;
    private volatile long appliedLsn;
    private long lastCheckpointLsn = -1;
    private long nextCheckpointMs;

    /**
     * @param target               that persists the checkpoints.
     * @param consumer             the dejournal's position in the journal, which holds the files it still reads.
     * @param startLsn             where dejournaling starts.
     * @param checkpointIntervalMs at most one checkpoint per interval from {@link #checkpointIfDue}.
     */
    AppliedLsn(final Target target, final JournalConsumer consumer, final long startLsn,
        final long checkpointIntervalMs)
    {
        this.target = target;
        this.consumer = consumer;
        this.appliedLsn = startLsn;
        this.checkpointIntervalMs = checkpointIntervalMs;
    }

    /**
     * @param candidate every record below it is applied; a smaller value than the current one is ignored.
     */
    void advance(final long candidate)
    {
        if (candidate > appliedLsn)
        {
            appliedLsn = candidate;
        }
    }

    /**
     * @return every record below it has been applied.
     */
    long get()
    {
        return appliedLsn;
    }

    /**
     * Checkpoint if the interval since the last one has passed.
     *
     * @param markersDeliveredBelow every transaction marker below it has been handed to the target.
     * @return 1 if the target was checkpointed, else 0.
     */
    int checkpointIfDue(final long nowMs, final long markersDeliveredBelow)
    {
        if (nowMs < nextCheckpointMs)
        {
            return 0;
        }
        nextCheckpointMs = nowMs + checkpointIntervalMs;
        return checkpoint(markersDeliveredBelow) ? 1 : 0;
    }

    /**
     * Hand the applied LSN to the target and the consumer if it moved since the last checkpoint; but no further
     * than the markers handed to the target, so that a restart hands over those it had not.
     *
     * @param markersDeliveredBelow every transaction marker below it has been handed to the target.
     * @return whether it had moved.
     */
    boolean checkpoint(final long markersDeliveredBelow)
    {
        final long applied = Math.min(appliedLsn, markersDeliveredBelow);
        if (applied > lastCheckpointLsn)
        {
            target.checkpoint(applied);
            consumer.position(applied);
            lastCheckpointLsn = applied;
            return true;
        }
        return false;
    }

    /**
     * Let go of the journal: the consumer no longer holds its files.
     */
    void close()
    {
        consumer.close();
    }
}
