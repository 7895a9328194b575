package io.jmirror.shipper;

import java.nio.ByteBuffer;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Decompresses one batch payload into a reused direct buffer, for a receiver to append to its journal.
 * <p>
 * Why it looks like this: the payload comes off the network, so it is untrusted input handed to native code. Every
 * bound is checked in Java before the native call: the stated raw length must be in {@code [0, maxRawLength]}, and
 * the native decoder is given exactly {@code rawLength} bytes of output room, so no payload can make it write past
 * the buffer. Only decoders that are safe on malformed input are used: LZ4's "safe" decompressor, the JNI
 * {@code LZ4_decompress_safe}, which is bounded by its output room (lz4-java's "fast" decompressor is not used: it
 * reads until it has produced the length it is told, and in this fork is the slow pure-Java one), and Zstd, whose
 * errors come back as codes that zstd-jni turns into exceptions. The decoded length must equal the
 * stated one, so a batch either decodes whole or fails with {@link ShipperException.Code#CODEC}: a receiver never
 * sees partial or garbage bytes, which matters because it writes them into a journal that must stay byte-identical
 * to the primary's.
 * <p>
 * Not thread-safe: one per receiver.
 */
public final class BatchDecompressor implements AutoCloseable
{
    private final int maxRawLength;
    private final LZ4SafeDecompressor lz4;
    private final ZstdDecompressCtx zstd;
    private final ByteBuffer out;
    private boolean isClosed;

    /**
     * @param maxRawLength the largest raw batch a payload may decode to; larger claims are rejected before any
     *                     decoding.
     * @throws ShipperException INVALID_CONFIG when the length is negative.
     */
    public BatchDecompressor(final int maxRawLength)
    {
        if (maxRawLength < 0)
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG,
                "maxRawLength must not be negative: maxRawLength=" + maxRawLength);
        }
        this.maxRawLength = maxRawLength;
        this.lz4 = LZ4Factory.nativeInstance().safeDecompressor();
        this.out = ByteBuffer.allocateDirect(maxRawLength);
        this.zstd = new ZstdDecompressCtx();
    }

    /**
     * Decompress bytes {@code [position, limit)} of {@code payload}; its position and limit are left as they were.
     * <p>
     * For {@link Codec#NONE} the result is {@code payload} itself (zero copy), once its length is checked. For LZ4
     * and Zstd the result is this decompressor's buffer, positioned at 0 with its limit at {@code rawLength}, and
     * valid until the next call.
     *
     * @param codec     the codec named by the BATCH frame; null (an unknown code) is rejected as CODEC.
     * @param payload   the compressed bytes; a direct buffer unless {@code codec} is NONE.
     * @param rawLength the raw length the BATCH frame states.
     * @return a buffer whose {@code [position, limit)} holds exactly {@code rawLength} bytes.
     * @throws ShipperException CODEC when the codec is unknown, {@code rawLength} is negative or over
     *                          {@code maxRawLength}, or the payload is malformed or decodes to another length;
     *                          CLOSED after {@link #close()}.
     * @throws IllegalArgumentException when {@code payload} is not direct and {@code codec} is not NONE.
     */
    public ByteBuffer decompress(final Codec codec, final ByteBuffer payload, final int rawLength)
    {
        if (isClosed)
        {
            throw new ShipperException(ShipperException.Code.CLOSED, "batch decompressor is closed: codec=" + codec);
        }
        final int payloadOffset = payload.position();
        final int payloadLength = payload.limit() - payloadOffset;
        if (null == codec)
        {
            throw malformed("unknown codec", codec, rawLength, payloadLength, null);
        }
        if (rawLength < 0 || rawLength > maxRawLength)
        {
            throw malformed("raw length out of range", codec, rawLength, payloadLength, null);
        }

        switch (codec)
        {
            case NONE:
                if (payloadLength != rawLength)
                {
                    throw malformed("payload length differs from raw length", codec, rawLength, payloadLength, null);
                }
                return payload;
            case LZ4:
                requireDirect(codec, payload);
                out.clear();
                return decoded(codec, decompressLz4(payload, payloadOffset, payloadLength, rawLength), rawLength,
                    payloadLength);
            case ZSTD:
                requireDirect(codec, payload);
                out.clear();
                return decoded(codec, decompressZstd(payload, payloadOffset, payloadLength, rawLength), rawLength,
                    payloadLength);
            default:
                throw malformed("unknown codec", codec, rawLength, payloadLength, null);
        }
    }

    private int decompressLz4(final ByteBuffer payload, final int offset, final int length, final int rawLength)
    {
        try
        {
            return lz4.decompress(payload, offset, length, out, 0, rawLength);
        }
        catch (final LZ4Exception ex)
        {
            throw malformed("malformed payload", Codec.LZ4, rawLength, length, ex);
        }
    }

    private int decompressZstd(final ByteBuffer payload, final int offset, final int length, final int rawLength)
    {
        try
        {
            return zstd.decompressDirectByteBuffer(out, 0, rawLength, payload, offset, length);
        }
        catch (final ZstdException ex)
        {
            throw malformed("malformed payload", Codec.ZSTD, rawLength, length, ex);
        }
    }

    private ByteBuffer decoded(final Codec codec, final int decodedLength, final int rawLength, final int payloadLength)
    {
        if (decodedLength != rawLength)
        {
            throw new ShipperException(ShipperException.Code.CODEC,
                "payload decodes to another length: codec=" + codec + " rawLength=" + rawLength + " payloadLength=" +
                payloadLength + " decodedLength=" + decodedLength);
        }
        out.limit(rawLength).position(0);
        return out;
    }

    private ShipperException malformed(
        final String what,
        final Codec codec,
        final int rawLength,
        final int payloadLength,
        final RuntimeException cause)
    {
        final String message = what + ": codec=" + codec + " rawLength=" + rawLength + " payloadLength=" +
            payloadLength + " maxRawLength=" + maxRawLength + (null == cause ? "" : " cause=" + cause.getMessage());
        return new ShipperException(ShipperException.Code.CODEC, message, cause);
    }

    private static void requireDirect(final Codec codec, final ByteBuffer payload)
    {
        if (!payload.isDirect())
        {
            throw new IllegalArgumentException("payload to decompress must be a direct buffer: codec=" + codec);
        }
    }

    /**
     * @return the largest raw length a payload may decode to.
     */
    public int maxRawLength()
    {
        return maxRawLength;
    }

    /**
     * @return true once {@link #close()} has been called.
     */
    public boolean isClosed()
    {
        return isClosed;
    }

    /**
     * Frees the native Zstd context. The output buffer is left to the garbage collector rather than freed here,
     * so decoded bytes the caller still holds can never point at freed memory. Safe to call twice.
     */
    @Override
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            zstd.close();
        }
    }
}
