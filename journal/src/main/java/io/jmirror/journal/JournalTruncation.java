package io.jmirror.journal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Cuts a journal back to an LSN, keeping the bytes it removes: a member that finds it has diverged from the current
 * primary (it holds records the primary never had) truncates its journal at the divergence LSN before it follows the
 * primary again. The removed bytes are first written, whole and forced, to a file beside the journal
 * ({@code divergent-<from>-<to>.bin}: the raw journal bytes of that LSN range, frames and padding as they were), so
 * nothing is silently discarded; then the journal is cut as recovery cuts a torn tail. Run it on a journal directory
 * no {@link Journal} has open. Repeating it after a crash is safe: a kept file already whole is left as it is (a cut
 * that had begun may have zeroed the journal's copy), one not yet whole is rewritten, a copy that would come out
 * short is refused rather than written over the kept one, and the cut is finished by running it again.
 */
public final class JournalTruncation
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalTruncation.class);

    private JournalTruncation()
    {
    }

    /**
     * @param dir a journal directory that no {@link Journal} has open.
     * @param lsn where to cut: the start of a frame (e.g. an epoch start), at or below the journal's end.
     * @return the file holding the removed bytes, or null when nothing lay beyond {@code lsn}.
     * @throws JournalException LSN_OUT_OF_RANGE when {@code lsn} is not a frame start of the journal, LSN_PURGED
     *                          when it lies below the oldest LSN held.
     */
    public static Path truncate(final Path dir, final long lsn)
    {
        final long end;
        final Path kept;
        final String mirrorName;
        try (Journal journal = Journal.openReadOnly(dir))
        {
            mirrorName = journal.mirrorName();
            end = journal.tailLsn();
            if (lsn == end)
            {
                return null;
            }
            checkFrameStart(journal, lsn);
            kept = dir.resolve("divergent-" + lsn + "-" + end + ".bin");
            if (isKeptWhole(kept, end - lsn))
            {
                // a run before a crash kept them and had begun the cut, so the journal may no longer hold them whole
                LOG.info("divergent bytes already kept by an interrupted truncation: file={}", kept);
            }
            else
            {
                keep(journal, lsn, end, kept);
            }
        }
        cut(dir, mirrorName, lsn);
        LOG.warn("journal truncated at a divergence: dir={} fromLsn={} toLsn={} keptIn={}", dir, lsn, end, kept);
        return kept;
    }

    private static void checkFrameStart(final Journal journal, final long lsn)
    {
        if (lsn > journal.tailLsn())
        {
            throw new JournalException(JournalException.Code.LSN_OUT_OF_RANGE, "cannot truncate beyond the journal " +
                "end: lsn=" + lsn + " endLsn=" + journal.tailLsn() + " dir=" + journal.dir());
        }
        final long fileBase = lsn - lsn % journal.fileCapacity();
        try (JournalReader reader = journal.reader(Math.max(fileBase, journal.startLsn())))
        {
            while (reader.position() < lsn && reader.poll((record) -> { }, 1) > 0)
            {
            }
            // padding at a file's end moves the reader to the next file's base
            if (reader.position() != lsn && !(reader.position() > lsn && lsn % journal.fileCapacity() == 0))
            {
                throw new JournalException(JournalException.Code.LSN_OUT_OF_RANGE, "not the start of a frame: lsn=" +
                    lsn + " nearestFrame=" + reader.position() + " dir=" + journal.dir());
            }
        }
    }

    private static boolean isKeptWhole(final Path kept, final long length)
    {
        try
        {
            return Files.exists(kept) && Files.size(kept) == length;
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR, "cannot read the kept divergent bytes: file=" +
                kept + " reason=" + ex, ex);
        }
    }

    private static void keep(final Journal journal, final long from, final long to, final Path kept)
    {
        final Path tmp = kept.resolveSibling(kept.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
            JournalReader reader = journal.reader(from))
        {
            while (reader.position() < to)
            {
                final int read = reader.pollBlock((block, lsn, length) ->
                {
                    try
                    {
                        final ByteBuffer bytes = block.duplicate();
                        while (bytes.hasRemaining())
                        {
                            out.write(bytes);
                        }
                    }
                    catch (final IOException ex)
                    {
                        throw new JournalException(JournalException.Code.IO_ERROR, "cannot keep divergent bytes: " +
                            "file=" + tmp + " reason=" + ex, ex);
                    }
                }, 1024 * 1024);
                if (read == 0)
                {
                    break;
                }
            }
            if (reader.position() < to)
            {
                // never replace what an earlier run kept with less: the journal cannot give the bytes whole
                throw new JournalException(JournalException.Code.CORRUPT_FRAME, "cannot keep the divergent bytes " +
                    "whole, the journal ends early: dir=" + journal.dir() + " fromLsn=" + from + " toLsn=" + to +
                    " readableTo=" + reader.position() + " file=" + kept);
            }
            out.force(true);
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR, "cannot keep divergent bytes: file=" + tmp +
                " reason=" + ex, ex);
        }
        try
        {
            Files.move(tmp, kept, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR, "cannot keep divergent bytes: file=" + kept +
                " reason=" + ex, ex);
        }
    }

    private static void cut(final Path dir, final String mirrorName, final long lsn)
    {
        try (JournalFileSet files = JournalFileSet.open(new JournalContext().journalDir(dir).mirrorName(mirrorName)))
        {
            final long index = files.indexOf(lsn);
            final JournalFile file = files.fileForRead(index);
            if (null != file)
            {
                file.zeroFrom(file.offsetOf(lsn));
            }
            files.deleteAfter(index);
        }
    }
}
