package io.jmirror.dejournal;

import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SyncPolicy;
import org.agrona.IoUtil;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Undoes on a store the records of a journal range that is about to be cut off: a former primary's records beyond
 * where the new primary's epoch began, which its application had already applied to its own store. Each record is
 * undone from its before-image, newest first, by writing the undo into a scratch journal and applying that to the
 * target on the calling thread (no checkpoint, so the target's recovered LSN is untouched). A record without a
 * before-image (outside a transaction) cannot be undone: nothing is applied, and the caller must rebuild the store.
 */
public final class DivergenceUndo
{
    /**
     * What an undo did.
     *
     * @param recordsUndone      records undone on the store.
     * @param withoutBeforeImage LSNs of records that carry no before-image; when not empty, nothing was undone.
     */
    public record Result(int recordsUndone, List<Long> withoutBeforeImage)
    {
        /**
         * @return true when the store no longer holds any effect of the range.
         */
        public boolean isUndone()
        {
            return withoutBeforeImage.isEmpty();
        }
    }

    private static final long SCRATCH_FILE_LENGTH = 4L * 1024 * 1024;

    private DivergenceUndo()
    {
    }

    /**
     * @param journal    the journal holding the range (read only).
     * @param fromLsn    the first LSN to undo (a frame start, e.g. the divergence LSN).
     * @param target     the store the range was applied to.
     * @param scratchDir an empty directory for the undo's scratch journal; deleted after.
     * @return what was undone.
     */
    public static Result undo(final Journal journal, final long fromLsn, final Target target, final Path scratchDir)
    {
        final List<Long> lsns = new ArrayList<>();
        // A read-only journal whose last frame is torn (a kill during a write) ends before it: read no further.
        final long end = journal.tailLsn();
        try (JournalReader reader = journal.reader(fromLsn).endLsn(end))
        {
            while (reader.position() < end && reader.poll((record) ->
            {
                if (record.type().isNodeRecord())
                {
                    lsns.add(record.lsn());
                }
            }, 1024) > 0)
            {
            }
        }
        final List<Long> missing = new ArrayList<>();
        // Small files: the undo of a divergence is usually a few records, and a default-sized file would take its
        // whole preallocated length on disk while the undo runs.
        try (Journal scratch = Journal.open(new JournalContext().journalDir(scratchDir).syncPolicy(SyncPolicy.NONE)
            .fileLength(SCRATCH_FILE_LENGTH).mirrorName(journal.mirrorName()));
            JournalReader reader = journal.reader(fromLsn).endLsn(end))
        {
            final JournalAppender appender = scratch.newAppender();
            final UndoWriter undo = new UndoWriter(appender);
            for (int i = lsns.size() - 1; i >= 0; i--)
            {
                reader.seek(lsns.get(i));
                undo.reset(0);
                reader.poll(undo, 1);
                if (!undo.isWritten())
                {
                    missing.add(lsns.get(i));
                }
            }
            if (missing.isEmpty())
            {
                try (JournalReader undoReader = scratch.reader(scratch.startLsn()))
                {
                    while (undoReader.poll((record) -> target.apply(record, 0), 1024) > 0)
                    {
                    }
                }
            }
        }
        finally
        {
            IoUtil.delete(scratchDir.toFile(), true);
        }
        return new Result(missing.isEmpty() ? lsns.size() : 0, missing);
    }
}
