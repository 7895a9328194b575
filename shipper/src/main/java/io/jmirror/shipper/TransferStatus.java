package io.jmirror.shipper;

/**
 * Journal transfer status of a member, seen from the primary: a session's state, or DOWN without one. Written to
 * the status file as the ordinal, so the order of the constants is part of the status file format.
 */
public enum TransferStatus
{
    /** Connected, HELLO not yet checked. */
    CONNECTING,
    /** Admitted and sending journal the member does not have yet; a backup does not gate commits. */
    CATCHUP,
    /** Caught up with the live tail; a backup in this state gates {@code awaitCommitted}. */
    ACTIVE,
    /** Acks stopped arriving within the QoS timeout; the backup no longer gates commits. */
    TROUBLE,
    /** The link is closed; the member will reconnect. */
    CLOSED,
    /** A configured member with no session: never connected since the primary started, or gone. */
    DOWN;

    private static final TransferStatus[] VALUES = values();

    /**
     * @param ordinal a value read from a status file.
     * @return the status, or null for an ordinal this version does not know.
     */
    public static TransferStatus fromOrdinal(final long ordinal)
    {
        return ordinal >= 0 && ordinal < VALUES.length ? VALUES[(int)ordinal] : null;
    }
}
