package io.jmirror.journal;

import org.agrona.IoUtil;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;


/**
 * The journal's files in one directory, indexed by their position in the stream. File {@code i} holds LSNs
 * {@code [i * capacity, (i + 1) * capacity)}. Lookups of the newest file are lock-free; creating, opening and
 * deleting files take the set's lock.
 */
final class JournalFileSet implements AutoCloseable
{
    private static final long CLOSE_TIMEOUT_S = 30;

    private final Path dir;
    private final long fileLength;
    private final long capacity;
    private final long journalId;
    private final String mirrorName;
    private final boolean readOnly;
    private final TreeMap<Long, JournalFile> filesByIndex = new TreeMap<>();
    private volatile JournalFile newest;
    private volatile long firstIndex;
    private boolean isNew;
    private boolean isClosed;
    private final ExecutorService preparer;
    private Future<JournalFile> prepared;
    private long preparedIndex = -1;
    private final int recycleFiles;
    private final ArrayDeque<FreeFile> freeFiles = new ArrayDeque<>();
    private volatile JournalException retireFailure;
    private long freeSequence;
    private volatile long tailEpoch;
    private final java.util.concurrent.atomic.AtomicLong recycledFiles = new java.util.concurrent.atomic.AtomicLong();

    private JournalFileSet(
        final Path dir,
        final long fileLength,
        final long journalId,
        final String mirrorName,
        final boolean readOnly,
        final int recycleFiles)
    {
        this.dir = dir;
        this.recycleFiles = readOnly ? 0 : recycleFiles;
        this.fileLength = fileLength;
        this.capacity = JournalFileDescriptor.capacity(fileLength);
        this.journalId = journalId;
        this.mirrorName = mirrorName;
        this.readOnly = readOnly;
        this.preparer = readOnly ? null : Executors.newSingleThreadExecutor((runnable) ->
        {
            final Thread thread = new Thread(runnable, "jmirror-journal-preparer");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Open the files of {@code ctx.journalDir()}, or start a new journal there when it holds none.
     */
    static JournalFileSet open(final JournalContext ctx)
    {
        final Path dir = ctx.journalDir();
        final List<Path> paths = listJournalFiles(dir, ctx.readOnly());
        if (paths.isEmpty())
        {
            if (ctx.readOnly())
            {
                throw new JournalException(JournalException.Code.INVALID_LAYOUT, "no journal files: dir=" + dir);
            }
            final long journalId = 0 != ctx.journalId() ? ctx.journalId() : newJournalId();
            final JournalFileSet set = new JournalFileSet(
                dir, ctx.fileLength(), journalId, ctx.mirrorName(), false, ctx.recycleFiles());
            set.adoptFreeFiles();
            final long firstIndex = ctx.startLsn() / set.capacity;
            set.firstIndex = firstIndex;
            set.isNew = true;
            set.fileForWrite(firstIndex);
            return set;
        }

        final JournalFile first = JournalFile.open(paths.get(0), ctx.journalId(), ctx.readOnly() ? null :
            ctx.mirrorName(), ctx.readOnly());
        final JournalFileSet set = new JournalFileSet(
            dir, first.fileLength(), first.journalId(), first.mirrorName(), ctx.readOnly(), ctx.recycleFiles());
        try
        {
            set.adoptFreeFiles();
            set.add(first);
            for (int i = 1; i < paths.size(); i++)
            {
                final JournalFile file = JournalFile.open(paths.get(i), set.journalId, set.mirrorName, ctx.readOnly());
                if (file.fileLength() != set.fileLength)
                {
                    throw new JournalException(JournalException.Code.INVALID_LAYOUT,
                        "journal files differ in length: " +
                        "file=" + file.path() + " fileLength=" + file.fileLength() + " expected=" + set.fileLength);
                }
                if (file.index() != set.newest.index() + 1)
                {
                    throw new JournalException(JournalException.Code.INVALID_LAYOUT, "journal file missing: dir=" +
                        dir + " missingBaseLsn=" + (set.newest.index() + 1) * set.capacity + " before=" +
                        file.path().getFileName());
                }
                set.add(file);
            }
            set.firstIndex = first.index();
            set.tailEpoch = set.newest.epoch();
            return set;
        }
        catch (final RuntimeException ex)
        {
            set.close();
            throw ex;
        }
    }

    private static long newJournalId()
    {
        long id = 0;
        while (0 == id)
        {
            id = new SecureRandom().nextLong();
        }
        return id;
    }

    static List<Path> listJournalFiles(final Path dir, final boolean readOnly)
    {
        try
        {
            if (!Files.isDirectory(dir))
            {
                if (readOnly)
                {
                    throw new JournalException(JournalException.Code.INVALID_LAYOUT,
                        "journal directory does not exist: dir=" + dir);
                }
                Files.createDirectories(dir);
            }
            if (!readOnly)
            {
                deleteUnfinished(dir);
            }
            try (Stream<Path> stream = Files.list(dir))
            {
                return stream
                    .filter((path) -> JournalFileDescriptor.parseBaseLsn(path) >= 0)
                    .sorted((a, b) -> Long.compareUnsigned(
                        JournalFileDescriptor.parseBaseLsn(a), JournalFileDescriptor.parseBaseLsn(b)))
                    .collect(java.util.stream.Collectors.toList());
            }
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR,
                "cannot list journal directory: dir=" + dir + " reason=" + ex, ex);
        }
    }

    private static void deleteUnfinished(final Path dir) throws IOException
    {
        try (Stream<Path> stream = Files.list(dir))
        {
            for (final Path path : (Iterable<Path>)stream::iterator)
            {
                final String name = path.getFileName().toString();
                if (name.startsWith(JournalFileDescriptor.FILE_PREFIX) && name.endsWith(JournalFile.TMP_SUFFIX))
                {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    /**
     * Take the free files a previous run left for reuse, as many as the pool holds; delete the rest and any of
     * another length.
     */
    private void adoptFreeFiles()
    {
        if (readOnly)
        {
            return;
        }
        try (Stream<Path> stream = Files.list(dir))
        {
            final List<Path> free = stream
                .filter((path) -> freeSequence(path) >= 0)
                .sorted()
                .collect(java.util.stream.Collectors.toList());
            for (final Path path : free)
            {
                freeSequence = Math.max(freeSequence, freeSequence(path) + 1);
                if (freeFiles.size() < recycleFiles && Files.size(path) == fileLength)
                {
                    freeFiles.add(new FreeFile(path, null));
                }
                else
                {
                    Files.deleteIfExists(path);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR,
                "cannot list free journal files: dir=" + dir + " reason=" + ex, ex);
        }
    }

    private static long freeSequence(final Path path)
    {
        final String name = path.getFileName().toString();
        if (!name.startsWith(JournalFileDescriptor.FREE_PREFIX) || !name.endsWith(JournalFileDescriptor.FILE_SUFFIX))
        {
            return -1;
        }
        try
        {
            return Long.parseLong(name.substring(JournalFileDescriptor.FREE_PREFIX.length(),
                name.length() - JournalFileDescriptor.FILE_SUFFIX.length()));
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /**
     * Remove a file from the journal: keep it for reuse while the pool has room, else delete it. The file is out of
     * the set at once; its rename or deletion is left to the preparer thread, which makes files from the pool in the
     * same order, so the purging thread does not pay for the unmap, rename or unlink of a large file. A failure shows
     * at the next purge.
     */
    private void retireOrDelete(final JournalFile file)
    {
        if (freeFiles.size() < recycleFiles)
        {
            final Path path = file.path();
            final Path free = dir.resolve(JournalFileDescriptor.FREE_PREFIX + (freeSequence++) +
                JournalFileDescriptor.FILE_SUFFIX);
            freeFiles.add(new FreeFile(free, file.release()));
            onPreparer(() -> JournalFile.rename(path, free));
        }
        else
        {
            onPreparer(file::delete);
        }
    }

    private void onPreparer(final Runnable task)
    {
        if (null == preparer)
        {
            task.run();
            return;
        }
        preparer.execute(() ->
        {
            try
            {
                task.run();
            }
            catch (final JournalException ex)
            {
                retireFailure = ex;
            }
        });
    }

    private void throwRetireFailure()
    {
        final JournalException failure = retireFailure;
        if (null != failure)
        {
            retireFailure = null;
            throw failure;
        }
    }

    /**
     * A purged file kept for reuse, with the mapping of its earlier use when it had one.
     */
    private static final class FreeFile
    {
        final Path path;
        final MappedByteBuffer mapping;

        FreeFile(final Path path, final MappedByteBuffer mapping)
        {
            this.path = path;
            this.mapping = mapping;
        }
    }

    /**
     * @param epoch the epoch in force at the tail: stamped into the header of each file that becomes the tail.
     */
    void tailEpoch(final long epoch)
    {
        tailEpoch = epoch;
    }

    /**
     * @return the epoch in force at the tail.
     */
    long tailEpoch()
    {
        return tailEpoch;
    }

    /**
     * @return purged files held for reuse.
     */
    synchronized int freeFileCount()
    {
        return freeFiles.size();
    }

    private void add(final JournalFile file)
    {
        filesByIndex.put(file.index(), file);
        if (null == newest || file.index() > newest.index())
        {
            newest = file;
        }
    }

    /**
     * @return the file with this index, creating it (and any missing predecessor back to the newest) if needed.
     */
    JournalFile fileForWrite(final long index)
    {
        final JournalFile latest = newest;
        if (null != latest && latest.index() == index)
        {
            return latest;
        }
        return fileForWriteSlow(index);
    }

    private synchronized JournalFile fileForWriteSlow(final long index)
    {
        checkOpen();
        JournalFile file = filesByIndex.get(index);
        if (null == file)
        {
            if (readOnly)
            {
                throw new JournalException(JournalException.Code.CLOSED, "journal is read-only: dir=" + dir);
            }
            if (index < firstIndex)
            {
                throw purged(index * capacity);
            }
            file = takePrepared(index);
            if (null == file)
            {
                file = newFileNow(index, tailEpoch);
            }
            else
            {
                file.epoch(tailEpoch);
            }
            add(file);
            if (index == newest.index())
            {
                prepare(index + 1);
            }
        }
        return file;
    }

    private JournalFile newFile(final FreeFile free, final long index, final long epoch)
    {
        if (null != free)
        {
            try
            {
                final JournalFile file = JournalFile.recycle(
                    free.path, free.mapping, dir, index, fileLength, journalId, mirrorName, epoch);
                recycledFiles.incrementAndGet();
                return file;
            }
            catch (final JournalException ex)
            {
                // A free file that cannot be reused (its rename failed, or it is gone) costs a new file, not an
                // append: the failure is reported by the next purge.
                retireFailure = ex;
            }
        }
        return JournalFile.create(dir, index, fileLength, journalId, mirrorName, epoch);
    }

    /**
     * Make a file on the preparer thread and wait for it, so it comes after the renames and deletions queued there.
     */
    private JournalFile newFileNow(final long index, final long epoch)
    {
        final FreeFile free = freeFiles.poll();
        if (null == preparer)
        {
            return newFile(free, index, epoch);
        }
        return await(preparer.submit(() -> newFile(free, index, epoch)), index);
    }

    /**
     * @return how many journal files were made from purged ones since open.
     */
    long recycledFiles()
    {
        return recycledFiles.get();
    }

    /**
     * Start preallocating the file after the newest on the preparer thread, so the appender that crosses into it
     * does not wait for its zeros to be written.
     */
    private void prepare(final long index)
    {
        if (null == preparer || preparedIndex == index)
        {
            return;
        }
        discardPrepared();
        preparedIndex = index;
        final FreeFile free = freeFiles.poll();
        // The epoch is provisional: the file gets the one in force when it becomes the tail.
        final long epoch = tailEpoch;
        prepared = preparer.submit(() -> newFile(free, index, epoch));
    }

    private JournalFile takePrepared(final long index)
    {
        if (preparedIndex != index || null == prepared)
        {
            return null;
        }
        final Future<JournalFile> future = prepared;
        prepared = null;
        preparedIndex = -1;
        return await(future, index);
    }

    private JournalFile await(final Future<JournalFile> future, final long index)
    {
        try
        {
            return future.get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new JournalException(JournalException.Code.IO_ERROR, "interrupted preparing journal file: dir=" +
                dir + " index=" + index, ex);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof JournalException)
            {
                throw (JournalException)cause;
            }
            throw new JournalException(JournalException.Code.IO_ERROR, "cannot prepare journal file: dir=" + dir +
                " index=" + index + " reason=" + cause, cause);
        }
    }

    private void discardPrepared()
    {
        if (null != prepared)
        {
            final Future<JournalFile> future = prepared;
            prepared = null;
            preparedIndex = -1;
            try
            {
                // Left on disk: it is a valid empty file, used or removed by recovery on the next open.
                future.get().unmap();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            catch (final ExecutionException ex)
            {
                // Nothing was added to the journal; the next switch creates the file itself.
            }
        }
    }

    /**
     * @return the newest file, or null once closed.
     */
    JournalFile newest()
    {
        return newest;
    }

    /**
     * @return the file with this index, or null when it does not exist (yet, or any more).
     */
    JournalFile fileForRead(final long index)
    {
        final JournalFile latest = newest;
        if (null != latest && latest.index() == index)
        {
            return latest;
        }
        return fileForReadSlow(index);
    }

    private synchronized JournalFile fileForReadSlow(final long index)
    {
        return isClosed ? null : filesByIndex.get(index);
    }

    /**
     * Delete files, oldest first, while {@code keep} says no. Called with the decision made under this lock, so
     * a reader that registered a lower position before the call is seen.
     */
    synchronized int deleteOldest(final FileKeeper keep)
    {
        throwRetireFailure();
        int deleted = 0;
        while (filesByIndex.size() > 1)
        {
            final Map.Entry<Long, JournalFile> oldest = filesByIndex.firstEntry();
            if (keep.mustKeep(oldest.getValue()))
            {
                break;
            }
            filesByIndex.pollFirstEntry();
            firstIndex = oldest.getKey() + 1;
            retireOrDelete(oldest.getValue());
            deleted++;
        }
        return deleted;
    }

    /**
     * Remove every file after {@code index} (recovery: they follow the journal's end). A file with nothing at its
     * base is a spare prepared ahead, not lost data: it goes to the free pool like a purged one.
     *
     * @return the number of files removed that held frames.
     */
    synchronized int deleteAfter(final long index)
    {
        int deleted = 0;
        while (!filesByIndex.isEmpty() && filesByIndex.lastKey() > index)
        {
            final JournalFile file = filesByIndex.pollLastEntry().getValue();
            if (!file.isEmpty())
            {
                deleted++;
            }
            retireOrDelete(file);
        }
        newest = filesByIndex.isEmpty() ? null : filesByIndex.lastEntry().getValue();
        return deleted;
    }

    /**
     * Decides, under the set's lock, whether the oldest file must stay.
     */
    interface FileKeeper
    {
        boolean mustKeep(JournalFile oldest);
    }

    synchronized List<JournalFile> files()
    {
        return new ArrayList<>(filesByIndex.values());
    }

    synchronized int fileCount()
    {
        return filesByIndex.size();
    }

    JournalException purged(final long lsn)
    {
        return new JournalException(JournalException.Code.LSN_PURGED, "lsn=" + lsn +
            " is purged: oldestLsnHeld=" + startLsn() + " dir=" + dir);
    }

    /**
     * @return LSN of the oldest record still held.
     */
    long startLsn()
    {
        return firstIndex * capacity;
    }

    long indexOf(final long lsn)
    {
        return lsn / capacity;
    }

    long capacity()
    {
        return capacity;
    }

    long fileLength()
    {
        return fileLength;
    }

    long journalId()
    {
        return journalId;
    }

    String mirrorName()
    {
        return mirrorName;
    }

    Path dir()
    {
        return dir;
    }

    /**
     * @return true when this open created the journal, so there is no tail to recover.
     */
    boolean isNew()
    {
        return isNew;
    }

    boolean isReadOnly()
    {
        return readOnly;
    }

    private void checkOpen()
    {
        if (isClosed)
        {
            throw new JournalException(JournalException.Code.CLOSED, "journal is closed: dir=" + dir);
        }
    }

    @Override
    public synchronized void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            discardPrepared();
            if (null != preparer)
            {
                // Let queued renames and deletions finish, so the directory holds what the pool says it holds.
                preparer.shutdown();
                try
                {
                    preparer.awaitTermination(CLOSE_TIMEOUT_S, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
            for (final JournalFile file : filesByIndex.values())
            {
                file.unmap();
            }
            for (final FreeFile free : freeFiles)
            {
                if (null != free.mapping)
                {
                    IoUtil.unmap(free.mapping);
                }
            }
            freeFiles.clear();
            filesByIndex.clear();
            newest = null;
        }
    }
}
