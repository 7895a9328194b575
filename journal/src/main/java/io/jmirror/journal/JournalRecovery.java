package io.jmirror.journal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Finds the end of a journal after a restart or crash. It walks and checks frames from the start of the
 * third-newest file (appenders work at the tail, so an unfinished record can only be in the newest data files, and
 * the newest file may be a preallocated spare) and
 * stops at the first frame that is empty, has a bad length or fails its CRC. Unless read-only, everything after
 * that point is zeroed and later files deleted, so nothing written after a torn record survives.
 */
final class JournalRecovery
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalRecovery.class);

    /**
     * Files scanned from the end: an unfinished record can only be in the newest data files, and the newest file may
     * be a preallocated spare.
     */
    static final int SCANNED_FILES = 3;

    private JournalRecovery()
    {
    }

    /**
     * What recovery found.
     */
    static final class Result
    {
        final long endLsn;
        final JournalException damage;

        Result(final long endLsn, final JournalException damage)
        {
            this.endLsn = endLsn;
            this.damage = damage;
        }
    }

    /**
     * @return the end LSN (every record below it is complete and intact) and, when the scan stopped at a damaged
     * frame rather than an empty one, what the damage was.
     */
    static Result recover(final JournalFileSet files, final FrameChecker checker)
    {
        if (files.isNew())
        {
            return new Result(files.startLsn(), null);
        }
        final List<JournalFile> all = files.files();
        final JournalFile scanFrom = all.get(Math.max(0, all.size() - SCANNED_FILES));
        long position = scanFrom.baseLsn();
        int status = FrameChecker.EMPTY;
        JournalFile file = scanFrom;
        while (true)
        {
            file = files.fileForRead(files.indexOf(position));
            if (null == file)
            {
                break;
            }
            final int offset = file.offsetOf(position);
            status = checker.check(file, offset, true);
            if (status == FrameChecker.RECORD)
            {
                position += RecordDescriptor.alignedLength(file.buffer().getInt(offset));
            }
            else if (status == FrameChecker.PADDING)
            {
                position = file.endLsn();
            }
            else
            {
                break;
            }
        }

        JournalException damage = null;
        if (status < 0)
        {
            damage = checker.corrupt(status, file, position);
            LOG.warn("journal ends at a damaged frame: {}", damage.getMessage());
        }

        if (!files.isReadOnly())
        {
            truncate(files, position);
        }
        return new Result(position, damage);
    }

    private static void truncate(final JournalFileSet files, final long endLsn)
    {
        final long endIndex = files.indexOf(endLsn);
        final JournalFile endFile = files.fileForRead(endIndex);
        long zeroed = 0;
        if (null != endFile)
        {
            zeroed = endFile.zeroFrom(endFile.offsetOf(endLsn));
        }
        final int deleted = files.deleteAfter(endIndex);
        if (zeroed > 0 || deleted > 0)
        {
            LOG.warn("journal recovery removed a torn tail: endLsn={} bytesZeroed={} filesDeleted={} dir={}",
                endLsn, zeroed, deleted, files.dir());
        }
    }
}
