package io.jmirror.shipper;

/**
 * The role a member plays in a mirror.
 */
public enum MemberRole
{
    /** The member whose journal is shipped. */
    PRIMARY(0),
    /** The failover partner: synchronous; while ACTIVE its acks gate the primary's commits. */
    BACKUP(1),
    /** Disaster-recovery async: never gates commits. */
    DR_ASYNC(2),
    /** Reporting async: never gates commits. */
    REPORTING_ASYNC(3);

    private static final MemberRole[] BY_CODE = {PRIMARY, BACKUP, DR_ASYNC, REPORTING_ASYNC};

    private final byte code;

    MemberRole(final int code)
    {
        this.code = (byte)code;
    }

    /**
     * @return the byte carried in HELLO frames.
     */
    public byte code()
    {
        return code;
    }

    /**
     * @return true for the asynchronous roles.
     */
    public boolean isAsync()
    {
        return this == DR_ASYNC || this == REPORTING_ASYNC;
    }

    /**
     * @param code byte from a HELLO frame.
     * @return the role, or null when the byte names none.
     */
    public static MemberRole fromCode(final int code)
    {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
