package io.jmirror.shipper;

/**
 * Why the primary refused a member. Carried in REJECT frames; the member logs it and shows it in its status.
 */
public enum RejectReason
{
    /** The member's name is not on the primary's allow-list. */
    UNKNOWN_MEMBER(1),
    /** The member belongs to another mirror. */
    WRONG_MIRROR(2),
    /** The member speaks another protocol version. */
    INCOMPATIBLE_VERSION(3),
    /** The member's resume LSN is below the oldest LSN the primary still holds. */
    LSN_PURGED(4),
    /** Another member is already connected as the BACKUP. */
    SECOND_BACKUP(5),
    /** The member's certificate does not match its name on the allow-list. */
    UNAUTHORIZED(6),
    /** The member's journal is a copy of another journal. */
    WRONG_JOURNAL(7),
    /** The member's journal runs past the primary's: it holds records the primary never wrote. */
    LSN_AHEAD(8),
    /** The member asked for a role the allow-list does not give it. */
    ROLE_MISMATCH(9),
    /** The member accepts none of the codecs the primary would use for it. */
    NO_COMMON_CODEC(10),
    /** The resume LSN is not 8-byte aligned, so it cannot be a frame position. */
    LSN_UNALIGNED(11),
    /** The resume LSN is aligned but lies inside a record of the primary's journal, not at a frame's start. */
    LSN_NOT_A_RECORD(12),
    /**
     * The member's journal runs beyond where the next epoch after the member's started in the primary's journal: the
     * bytes beyond that LSN (the REJECT's LSN, the divergence LSN) are not the primary's. The member undoes them on
     * its store, keeps them in a file, cuts its journal there and asks again.
     */
    DIVERGED(13);

    private final int code;

    RejectReason(final int code)
    {
        this.code = code;
    }

    /**
     * @return the code carried in REJECT frames.
     */
    public int code()
    {
        return code;
    }

    /**
     * @param code from a REJECT frame.
     * @return the reason, or null when the code names none.
     */
    public static RejectReason fromCode(final int code)
    {
        for (final RejectReason reason : values())
        {
            if (reason.code == code)
            {
                return reason;
            }
        }
        return null;
    }
}
