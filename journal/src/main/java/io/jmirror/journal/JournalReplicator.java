package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import static io.jmirror.journal.RecordDescriptor.*;

/**
 * Writes frames received from the primary into a member's journal at the same LSNs, so the member's files are a
 * byte-identical copy. The only writer of a replica journal; not thread-safe.
 * <p>
 * A block is checked whole before a byte of it is written: every frame's length, checksum and structure, padding
 * only at a file's end, and a start LSN equal to this journal's end (no gap, no overlap). Then each file's part is
 * copied with one memory copy except the length of its first frame, which is stored last with release semantics:
 * a reader waits at that zero length until the whole part is in place, so it never sees a partial frame.
 */
public final class JournalReplicator
{
    private final Journal journal;
    private final JournalWriter writer;
    private final JournalFileSet files;
    private final long capacity;
    private final CRC32C crc = new CRC32C();
    private final UnsafeBuffer blockView = new UnsafeBuffer(new byte[0]);
    /** Per part of the block being appended (a part per file it touches): the epoch in force at the part's start. */
    private long[] partEpochs = new long[4];
    private int partCount;
    private java.util.ArrayList<EpochStart> blockEpochStarts;

    JournalReplicator(final Journal journal, final JournalWriter writer, final JournalFileSet files)
    {
        this.journal = journal;
        this.writer = writer;
        this.files = files;
        this.capacity = files.capacity();
    }

    /**
     * @return the LSN the next block must start at: the end of this journal.
     */
    public long endLsn()
    {
        return writer.tailLsn();
    }

    /**
     * Check and append a block of whole frames.
     *
     * @param block    bytes {@code [position, limit)} are frames as the primary's journal holds them; the buffer's
     *                 position and limit are left unchanged.
     * @param startLsn LSN of the block's first byte; must equal {@link #endLsn()}.
     * @return the new end LSN.
     * @throws JournalException LSN_OUT_OF_RANGE on a gap or overlap, CORRUPT_FRAME on a bad frame; in both cases
     *                          nothing is written.
     */
    public long append(final ByteBuffer block, final long startLsn)
    {
        journal.checkOpen();
        final long expected = writer.tailLsn();
        if (startLsn != expected)
        {
            throw new JournalException(JournalException.Code.LSN_OUT_OF_RANGE, "block does not start at the journal " +
                "end: startLsn=" + startLsn + " endLsn=" + expected + " dir=" + files.dir());
        }
        final ByteBuffer frames = block.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (null != blockEpochStarts)
        {
            blockEpochStarts.clear();
        }
        final long endLsn = check(frames, startLsn);

        long lsn = startLsn;
        int offset = frames.position();
        int part = 0;
        while (lsn < endLsn)
        {
            final long fileEnd = (lsn / capacity + 1) * capacity;
            final int partLength = (int)(Math.min(endLsn, fileEnd) - lsn);
            // A file that becomes the tail here gets the epoch in force at its base in its header, as the primary's.
            final long partEpoch = partEpochs[part++];
            files.tailEpoch(partEpoch);
            final JournalFile file = files.fileForWrite(lsn / capacity);
            if (lsn == file.baseLsn())
            {
                file.epoch(partEpoch);
            }
            final UnsafeBuffer buffer = file.buffer();
            final int fileOffset = file.offsetOf(lsn);
            final int firstLength = frames.getInt(offset);
            buffer.putBytes(fileOffset + CHECKSUM_OFFSET, frames, offset + CHECKSUM_OFFSET,
                partLength - CHECKSUM_OFFSET);
            buffer.putIntRelease(fileOffset + FRAME_LENGTH_OFFSET, firstLength);
            lsn += partLength;
            offset += partLength;
        }
        writer.advanceTail(startLsn, endLsn);
        if (null != blockEpochStarts)
        {
            for (final EpochStart epochStart : blockEpochStarts)
            {
                journal.epochs().add(epochStart);
            }
        }
        journal.onComplete(endLsn);
        journal.onAdvanced();
        return endLsn;
    }

    /**
     * Walk and check every frame of the block in place.
     *
     * @return the LSN after the block.
     */
    private long check(final ByteBuffer block, final long startLsn)
    {
        final int start = block.position();
        final int end = block.limit();
        if (((end - start) & (ALIGNMENT - 1)) != 0)
        {
            throw corrupt(startLsn, "block length is not a multiple of " + ALIGNMENT + ": length=" + (end - start));
        }
        final ByteBuffer view = block.duplicate();
        int offset = start;
        long lsn = startLsn;
        long epoch = journal.epochs().currentEpoch();
        partCount = 0;
        while (offset < end)
        {
            final long fileEnd = (lsn / capacity + 1) * capacity;
            final int frameLength = block.getInt(offset);
            final boolean startsPart = lsn == startLsn || lsn % capacity == 0;
            final int frameBytes;
            if (frameLength < 0)
            {
                frameBytes = -frameLength;
                if (lsn + frameBytes != fileEnd ||
                    block.getInt(offset + CHECKSUM_OFFSET) != paddingChecksum(frameLength, lsn))
                {
                    throw corrupt(lsn, "bad padding frame: frameLength=" + frameLength + " fileEndLsn=" + fileEnd);
                }
            }
            else
            {
                if (frameLength < HEADER_LENGTH)
                {
                    throw corrupt(lsn, "bad frame length: frameLength=" + frameLength);
                }
                frameBytes = RecordDescriptor.alignedLength(frameLength);
                if (lsn + frameBytes > fileEnd)
                {
                    throw corrupt(lsn, "frame crosses a file end: frameLength=" + frameLength + " fileEndLsn=" +
                        fileEnd);
                }
                if (offset + frameBytes > end)
                {
                    throw corrupt(lsn, "frame runs past the block end: frameLength=" + frameLength);
                }
                checkRecord(block, view, offset, frameLength, frameBytes, lsn);
                if (block.get(offset + TYPE_OFFSET) == RecordType.EPOCH_START.code())
                {
                    epoch = onEpochStart(block, offset, lsn, epoch);
                }
            }
            if (startsPart)
            {
                addPart(epoch);
            }
            if (offset + frameBytes > end || frameBytes <= 0)
            {
                throw corrupt(lsn, "frame runs past the block end: frameLength=" + frameLength);
            }
            offset += frameBytes;
            lsn += frameBytes;
        }
        return lsn;
    }

    private void addPart(final long epoch)
    {
        if (partCount == partEpochs.length)
        {
            partEpochs = java.util.Arrays.copyOf(partEpochs, partCount * 2);
        }
        partEpochs[partCount++] = epoch;
    }

    private long onEpochStart(final ByteBuffer block, final int offset, final long lsn, final long previous)
    {
        final int valueLength = block.getInt(offset + VALUE_LENGTH_OFFSET);
        if (valueLength < EPOCH_VALUE_MEMBER_OFFSET || block.get(offset + DATABASE_LENGTH_OFFSET) != 0)
        {
            throw corrupt(lsn, "malformed EPOCH_START: valueLength=" + valueLength);
        }
        final int valueOffset = offset + HEADER_LENGTH;
        final long epoch = block.getLong(valueOffset + EPOCH_VALUE_EPOCH_OFFSET);
        if (epoch <= previous)
        {
            throw corrupt(lsn, "epoch goes backward: epoch=" + epoch + " previousEpoch=" + previous);
        }
        final byte[] member = new byte[valueLength - EPOCH_VALUE_MEMBER_OFFSET];
        block.get(valueOffset + EPOCH_VALUE_MEMBER_OFFSET, member);
        if (null == blockEpochStarts)
        {
            blockEpochStarts = new java.util.ArrayList<>();
        }
        blockEpochStarts.add(new EpochStart(epoch, lsn, new String(member, java.nio.charset.StandardCharsets.UTF_8)));
        return epoch;
    }

    private void checkRecord(
        final ByteBuffer block,
        final ByteBuffer view,
        final int offset,
        final int frameLength,
        final int frameBytes,
        final long lsn)
    {
        final RecordType type = RecordType.fromCode(block.get(offset + TYPE_OFFSET));
        if (null == type || type == RecordType.PADDING)
        {
            throw corrupt(lsn, "unknown record type: type=" + block.get(offset + TYPE_OFFSET));
        }
        final int keyLength = block.getInt(offset + KEY_LENGTH_OFFSET);
        final int valueLength = block.getInt(offset + VALUE_LENGTH_OFFSET);
        final int beforeImageLength = block.getInt(offset + BEFORE_IMAGE_LENGTH_OFFSET);
        final long parts = frameLength(
            block.get(offset + DATABASE_LENGTH_OFFSET) & 0xFF,
            block.getShort(offset + GLOBAL_LENGTH_OFFSET) & 0xFFFF,
            keyLength,
            valueLength,
            beforeImageLength);
        if (keyLength < 0 || valueLength < 0 || beforeImageLength < 0 || parts != frameLength)
        {
            throw corrupt(lsn, "field lengths do not add up to the frame length: frameLength=" + frameLength);
        }
        final long frameLsn = block.getLong(offset + LSN_OFFSET);
        if (frameLsn != lsn)
        {
            throw corrupt(lsn, "frame of another LSN: frameLsn=" + frameLsn);
        }
        view.limit(offset + frameBytes).position(offset + CHECKSUM_START_OFFSET);
        crc.reset();
        crc.update(view);
        final int actual = (int)crc.getValue();
        final int expected = block.getInt(offset + CHECKSUM_OFFSET);
        if (actual != expected)
        {
            throw corrupt(lsn, "bad CRC: expected=" + expected + " actual=" + actual);
        }
        if (beforeImageLength > 0)
        {
            blockView.wrap(block, 0, block.limit());
            final String problem = BeforeImageDescriptor.validate(
                type, blockView, offset + frameLength - beforeImageLength, beforeImageLength);
            if (null != problem)
            {
                throw corrupt(lsn, "bad before-image: " + problem);
            }
        }
    }

    private JournalException corrupt(final long lsn, final String what)
    {
        return new JournalException(JournalException.Code.CORRUPT_FRAME, what + ": lsn=" + lsn + " dir=" + files.dir());
    }
}
