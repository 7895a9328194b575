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
 * @param knownEpoch     the highest epoch this member knows (its journal's, or a higher one learned); it sends it.
 * @param knownPrimary   the member that is primary in {@code knownEpoch}, or null when not known.
 * @param staleLinks     links that ended over epochs: a STALE_EPOCH received from the primary, or sent to it.
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
    long knownEpoch,
    String knownPrimary,
    long staleLinks,
    String lastError)
{
}
