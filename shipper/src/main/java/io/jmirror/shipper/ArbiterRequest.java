package io.jmirror.shipper;

/**
 * A failover member's request to the arbiter (see {@link ArbiterProtocol}).
 *
 * @param kind       what it asks.
 * @param mirrorName the mirror it belongs to.
 * @param memberName who asks; with TLS it must match the certificate.
 * @param epoch      the highest epoch the member knows.
 * @param flags      {@link ArbiterProtocol#FLAG_BACKUP_ACTIVE} in a primary's POLL: its backup is ACTIVE;
 *                   {@link ArbiterProtocol#FLAG_VALUE} in SET_NO_FAILOVER: the flag's new value;
 *                   {@link ArbiterProtocol#FLAG_PRIMARY_TAIL} in a primary's POLL: the LSN is its journal tail, sent
 *                   once it ships to a backup that joined by promotion.
 * @param lsn        in CLAIM_PRIMARY and TAKEOVER: the end of the member's journal, where its {@code EPOCH_START}
 *                   will go (a restarted primary's claim: its journal end); in REVOKE_BACKUP: the primary's journal
 *                   tail; in a primary's POLL with {@link ArbiterProtocol#FLAG_BACKUP_ACTIVE}: the backup's durable
 *                   LSN as acknowledged to the primary; in a primary's POLL with
 *                   {@link ArbiterProtocol#FLAG_PRIMARY_TAIL}: its journal tail; in JOIN_FAILOVER: the async
 *                   member's journal end (for the log); -1 otherwise.
 */
public record ArbiterRequest(
    ArbiterProtocol.Kind kind, String mirrorName, String memberName, long epoch, int flags, long lsn)
{
    /**
     * A request that carries no LSN.
     */
    public ArbiterRequest(
        final ArbiterProtocol.Kind kind, final String mirrorName, final String memberName, final long epoch,
        final int flags)
    {
        this(kind, mirrorName, memberName, epoch, flags, -1);
    }

    /**
     * @return true when the flag bit is set.
     */
    public boolean has(final int flag)
    {
        return (flags & flag) != 0;
    }

    @Override
    public String toString()
    {
        return kind + " mirror=" + mirrorName + " member=" + memberName + " epoch=" + epoch + " flags=" + flags +
            " lsn=" + lsn;
    }
}
