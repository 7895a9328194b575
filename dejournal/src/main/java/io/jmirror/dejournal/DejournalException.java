package io.jmirror.dejournal;

/**
 * The one exception type of the dejournal module; its message carries the facts as {@code name=value} pairs.
 */
public final class DejournalException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * What kind of failure this is.
     */
    public enum Code
    {
        /** A configuration value is missing or out of range. */
        INVALID_CONFIG,
        /** The target failed to apply a record; dejournaling stops at that record. */
        TARGET_FAILED,
        /** The dejournaler is closed. */
        CLOSED
    }

    private final Code code;

    public DejournalException(final Code code, final String message)
    {
        super(message);
        this.code = code;
    }

    public DejournalException(final Code code, final String message, final Throwable cause)
    {
        super(message, cause);
        this.code = code;
    }

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
