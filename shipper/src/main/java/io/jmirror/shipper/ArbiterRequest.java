package io.jmirror.shipper;

/**
 * A failover member's request to the arbiter (see {@link ArbiterProtocol}).
 *
 * @param kind       what it asks.
 * @param mirrorName the mirror it belongs to.
 * @param memberName who asks; with TLS it must match the certificate.
 * @param epoch      the highest epoch the member knows.
 * @param flags      {@link ArbiterProtocol#FLAG_BACKUP_ACTIVE} in a primary's POLL: its backup is ACTIVE;
 *                   {@link ArbiterProtocol#FLAG_VALUE} in SET_NO_FAILOVER: the flag's new value.
 */
public record ArbiterRequest(ArbiterProtocol.Kind kind, String mirrorName, String memberName, long epoch, int flags)
{
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
        return kind + " mirror=" + mirrorName + " member=" + memberName + " epoch=" + epoch + " flags=" + flags;
    }
}
