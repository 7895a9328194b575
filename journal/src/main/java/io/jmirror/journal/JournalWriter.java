package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
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
    private final ArrayList<WeakReference<JournalAppender>> appenders = new ArrayList<>();

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
        final JournalAppender appender = new JournalAppender(this);
        synchronized (appenders)
        {
            appenders.removeIf((ref) -> null == ref.get());
            appenders.add(new WeakReference<>(appender));
        }
        return appender;
    }

    /**
     * A bound below which every frame is whole, found without walking frames: the lowest position any appender may
     * still be writing at, or the tail when none is. {@link Journal#purge()} asks this of every file it would
     * remove; walking to the tail instead costs a dependent read per frame, more than the rest of the purge.
     * <p>
     * The tail is read first: an appender's claim below it was made by a compare-and-set that came after the
     * appender's store of its lower bound ({@link JournalAppender#claimFrom}), so that store is seen here.
     *
     * @return every frame below this LSN is complete.
     */
    long writtenBound()
    {
        long bound = tail.get();
        synchronized (appenders)
        {
            for (int i = 0, size = appenders.size(); i < size; i++)
            {
                final JournalAppender appender = appenders.get(i).get();
                if (null != appender)
                {
                    bound = Math.min(bound, appender.claimFrom());
                }
            }
        }
        return bound;
    }

    /**
     * Check an append's size and claim its bytes.
     *
     * @return the LSN claimed.
     * @throws JournalException RECORD_TOO_LARGE, claiming nothing, when the frame would exceed the maximum.
     */
    long claimFrame(
        final JournalAppender appender, final long frameLength, final RecordType type, final GlobalName global)
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
        return claim(appender, RecordDescriptor.alignedLength((int)frameLength));
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
    private long claim(final JournalAppender appender, final int alignedLength)
    {
        while (true)
        {
            final long current = tail.get();
            // Before the claim is made: whatever it claims lies at or above current.
            appender.claimFrom(current);
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
