package io.jmirror.shipper;

/**
 * A member's receiving side at one moment.
 *
 * @param memberName     this member.
 * @param state          DISCONNECTED, CONNECTING, AWAIT_WELCOME, STREAMING or CLOSED.
 * @param receivedLsn    end of the journal received (the member's journal end).
 * @param durableLsn     end of what is durable in the member's journal.
 * @param primaryTailLsn the primary's journal end as last heard (WELCOME or heartbeat).
 * @param bytesReceived  journal bytes received.
 * @param batches        batches received.
 * @param badBatches     batches refused (bad CRC, wrong LSN, malformed), each followed by a reconnect.
 * @param connects       links established.
 * @param lastError      why the last link ended, or the primary's REJECT reason; null if none.
 */
public record ReceiverStatus(
    String memberName,
    String state,
    long receivedLsn,
    long durableLsn,
    long primaryTailLsn,
    long bytesReceived,
    long batches,
    long badBatches,
    long connects,
    String lastError)
{
}
