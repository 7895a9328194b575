package io.jmirror.shipper;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static io.jmirror.shipper.ProtocolDescriptor.FRAME_LENGTH_OFFSET;
import static io.jmirror.shipper.ProtocolDescriptor.HEADER_LENGTH;

/**
 * Cuts the byte stream of a {@link Transport} into whole frames, in a reused direct buffer. A frame whose length
 * is shorter than a header or longer than the configured maximum ends the link with MALFORMED_FRAME: a length
 * read from the network is never trusted to size anything.
 */
final class FrameReader
{
    /**
     * Receives one whole frame; it is valid only during the call.
     */
    @FunctionalInterface
    interface FrameHandler
    {
        void onFrame(UnsafeBuffer buffer, int offset, int length);
    }

    private final ByteBuffer byteBuffer;
    private final UnsafeBuffer buffer;
    private final int maxFrameLength;
    private int readOffset;

    FrameReader(final int maxFrameLength)
    {
        this.maxFrameLength = maxFrameLength;
        this.byteBuffer = ByteBuffer.allocateDirect(maxFrameLength + 64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        this.buffer = new UnsafeBuffer(byteBuffer);
    }

    /**
     * Read what the transport has and deliver up to {@code frameLimit} whole frames.
     *
     * @return the number of frames delivered, or -1 when the peer closed the stream.
     */
    int poll(final Transport transport, final FrameHandler handler, final int frameLimit)
    {
        final int read = transport.read(byteBuffer);
        int frames = 0;
        while (frames < frameLimit)
        {
            final int available = byteBuffer.position() - readOffset;
            if (available < HEADER_LENGTH)
            {
                break;
            }
            final int frameLength = buffer.getInt(readOffset + FRAME_LENGTH_OFFSET);
            if (frameLength < HEADER_LENGTH || frameLength > maxFrameLength)
            {
                throw new ShipperException(ShipperException.Code.MALFORMED_FRAME, "bad frame length: frameLength=" +
                    frameLength + " maxFrameLength=" + maxFrameLength + " peer=" + transport.peerAddress());
            }
            if (available < frameLength)
            {
                break;
            }
            final int frameOffset = readOffset;
            readOffset += frameLength;
            handler.onFrame(buffer, frameOffset, frameLength);
            frames++;
        }
        compact();
        return read < 0 && frames == 0 ? -1 : frames;
    }

    /**
     * @return a new view of the receive buffer, for reading a frame's payload as a {@link ByteBuffer} without
     * touching the reader's own position and limit. Make it once and reuse it.
     */
    ByteBuffer newView()
    {
        return byteBuffer.duplicate();
    }

    /**
     * @return true when the buffer holds the start of a frame whose rest has not arrived yet.
     */
    boolean hasPartialFrame()
    {
        return byteBuffer.position() > readOffset;
    }

    /**
     * Forget any partial frame: a new link starts a new stream.
     */
    void reset()
    {
        byteBuffer.clear();
        readOffset = 0;
    }

    private void compact()
    {
        final int position = byteBuffer.position();
        if (readOffset == position)
        {
            byteBuffer.clear();
            readOffset = 0;
        }
        else if (byteBuffer.remaining() < HEADER_LENGTH || byteBuffer.capacity() - readOffset < maxFrameLength)
        {
            byteBuffer.limit(position).position(readOffset);
            byteBuffer.compact();
            readOffset = 0;
        }
    }
}
