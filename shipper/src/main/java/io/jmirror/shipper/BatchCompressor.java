package io.jmirror.shipper;

import java.nio.ByteBuffer;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;

/**
 * Compresses one batch's raw journal bytes into a reused direct buffer, for a member session to put in a BATCH
 * frame.
 * <p>
 * Why it looks like this: a session compresses every batch it ships, so the path must not allocate. The output
 * buffer is sized once, in the constructor, for the worst case of both codecs ({@code LZ4_compressBound} and
 * {@code ZSTD_compressBound} of {@code maxRawLength}), so a native call can never run out of room and no batch
 * needs a second attempt. Only the JNI entry points that read and write direct buffers in place are used: the
 * source is normally a zero-copy slice of a mapped journal file ({@code JournalReader.pollBlock}), and copying it
 * to the heap first would cost as much as the compression. The Zstd context is kept so its native workspace is
 * allocated once, not per batch; its level is changed only when the caller asks for a different one.
 * <p>
 * Not thread-safe: one per member session.
 */
public final class BatchCompressor implements AutoCloseable
{
    private final int maxRawLength;
    private final LZ4Compressor lz4;
    private final ZstdCompressCtx zstd;
    private final ByteBuffer out;
    private int zstdLevel;
    private boolean isClosed;

    /**
     * @param maxRawLength the largest batch, in raw journal bytes, that {@link #compress} will be given.
     * @throws ShipperException INVALID_CONFIG when the length is negative or too large for LZ4's block format.
     */
    public BatchCompressor(final int maxRawLength)
    {
        this.maxRawLength = maxRawLength;
        this.lz4 = LZ4Factory.nativeInstance().fastCompressor();
        this.out = ByteBuffer.allocateDirect(maxPayloadLength(lz4, maxRawLength));
        this.zstd = new ZstdCompressCtx();
    }

    private static int maxPayloadLength(final LZ4Compressor lz4, final int maxRawLength)
    {
        if (maxRawLength < 0)
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG,
                "maxRawLength must not be negative: maxRawLength=" + maxRawLength);
        }
        final long lz4Bound;
        try
        {
            lz4Bound = lz4.maxCompressedLength(maxRawLength);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG,
                "maxRawLength too large for an LZ4 block: maxRawLength=" + maxRawLength, ex);
        }
        final long bound = Math.max(lz4Bound, Zstd.compressBound(maxRawLength));
        if (bound > Integer.MAX_VALUE - 8)
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG,
                "maxRawLength too large for one buffer: maxRawLength=" + maxRawLength + " bound=" + bound);
        }
        return (int)bound;
    }

    /**
     * Compress bytes {@code [position, limit)} of {@code src}; its position and limit are left as they were.
     * <p>
     * For {@link Codec#NONE} the result is {@code src} itself: zero copy and no allocation, so consuming the result
     * (writing it to a channel) moves {@code src}'s position. For LZ4 and Zstd the result is this compressor's
     * buffer, positioned at 0 with its limit at the payload's end, and valid until the next call.
     *
     * @param codec     how to compress.
     * @param zstdLevel Zstd level, {@value CompressionMode#ZSTD_MIN_LEVEL}..{@value CompressionMode#ZSTD_MAX_LEVEL};
     *                  ignored unless {@code codec} is ZSTD.
     * @param src       the batch's raw journal bytes; a direct buffer unless {@code codec} is NONE.
     * @return a buffer whose {@code [position, limit)} is the payload.
     * @throws ShipperException INVALID_CONFIG for a Zstd level out of range; CODEC when the batch exceeds
     *                          {@code maxRawLength} or the native compressor fails; CLOSED after {@link #close()}.
     * @throws IllegalArgumentException when {@code src} is not direct and {@code codec} is not NONE.
     */
    public ByteBuffer compress(final Codec codec, final int zstdLevel, final ByteBuffer src)
    {
        if (isClosed)
        {
            throw new ShipperException(ShipperException.Code.CLOSED, "batch compressor is closed: codec=" + codec);
        }
        final int srcOffset = src.position();
        final int rawLength = src.limit() - srcOffset;
        if (rawLength > maxRawLength)
        {
            throw new ShipperException(ShipperException.Code.CODEC,
                "batch larger than the compressor allows: codec=" + codec + " rawLength=" + rawLength +
                " maxRawLength=" + maxRawLength);
        }

        switch (codec)
        {
            case NONE:
                return src;
            case LZ4:
                requireDirect(codec, src);
                out.clear();
                return payload(compressLz4(src, srcOffset, rawLength));
            case ZSTD:
                requireDirect(codec, src);
                selectZstdLevel(zstdLevel);
                out.clear();
                return payload(compressZstd(src, srcOffset, rawLength));
            default:
                throw new IllegalArgumentException("unknown codec: codec=" + codec);
        }
    }

    private int compressLz4(final ByteBuffer src, final int srcOffset, final int rawLength)
    {
        try
        {
            return lz4.compress(src, srcOffset, rawLength, out, 0, out.capacity());
        }
        catch (final LZ4Exception ex)
        {
            throw failed(Codec.LZ4, rawLength, ex);
        }
    }

    private int compressZstd(final ByteBuffer src, final int srcOffset, final int rawLength)
    {
        try
        {
            return zstd.compressDirectByteBuffer(out, 0, out.capacity(), src, srcOffset, rawLength);
        }
        catch (final ZstdException ex)
        {
            throw failed(Codec.ZSTD, rawLength, ex);
        }
    }

    private void selectZstdLevel(final int level)
    {
        if (level < CompressionMode.ZSTD_MIN_LEVEL || level > CompressionMode.ZSTD_MAX_LEVEL)
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG,
                "zstd level must be " + CompressionMode.ZSTD_MIN_LEVEL + ".." + CompressionMode.ZSTD_MAX_LEVEL +
                ": zstdLevel=" + level);
        }
        if (level != zstdLevel)
        {
            zstd.setLevel(level);
            zstdLevel = level;
        }
    }

    private ByteBuffer payload(final int payloadLength)
    {
        out.limit(payloadLength).position(0);
        return out;
    }

    private ShipperException failed(final Codec codec, final int rawLength, final RuntimeException cause)
    {
        return new ShipperException(ShipperException.Code.CODEC,
            "batch does not compress: codec=" + codec + " rawLength=" + rawLength + " maxPayloadLength=" +
            out.capacity() + " cause=" + cause.getMessage(), cause);
    }

    private static void requireDirect(final Codec codec, final ByteBuffer src)
    {
        if (!src.isDirect())
        {
            throw new IllegalArgumentException("batch to compress must be a direct buffer: codec=" + codec);
        }
    }

    /**
     * @return the largest batch {@link #compress} accepts, in raw bytes.
     */
    public int maxRawLength()
    {
        return maxRawLength;
    }

    /**
     * @return the largest payload {@link #compress} can return: the worst case of both codecs for
     * {@link #maxRawLength()}. A frame sized for this never overflows.
     */
    public int maxPayloadLength()
    {
        return out.capacity();
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
     * so a payload the caller still holds can never point at freed memory. Safe to call twice.
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
