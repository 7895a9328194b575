package io.jmirror.journal;

import java.nio.ByteBuffer;

/**
 * Receives contiguous ranges of complete frames as zero-copy slices of a mapped journal file, for shipping.
 */
@FunctionalInterface
public interface BlockHandler
{
    /**
     * @param block    bytes {@code [position, limit)} are the frames; the buffer is reused, so consume or copy
     *                 during the call. The handler may move its position and limit.
     * @param startLsn LSN of the first byte.
     * @param length   number of bytes, a whole number of frames (padding included).
     */
    void onBlock(ByteBuffer block, long startLsn, int length);
}
