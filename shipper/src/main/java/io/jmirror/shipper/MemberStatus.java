package io.jmirror.shipper;

/**
 * A member as the primary sees it, at one moment.
 *
 * @param name             member name.
 * @param role             its role, null before its HELLO was accepted.
 * @param transferStatus   CONNECTING, CATCHUP, ACTIVE, TROUBLE, CLOSED, or DOWN when it has no session.
 * @param peer             address of its connection.
 * @param codec            how batches to it are compressed.
 * @param sentLsn          end of what was sent.
 * @param receivedLsn      end of what it acked as received.
 * @param durableLsn       end of what it acked as durable.
 * @param appliedLsn       end of what it acked as applied, -1 when it does not dejournal.
 * @param lagBytes         primary's journal end minus the member's durable LSN.
 * @param lagMs            how long since the member was last in step, -1 when it never was.
 * @param bytesRaw         journal bytes shipped.
 * @param bytesSent        bytes on the wire (compressed payloads and batch headers).
 * @param batches          batches shipped.
 * @param epoch            the epoch the member last sent (HELLO, ACK, HEARTBEAT), -1 before its HELLO.
 * @param reason           why it is in its status (the last state change, the REJECT reason or the error).
 * @param lastSeenMs       wall-clock time the member was last heard from, 0 when never.
 * @param rawBytesPerSecond  journal bytes shipped per second, over the last second.
 * @param sentBytesPerSecond bytes on the wire per second (compressed), over the last second.
 */
public record MemberStatus(
    String name,
    MemberRole role,
    String transferStatus,
    String peer,
    Codec codec,
    long sentLsn,
    long receivedLsn,
    long durableLsn,
    long appliedLsn,
    long lagBytes,
    long lagMs,
    long bytesRaw,
    long bytesSent,
    long batches,
    long epoch,
    String reason,
    long lastSeenMs,
    long rawBytesPerSecond,
    long sentBytesPerSecond)
{
    /**
     * @return raw bytes per wire byte: 1 without compression, higher with.
     */
    public double compressionRatio()
    {
        return bytesSent == 0 ? 1.0 : (double)bytesRaw / bytesSent;
    }
}
