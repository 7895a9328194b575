package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.atomic.AtomicLong;

import static io.jmirror.journal.RecordDescriptor.*;

/**
 * The journal's tail, shared by every {@link JournalAppender}: any number of application threads append at once,
 * each through its own appender. An append claims its bytes with a compare-and-set on the tail (no lock on the hot
 * path); when a record does not fit in the rest of the current file, the appender that moves the tail to the next
 * file pads the rest, so no record spans two files.
 */
public final class JournalWriter
{
    private final Journal journal;
    private final JournalFileSet files;
    private final AtomicLong tail;
    private final long capacity;
    private final int maxRecordLength;
    private final boolean syncEveryCommit;
    private final org.agrona.concurrent.EpochClock clock;
    private volatile boolean isReplica;

    JournalWriter(
        final Journal journal,
        final JournalFileSet files,
        final long tailLsn,
        final JournalContext ctx,
        final org.agrona.concurrent.EpochClock clock)
    {
        this.journal = journal;
        this.files = files;
        this.tail = new AtomicLong(tailLsn);
        this.capacity = files.capacity();
        this.maxRecordLength = ctx.maxRecordLength();
        this.syncEveryCommit = ctx.syncPolicy() == SyncPolicy.EVERY_COMMIT;
        this.clock = clock;
    }

    /**
     * @return the one replicator of a member's journal; from now on local appends are refused.
     */
    synchronized JournalReplicator replicator()
    {
        if (isReplica)
        {
            throw new JournalException(JournalException.Code.INVALID_CONFIG,
                "journal already has a replicator: dir=" + files.dir());
        }
        isReplica = true;
        return new JournalReplicator(journal, this, files);
    }

    /**
     * @return a new appender for the calling thread. Appenders are cheap; keep one per application thread.
     */
    public JournalAppender newAppender()
    {
        return new JournalAppender(this);
    }

    /**
     * Check an append's size and claim its bytes.
     *
     * @return the LSN claimed.
     * @throws JournalException RECORD_TOO_LARGE, claiming nothing, when the frame would exceed the maximum.
     */
    long claimFrame(final long frameLength, final RecordType type, final GlobalName global)
    {
        if (isReplica)
        {
            throw new JournalException(JournalException.Code.INVALID_CONFIG, "journal is a replica: its records " +
                "come from the primary and local appends would break byte identity: dir=" + files.dir());
        }
        if (frameLength > maxRecordLength)
        {
            throw new JournalException(JournalException.Code.RECORD_TOO_LARGE, "record too large: frameLength=" +
                frameLength + " maxRecordLength=" + maxRecordLength + " type=" + type + " node=" + global);
        }
        journal.checkWritable();
        return claim(RecordDescriptor.alignedLength((int)frameLength));
    }

    JournalFile fileForWrite(final long lsn)
    {
        return files.fileForWrite(lsn / capacity);
    }

    long timestamp()
    {
        return clock.time();
    }

    boolean syncEveryCommit()
    {
        return syncEveryCommit;
    }

    Journal journal()
    {
        return journal;
    }

    /**
     * Claim {@code alignedLength} bytes at the tail, moving to the next file (and padding the rest of this one)
     * when they do not fit.
     */
    private long claim(final int alignedLength)
    {
        while (true)
        {
            final long current = tail.get();
            final JournalFile newest = files.newest();
            final long fileEnd = null != newest && current >= newest.baseLsn() && current < newest.endLsn() ?
                newest.endLsn() : (current / capacity + 1) * capacity;
            if (current + alignedLength <= fileEnd)
            {
                if (tail.compareAndSet(current, current + alignedLength))
                {
                    return current;
                }
            }
            else
            {
                // Make the next file exist before any appender can claim in it.
                files.fileForWrite(fileEnd / capacity);
                if (tail.compareAndSet(current, fileEnd + alignedLength))
                {
                    writePadding(current, (int)(fileEnd - current));
                    return fileEnd;
                }
            }
        }
    }

    private void writePadding(final long lsn, final int length)
    {
        final JournalFile file = files.fileForWrite(lsn / capacity);
        final UnsafeBuffer buffer = file.buffer();
        final int offset = file.offsetOf(lsn);
        buffer.putInt(offset + CHECKSUM_OFFSET, paddingChecksum(-length, lsn));
        buffer.putIntRelease(offset + FRAME_LENGTH_OFFSET, -length);
    }

    /**
     * Move the tail over a block the replicator has written.
     */
    void advanceTail(final long from, final long to)
    {
        if (!tail.compareAndSet(from, to))
        {
            throw new JournalException(JournalException.Code.INVALID_CONFIG,
                "a replica journal was appended to locally: expectedTail=" + from + " tail=" + tail.get());
        }
    }

    /**
     * @return the LSN the next claim will get: every byte below it is claimed, not necessarily complete.
     */
    public long tailLsn()
    {
        return tail.get();
    }
}
