package io.jmirror.dejournal;

/**
 * A member's dejournal state as published in its status file. Written as the ordinal, so the order of the constants
 * is part of the status file format.
 */
public enum DejournalState
{
    /** The member's journal does not exist yet (no WELCOME so far), so nothing is applied. */
    STARTING,
    /** Every complete record of the local journal is applied. */
    CAUGHT_UP,
    /** Records of the local journal wait to be applied. */
    BEHIND,
    /** At least one database is paused; its records wait. */
    PAUSED,
    /** A record could not be applied; dejournaling stopped. */
    FAILED,
    /** The dejournaler is closed. */
    CLOSED;

    private static final DejournalState[] VALUES = values();

    /**
     * @param ordinal a value read from a status file.
     * @return the state, or null for an ordinal this version does not know.
     */
    public static DejournalState fromOrdinal(final long ordinal)
    {
        return ordinal >= 0 && ordinal < VALUES.length ? VALUES[(int)ordinal] : null;
    }

    /**
     * @param status a dejournaler's status.
     * @return the state to publish for it.
     */
    public static DejournalState of(final DejournalStatus status)
    {
        if ("FAILED".equals(status.state()))
        {
            return FAILED;
        }
        if ("CLOSED".equals(status.state()))
        {
            return CLOSED;
        }
        if (status.databases().containsValue("PAUSED"))
        {
            return PAUSED;
        }
        return status.bytesBehind() > 0 ? BEHIND : CAUGHT_UP;
    }
}
