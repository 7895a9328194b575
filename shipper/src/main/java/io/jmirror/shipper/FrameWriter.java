package io.jmirror.shipper;

import java.nio.ByteBuffer;

/**
 * Sends one frame at a time over a non-blocking {@link Transport}, as a gathering write of a header and an
 * optional payload, keeping its place across partial writes. A session offers its next frame only when
 * {@link #isIdle()}, so a slow link holds back its own member and nobody else.
 */
final class FrameWriter
{
    private final ByteBuffer[] srcs = new ByteBuffer[2];
    private int count;

    /**
     * @return true when nothing is waiting to be sent.
     */
    boolean isIdle(final Transport transport)
    {
        return count == 0 && !transport.hasPendingWrites();
    }

    /**
     * Queue a frame; call only when idle. The buffers must stay untouched until the writer is idle again.
     */
    void offer(final ByteBuffer header, final ByteBuffer payload)
    {
        srcs[0] = header;
        srcs[1] = payload;
        count = null == payload ? 1 : 2;
    }

    /**
     * Write as much as the socket takes now.
     *
     * @return bytes written.
     */
    long flush(final Transport transport)
    {
        long written = 0;
        if (count > 0)
        {
            written = transport.write(srcs, 0, count);
            if (!srcs[count - 1].hasRemaining())
            {
                srcs[0] = null;
                srcs[1] = null;
                count = 0;
            }
        }
        transport.flush();
        return written;
    }

    void reset()
    {
        srcs[0] = null;
        srcs[1] = null;
        count = 0;
    }
}
