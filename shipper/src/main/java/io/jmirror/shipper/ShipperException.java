package io.jmirror.shipper;

/**
 * The one exception type of the shipper. Its {@link Code} says what went wrong; its message carries the facts as
 * {@code name=value} pairs (member, LSN, frame type, lengths).
 */
public final class ShipperException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * What kind of failure this is.
     */
    public enum Code
    {
        /** A frame that is not well formed: bad length, unknown type, fields that do not fit. */
        MALFORMED_FRAME,
        /** A batch whose bytes do not match its CRC32C, or whose frames fail their checks. */
        BAD_CHECKSUM,
        /** A batch that does not start where the member's journal ends. */
        BAD_LSN,
        /** A message that is well formed but not allowed now (e.g. a BATCH before WELCOME). */
        PROTOCOL,
        /** A compressed payload that does not decompress to its stated length. */
        CODEC,
        /** The primary refused the member; the message carries the REJECT reason. */
        REJECTED,
        /** TLS handshake or peer authentication failed. */
        TLS,
        /** The other side was silent for longer than the QoS timeout. */
        TIMEOUT,
        /** A configuration value is missing or out of range. */
        INVALID_CONFIG,
        /** A socket or file operation failed. */
        IO_ERROR,
        /** The component is closed. */
        CLOSED,
        /**
         * A link ended over epochs: the peer answered STALE_EPOCH (it knows a higher epoch), or the peer's frames
         * carry a lower epoch than this side knows.
         */
        STALE_EPOCH,
        /**
         * This primary learned of a higher epoch, so another member is (or is becoming) primary: it acknowledges no
         * further commit. The message names the higher epoch and, when known, its primary.
         */
        NOT_PRIMARY
    }

    private final Code code;

    /**
     * @param code    what kind of failure.
     * @param message facts as {@code name=value} pairs.
     */
    public ShipperException(final Code code, final String message)
    {
        super(message);
        this.code = code;
    }

    /**
     * @param code    what kind of failure.
     * @param message facts as {@code name=value} pairs.
     * @param cause   the underlying failure.
     */
    public ShipperException(final Code code, final String message, final Throwable cause)
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
