package io.jmirror.journal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A journal's epochs in LSN order, built from its files on open ({@link #load}) and extended as
 * {@code EPOCH_START} records are appended or replicated. Epochs only grow along the journal; the check that they
 * do, and that each file's header names the epoch in force at its base, is made here, so a file that disagrees with
 * its records is reported as damage naming the file and both epochs.
 */
final class EpochHistory
{
    private final ArrayList<EpochStart> starts = new ArrayList<>();
    private volatile long currentEpoch;

    /**
     * Build the history of the files held, up to the journal's end. Reads each file's header, and the records of
     * only the files in which an epoch starts (the next file's header names another epoch) and of the newest file.
     */
    static EpochHistory load(final JournalFileSet files, final long endLsn)
    {
        final EpochHistory history = new EpochHistory();
        final FrameChecker checker = new FrameChecker();
        final List<JournalFile> all = files.files();
        boolean isFirst = true;
        for (int i = 0; i < all.size(); i++)
        {
            final JournalFile file = all.get(i);
            if (file.baseLsn() >= endLsn && !isFirst)
            {
                break;
            }
            final long scanFrom = history.enterFile(file, isFirst, checker, endLsn);
            isFirst = false;
            final boolean isLast = i + 1 == all.size() || all.get(i + 1).baseLsn() >= endLsn;
            if (isLast || all.get(i + 1).epoch() != file.epoch())
            {
                history.scan(file, scanFrom, checker, endLsn);
            }
        }
        return history;
    }

    /**
     * A file's header epoch must be the epoch in force at its base: the epoch the records before it left, or the
     * epoch its own first record opens.
     *
     * @return where a scan of the file's records goes on.
     */
    private long enterFile(final JournalFile file, final boolean isFirst, final FrameChecker checker, final long endLsn)
    {
        final long headerEpoch = file.epoch();
        final int base = JournalFileDescriptor.HEADER_LENGTH;
        final boolean startsEpoch = file.baseLsn() < endLsn &&
            checker.check(file, base, true) == FrameChecker.RECORD &&
            file.buffer().getByte(base + RecordDescriptor.TYPE_OFFSET) == RecordType.EPOCH_START.code();
        if (startsEpoch)
        {
            final long epoch = epochOf(file, base);
            if (epoch != headerEpoch)
            {
                throw disagrees(file, headerEpoch, epoch);
            }
            onEpochStart(file, file.baseLsn(), epoch, memberOf(file, base));
            return file.baseLsn() + RecordDescriptor.alignedLength(file.buffer().getInt(base));
        }
        if (isFirst)
        {
            if (headerEpoch != 0)
            {
                starts.add(new EpochStart(headerEpoch, EpochStart.PURGED, null));
            }
            currentEpoch = headerEpoch;
        }
        else if (headerEpoch != currentEpoch)
        {
            throw disagrees(file, headerEpoch, currentEpoch);
        }
        return file.baseLsn();
    }

    private void scan(final JournalFile file, final long from, final FrameChecker checker, final long endLsn)
    {
        long lsn = from;
        final long end = Math.min(endLsn, file.endLsn());
        while (lsn < end)
        {
            final int offset = file.offsetOf(lsn);
            final int status = checker.check(file, offset, false);
            if (status == FrameChecker.PADDING)
            {
                break;
            }
            if (status != FrameChecker.RECORD)
            {
                throw checker.corrupt(status, file, lsn);
            }
            if (file.buffer().getByte(offset + RecordDescriptor.TYPE_OFFSET) == RecordType.EPOCH_START.code())
            {
                final int verified = checker.check(file, offset, true);
                if (verified != FrameChecker.RECORD)
                {
                    throw checker.corrupt(verified, file, lsn);
                }
                onEpochStart(file, lsn, epochOf(file, offset), memberOf(file, offset));
            }
            lsn += RecordDescriptor.alignedLength(file.buffer().getInt(offset));
        }
    }

    private void onEpochStart(final JournalFile file, final long lsn, final long epoch, final String member)
    {
        if (epoch <= currentEpoch)
        {
            throw new JournalException(JournalException.Code.CORRUPT_FRAME, "epoch goes backward: file=" +
                file.path().getFileName() + " lsn=" + lsn + " epoch=" + epoch + " previousEpoch=" + currentEpoch);
        }
        add(new EpochStart(epoch, lsn, member));
    }

    private static long epochOf(final JournalFile file, final int offset)
    {
        return file.buffer().getLong(valueOffset(file, offset) + RecordDescriptor.EPOCH_VALUE_EPOCH_OFFSET);
    }

    private static String memberOf(final JournalFile file, final int offset)
    {
        final int valueLength = file.buffer().getInt(offset + RecordDescriptor.VALUE_LENGTH_OFFSET);
        return file.buffer().getStringWithoutLengthUtf8(
            valueOffset(file, offset) + RecordDescriptor.EPOCH_VALUE_MEMBER_OFFSET,
            valueLength - RecordDescriptor.EPOCH_VALUE_MEMBER_OFFSET);
    }

    /** Markers carry no names or key, so the value follows the header. */
    private static int valueOffset(final JournalFile file, final int offset)
    {
        return offset + RecordDescriptor.HEADER_LENGTH;
    }

    private static JournalException disagrees(final JournalFile file, final long headerEpoch, final long epoch)
    {
        return new JournalException(JournalException.Code.CORRUPT_HEADER, "journal file epoch disagrees with the " +
            "records up to its base: file=" + file.path().getFileName() + " headerEpoch=" + headerEpoch +
            " recordsEpoch=" + epoch);
    }

    /**
     * Record an epoch start the journal appended or replicated.
     *
     * @throws JournalException CORRUPT_FRAME when the epoch does not grow.
     */
    synchronized void add(final EpochStart start)
    {
        final long previous = starts.isEmpty() ? 0 : starts.get(starts.size() - 1).epoch();
        if (start.epoch() <= previous || start.epoch() < currentEpoch)
        {
            throw new JournalException(JournalException.Code.CORRUPT_FRAME, "epoch goes backward: lsn=" +
                start.lsn() + " epoch=" + start.epoch() + " previousEpoch=" + Math.max(previous, currentEpoch));
        }
        starts.add(start);
        currentEpoch = start.epoch();
    }

    /**
     * Make {@code epoch} the current epoch before its {@code EPOCH_START} is appended, so that nothing reading the
     * journal can see the record while {@link #currentEpoch()} still names the epoch before it (a primary's session
     * would otherwise ship it in a batch of the old epoch, and a member that read it would call the primary stale).
     *
     * @return the epoch that was current, to give back to {@link #abandon} if the append fails.
     */
    synchronized long begin(final long epoch)
    {
        final long previous = currentEpoch;
        currentEpoch = Math.max(currentEpoch, epoch);
        return previous;
    }

    /**
     * The append of a begun epoch failed: the current epoch is the one before it again.
     */
    synchronized void abandon(final long previous)
    {
        currentEpoch = previous;
    }

    /**
     * @return the epoch in force at the journal's tail; 0 before any.
     */
    long currentEpoch()
    {
        return currentEpoch;
    }

    /**
     * @return the epochs, oldest first.
     */
    synchronized List<EpochStart> starts()
    {
        return Collections.unmodifiableList(new ArrayList<>(starts));
    }

    /**
     * @return the epoch in force at {@code lsn}: of the newest start at or before it; 0 when none is.
     */
    synchronized long epochAt(final long lsn)
    {
        for (int i = starts.size() - 1; i >= 0; i--)
        {
            final EpochStart start = starts.get(i);
            if (start.lsn() <= lsn)
            {
                return start.epoch();
            }
        }
        return 0;
    }
}
