package io.jmirror.shipper;

/**
 * How a batch's payload is compressed. The code travels in every BATCH frame, so a receiver decodes whatever each
 * batch says and the primary may change codec between batches.
 */
public enum Codec
{
    /** Raw journal bytes. */
    NONE(0),
    /** LZ4 block format (lz4-java JNI fast compressor). */
    LZ4(1),
    /** Zstandard frame format (zstd-jni). */
    ZSTD(2);

    private static final Codec[] BY_CODE = {NONE, LZ4, ZSTD};

    private final byte code;

    Codec(final int code)
    {
        this.code = (byte)code;
    }

    /**
     * @return the byte carried in BATCH frames.
     */
    public byte code()
    {
        return code;
    }

    /**
     * @return this codec's bit in a HELLO's accepted-codecs mask.
     */
    public int bit()
    {
        return 1 << code;
    }

    /**
     * @param code byte from a BATCH frame.
     * @return the codec, or null when the byte names none.
     */
    public static Codec fromCode(final int code)
    {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
