package io.jmirror.journal;

import org.agrona.concurrent.IdleStrategy;

import java.nio.ByteBuffer;

/**
 * Reads a journal from any LSN, across file switches, seeing only complete frames. Two views: record by record
 * through a reused {@link JournalRecord} flyweight, and contiguous ranges of complete frames as zero-copy slices
 * of the mapped file (for shipping). Every frame is checked before it is handed out; a damaged frame raises a
 * {@link JournalException} naming file and LSN and is never decoded as data.
 * <p>
 * A reader is registered as a journal consumer at the base of the file it is in, so purge never removes a file it
 * is reading. Not thread-safe: one reader per thread. Polls never block; tailers wait with an
 * {@link org.agrona.concurrent.IdleStrategy} on a poll's result of 0.
 */
public final class JournalReader implements AutoCloseable
{
    private final Journal journal;
    private final JournalFileSet files;
    private final JournalConsumer consumer;
    private final FrameChecker checker = new FrameChecker();
    private final JournalRecord record = new JournalRecord();
    private JournalFile file;
    private JournalFile blockViewFile;
    private ByteBuffer blockView;
    private long position;
    private boolean verifyChecksums = true;
    private long endLsn = Long.MAX_VALUE;

    JournalReader(final Journal journal, final JournalFileSet files, final JournalConsumer consumer, final long lsn)
    {
        this.journal = journal;
        this.files = files;
        this.consumer = consumer;
        seek(lsn);
    }

    /**
     * @return the LSN of the next frame this reader will read.
     */
    public long position()
    {
        return position;
    }

    /**
     * @param verifyChecksums false to skip the CRC check of each frame (lengths and structure are still checked).
     * @return this.
     */
    public JournalReader verifyChecksums(final boolean verifyChecksums)
    {
        this.verifyChecksums = verifyChecksums;
        return this;
    }

    /**
     * @param endLsn {@link #poll} delivers no record at or beyond this LSN (a restore that stops at a point in time);
     *               {@code Long.MAX_VALUE}, the default, reads to the journal's end.
     * @return this.
     */
    public JournalReader endLsn(final long endLsn)
    {
        this.endLsn = endLsn;
        return this;
    }

    /**
     * Move to an LSN, which must be the start of a frame (a record LSN or an LSN a reader reported).
     *
     * @param lsn where to read next.
     * @throws JournalException LSN_PURGED naming the oldest LSN held when the LSN's file is gone.
     */
    public void seek(final long lsn)
    {
        if (lsn < 0 || (lsn & (RecordDescriptor.ALIGNMENT - 1)) != 0)
        {
            throw new JournalException(
                JournalException.Code.LSN_OUT_OF_RANGE, "lsn is not a frame position: lsn=" + lsn);
        }
        final long index = files.indexOf(lsn);
        consumer.position(index * files.capacity());
        if (lsn < files.startLsn())
        {
            throw files.purged(lsn);
        }
        if (lsn > journal.tailLsn())
        {
            throw new JournalException(JournalException.Code.LSN_OUT_OF_RANGE, "lsn is beyond the journal end: lsn=" +
                lsn + " endLsn=" + journal.tailLsn() + " dir=" + files.dir());
        }
        position = lsn;
        file = null;
    }

    /**
     * Deliver up to {@code limit} complete records, skipping padding.
     *
     * @return the number of records delivered; 0 when none is complete yet.
     */
    public int poll(final RecordHandler handler, final int limit)
    {
        int count = 0;
        while (count < limit && position < endLsn)
        {
            final JournalFile current = currentFile();
            if (null == current)
            {
                break;
            }
            final int offset = current.offsetOf(position);
            final int status = checker.check(current, offset, verifyChecksums);
            if (status == FrameChecker.RECORD)
            {
                record.wrap(current.buffer(), offset, position);
                final long next = position + record.alignedLength();
                handler.onRecord(record);
                position = next;
                count++;
            }
            else if (status == FrameChecker.PADDING)
            {
                position = current.endLsn();
            }
            else if (status == FrameChecker.EMPTY)
            {
                break;
            }
            else
            {
                throw journal.corrupt(checker, status, current, position);
            }
        }
        return count;
    }

    /**
     * Deliver the longest run of complete frames from the current position that lies in one file and fits in
     * {@code maxBytes} (a single frame larger than that is delivered alone). Padding frames are included, so the
     * bytes delivered are exactly the journal's bytes at those LSNs.
     *
     * @return the number of bytes delivered; 0 when no frame is complete yet.
     */
    public int pollBlock(final BlockHandler handler, final int maxBytes)
    {
        final JournalFile current = currentFile();
        if (null == current)
        {
            return 0;
        }

        long end = position;
        int failedStatus = 0;
        while (end < current.endLsn())
        {
            final int offset = current.offsetOf(end);
            final int status = checker.check(current, offset, verifyChecksums);
            final long next;
            if (status == FrameChecker.RECORD)
            {
                next = end + RecordDescriptor.alignedLength(current.buffer().getInt(offset));
            }
            else if (status == FrameChecker.PADDING)
            {
                next = current.endLsn();
            }
            else
            {
                failedStatus = status;
                break;
            }
            if (end > position && next - position > maxBytes)
            {
                break;
            }
            end = next;
        }

        if (end == position)
        {
            if (failedStatus < 0)
            {
                throw journal.corrupt(checker, failedStatus, current, position);
            }
            return 0;
        }

        if (blockViewFile != current)
        {
            blockViewFile = current;
            blockView = current.mappedBuffer().duplicate();
        }
        final int length = (int)(end - position);
        final int offset = current.offsetOf(position);
        blockView.limit(offset + length).position(offset);
        final long startLsn = position;
        journal.onComplete(end);
        handler.onBlock(blockView, startLsn, length);
        position = end;
        return length;
    }

    /**
     * @return true when a complete frame is waiting at the current position.
     */
    public boolean hasData()
    {
        final JournalFile current = currentFile();
        return null != current && current.buffer().getIntAcquire(current.offsetOf(position)) != 0;
    }

    /**
     * Wait, backing off with {@code idle}, until a complete frame is waiting or the timeout passes. For tailers that
     * are not agents; an agent instead returns 0 work from its duty cycle and lets its runner idle.
     *
     * @return true when a frame is waiting, false on timeout.
     */
    public boolean awaitData(final IdleStrategy idle, final long timeoutNs)
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        idle.reset();
        while (!hasData())
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                return false;
            }
            idle.idle();
        }
        return true;
    }

    private JournalFile currentFile()
    {
        JournalFile current = file;
        if (null == current || position >= current.endLsn())
        {
            final long index = files.indexOf(position);
            current = files.fileForRead(index);
            if (null == current)
            {
                if (position < files.startLsn())
                {
                    throw files.purged(position);
                }
                journal.checkOpen();
                return null;
            }
            consumer.position(current.baseLsn());
            file = current;
        }
        return current;
    }

    /**
     * Unregister from the journal.
     */
    @Override
    public void close()
    {
        consumer.close();
    }
}
