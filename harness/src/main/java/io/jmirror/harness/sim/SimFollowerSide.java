package io.jmirror.harness.sim;

/**
 * A member's receiving side, modelled on the shipper's {@code Receiver} and the dejournaler: it asks the followed
 * primary to send from its journal's end (HELLO, again every heartbeat while nothing arrives), appends batches that
 * continue its journal, makes them durable and acks, answers a primary of an older epoch STALE_EPOCH, and applies
 * its journal to the store in order, checking every record's checksum first: a damaged record is never applied, the
 * apply stops FAILED naming it.
 */
final class SimFollowerSide
{
    private static final int MAX_APPLY_PER_STEP = 16;

    private final SimNode node;
    private final String primary;
    private final long epoch;
    private long lastBatchMs = Long.MIN_VALUE / 2;
    private long lastHelloMs = Long.MIN_VALUE / 2;
    private String failure;
    private String refusal;
    private long divergenceLsn = -1;

    SimFollowerSide(final SimNode node, final String primary, final long epoch)
    {
        this.node = node;
        this.primary = primary;
        this.epoch = epoch;
    }

    String primary()
    {
        return primary;
    }

    String failure()
    {
        return failure;
    }

    String refusal()
    {
        return refusal;
    }

    long divergenceLsn()
    {
        return divergenceLsn;
    }

    void onReject(final SimMessage.Reject reject)
    {
        if (!reject.primary().equals(primary))
        {
            return;
        }
        refusal = "reason=" + reject.reason() + " lsn=" + reject.lsn();
        divergenceLsn = "DIVERGED".equals(reject.reason()) ? reject.lsn() : -1;
    }

    boolean isStreaming(final long nowMs, final SimOptions options)
    {
        return nowMs - lastBatchMs <= options.qosTimeoutMs();
    }

    void onBatch(final SimMessage.Batch batch, final long nowMs)
    {
        if (!batch.primary().equals(primary))
        {
            return;
        }
        if (batch.epoch() < epoch)
        {
            node.send(primary, new SimMessage.StaleEpoch(epoch));
            return;
        }
        lastBatchMs = nowMs;
        refusal = null;
        divergenceLsn = -1;
        final SimJournal journal = node.journal();
        for (final SimRecord record : batch.records())
        {
            if (record.lsn() == journal.tailLsn())
            {
                journal.append(record);
            }
        }
        journal.sync();
        node.send(primary, new SimMessage.Ack(node.name(), epoch, journal.durableLsn()));
    }

    void step(final long nowMs, final SimOptions options)
    {
        if (nowMs - lastBatchMs > options.heartbeatMs() * 2 && nowMs - lastHelloMs >= options.heartbeatMs())
        {
            lastHelloMs = nowMs;
            // As the shipper's receiver: the HELLO names the journal's epoch (where its bytes came from), not the
            // epoch followed, so the primary can tell where they part.
            node.send(primary, new SimMessage.Hello(node.name(), node.journal().epoch(), node.journal().tailLsn()));
        }
        apply(MAX_APPLY_PER_STEP);
    }

    /**
     * Apply up to {@code max} records of the journal beyond the store's applied LSN.
     *
     * @return true when the store has reached the journal's end.
     */
    boolean apply(final int max)
    {
        if (null != failure)
        {
            return false;
        }
        final SimJournal journal = node.journal();
        final SimStore store = node.store();
        int index = store.appliedLsn() == journal.tailLsn() ? journal.records().size() :
            journal.indexAt(store.appliedLsn());
        if (index < 0)
        {
            failure = "store's applied LSN is not a record start in the journal: appliedLsn=" + store.appliedLsn();
            return false;
        }
        for (int applied = 0; index < journal.records().size() && applied < max; applied++)
        {
            final SimRecord record = journal.records().get(index++);
            if (!record.isIntact())
            {
                failure = "bad checksum in the member's journal: member=" + node.name() + " lsn=" + record.lsn();
                node.detectedCorruption();
                node.trace("apply FAILED: " + failure);
                return false;
            }
            store.apply(record);
        }
        return store.appliedLsn() == journal.tailLsn();
    }
}
