package io.jmirror.journal;

/**
 * The kinds of journal record. The code is the byte stored in a frame; it is part of the on-disk format and never
 * changes for an existing type.
 */
public enum RecordType
{
    /** Set a node to an absolute value (increments are journaled as the SET of their result). */
    SET(1),
    /** Remove a node and all its descendants. */
    KILL(2),
    /** Remove a node only, keeping its descendants. */
    ZKILL(3),
    /** Start of a transaction. */
    TSTART(4),
    /** Commit of a transaction. */
    TCOMMIT(5),
    /** Rollback of a transaction. */
    TROLLBACK(6),
    /**
     * Opens an epoch (a primary's reign) at this LSN; its value holds the epoch and the member that opened it (see
     * {@link RecordDescriptor#EPOCH_VALUE_EPOCH_OFFSET}). Records from here on belong to that epoch.
     */
    EPOCH_START(7),
    /** Filler from the last record of a file to the file's end, so that no record spans two files. */
    PADDING(0x7F);

    private static final RecordType[] BY_CODE = new RecordType[128];

    /** Bit {@code c} set when code {@code c} is a record's type, padding excluded: a frame check tests one bit. */
    private static final long RECORD_CODES;

    static
    {
        long recordCodes = 0;
        for (final RecordType type : values())
        {
            BY_CODE[type.code] = type;
            if (type != PADDING)
            {
                if (type.code >= Long.SIZE)
                {
                    throw new IllegalStateException("record type codes must be below 64: type=" + type);
                }
                recordCodes |= 1L << type.code;
            }
        }
        RECORD_CODES = recordCodes;
    }

    private final byte code;

    RecordType(final int code)
    {
        this.code = (byte)code;
    }

    /**
     * @return the byte stored in a frame for this type.
     */
    public byte code()
    {
        return code;
    }

    /**
     * @return true for SET, KILL and ZKILL: records that name a node.
     */
    public boolean isNodeRecord()
    {
        return this == SET || this == KILL || this == ZKILL;
    }

    /**
     * @return true for TSTART, TCOMMIT and TROLLBACK.
     */
    public boolean isTransactionMarker()
    {
        return this == TSTART || this == TCOMMIT || this == TROLLBACK;
    }

    /**
     * The check a reader makes on every frame, without an enum lookup.
     *
     * @param code the byte stored in a frame, sign-extended or not.
     * @return true when the byte is the code of a record type other than {@link #PADDING}.
     */
    public static boolean isRecordCode(final int code)
    {
        return (code >>> 6) == 0 && ((RECORD_CODES >>> code) & 1) != 0;
    }

    /**
     * @param code the byte stored in a frame.
     * @return the type, or null when the byte names no type.
     */
    public static RecordType fromCode(final int code)
    {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
