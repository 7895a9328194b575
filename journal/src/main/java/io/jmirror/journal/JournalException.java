package io.jmirror.journal;

/**
 * The one exception type of the journal. Its {@link Code} says what went wrong; its message carries the facts as
 * {@code name=value} pairs (file, LSN, lengths) so an operator can find the place without a debugger.
 */
public final class JournalException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * What kind of failure this is.
     */
    public enum Code
    {
        /** A frame failed its checksum or structure checks: the bytes on disk are not what was written. */
        CORRUPT_FRAME,
        /** A journal file header is not a jmirror header, or disagrees with the journal it is found in. */
        CORRUPT_HEADER,
        /** A journal file of another format version: it is refused, never read as this one. */
        UNSUPPORTED_VERSION,
        /** The requested LSN lies below the oldest LSN still held: its file was purged. */
        LSN_PURGED,
        /** The requested LSN lies beyond the end of the journal. */
        LSN_OUT_OF_RANGE,
        /** An append larger than the configured maximum record length; nothing was written. */
        RECORD_TOO_LARGE,
        /** A configuration value is out of range. */
        INVALID_CONFIG,
        /** The journal directory is missing files or holds files that do not belong together. */
        INVALID_LAYOUT,
        /** The journal has been closed. */
        CLOSED,
        /** An operating-system I/O call failed. */
        IO_ERROR
    }

    private final Code code;

    /**
     * @param code    what kind of failure.
     * @param message facts as {@code name=value} pairs.
     */
    public JournalException(final Code code, final String message)
    {
        super(message);
        this.code = code;
    }

    /**
     * @param code    what kind of failure.
     * @param message facts as {@code name=value} pairs.
     * @param cause   the underlying failure.
     */
    public JournalException(final Code code, final String message, final Throwable cause)
    {
        super(message, cause);
        this.code = code;
    }

    /**
     * @return what kind of failure this is.
     */
    public Code code()
    {
        return code;
    }

    @Override
    public String getMessage()
    {
        return code + ": " + super.getMessage();
    }
}
