package io.jmirror.harness.sim;

import io.jmirror.shipper.ArbiterRequest;

import java.util.List;

/**
 * What travels on the simulated network: the member link's frames (modelled) and arbiter requests (the production
 * {@link ArbiterRequest}).
 */
sealed interface SimMessage
{
    /**
     * A member asks the primary to send from {@code fromLsn}.
     */
    record Hello(String member, long epoch, long fromLsn) implements SimMessage
    {
    }

    /**
     * The primary's records from {@code fromLsn} (none: a heartbeat), in its epoch.
     */
    record Batch(String primary, long epoch, long fromLsn, List<SimRecord> records) implements SimMessage
    {
    }

    /**
     * A member's acknowledgement: its journal is durable up to {@code durableLsn}.
     */
    record Ack(String member, long epoch, long durableLsn) implements SimMessage
    {
    }

    /**
     * The primary refuses a member's HELLO; for DIVERGED, {@code lsn} is the divergence LSN.
     */
    record Reject(String primary, String reason, long lsn) implements SimMessage
    {
    }

    /**
     * The answer to a message from an older epoch: the sender learns the current one.
     */
    record StaleEpoch(long epoch) implements SimMessage
    {
    }

    /**
     * An arbiter request that the network delivers late (after its sender gave up waiting) or twice.
     */
    record LateArbiterRequest(ArbiterRequest request) implements SimMessage
    {
    }
}
