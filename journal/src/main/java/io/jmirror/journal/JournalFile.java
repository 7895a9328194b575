package io.jmirror.journal;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.CRC32C;

import static io.jmirror.journal.JournalFileDescriptor.*;

/**
 * One memory-mapped journal file: its header, its mapping and its force. File I/O only; knows nothing of
 * appenders or readers, so it can be tested on its own.
 */
final class JournalFile
{
    /** Suffix of a file being preallocated; such leftovers of a crash are deleted on open. */
    static final String TMP_SUFFIX = ".tmp";
    private static final int PAGE_SIZE = 4096;

    private final Path path;
    private final long index;
    private final long baseLsn;
    private final long fileLength;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final boolean readOnly;
    private volatile boolean isUnmapped;

    private JournalFile(
        final Path path,
        final long index,
        final long baseLsn,
        final long fileLength,
        final MappedByteBuffer mapped,
        final boolean readOnly)
    {
        this.path = path;
        this.index = index;
        this.baseLsn = baseLsn;
        this.fileLength = fileLength;
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        this.readOnly = readOnly;
    }

    /**
     * Create a new file, preallocated and with every page already mapped, then write its header. It is built under a
     * temporary name and renamed into place, so a crash never leaves a half-made file under a journal name.
     * <p>
     * Preallocation writes one byte into every page through the mapping. The kernel allocates and zeroes the pages
     * and fills this process's page tables now, on the thread that prepares the file, so appenders later write to
     * resident pages without taking a fault each (a fault costs microseconds on virtual machines, more than an
     * append), and a full disk shows up here as an error instead of as a fault in an appender.
     */
    static JournalFile create(
        final Path dir,
        final long index,
        final long fileLength,
        final long journalId,
        final String mirrorName,
        final long epoch)
    {
        final long baseLsn = index * capacity(fileLength);
        final Path path = dir.resolve(fileName(baseLsn));
        final Path tmp = dir.resolve(fileName(baseLsn) + TMP_SUFFIX);
        try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw"))
        {
            raf.setLength(0);
            raf.setLength(fileLength);
            final MappedByteBuffer mapped = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, fileLength);
            final JournalFile file = new JournalFile(path, index, baseLsn, fileLength, mapped, false);
            file.touchPages();
            file.writeHeader(journalId, mirrorName, epoch);
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
            return file;
        }
        catch (final IOException | InternalError ex)
        {
            // An InternalError is how the JVM reports a fault while touching a mapped page, e.g. a full disk.
            throw failed(ex, tmp, "cannot create journal file: file=" + path + " fileLength=" + fileLength);
        }
    }

    /**
     * Make a purged file the journal file {@code index}: zero it through its mapping, write its header and rename it
     * into place. Its pages are usually still in the page cache, so this costs a memory fill instead of the kernel
     * allocating and zeroing fresh pages, which is what holds appends back on a new file. Zeroing keeps the rule that
     * a non-zero frame length is a frame this journal's writer published; should a crash lose the zeros, every stale
     * frame names an LSN of its earlier use, so recovery and readers never take it for a record.
     *
     * @param mapping the free file's mapping kept from its earlier use (see {@link #release()}), or null to map it.
     *                A kept mapping's page tables are still filled in, so zeroing and appending take no page fault
     *                per page, and a mapping follows its file across renames.
     */
    static JournalFile recycle(
        final Path free,
        final MappedByteBuffer mapping,
        final Path dir,
        final long index,
        final long fileLength,
        final long journalId,
        final String mirrorName,
        final long epoch)
    {
        final long baseLsn = index * capacity(fileLength);
        final Path path = dir.resolve(fileName(baseLsn));
        MappedByteBuffer mapped = mapping;
        try
        {
            if (null == mapped)
            {
                mapped = map(free, fileLength);
            }
            final JournalFile file = new JournalFile(path, index, baseLsn, fileLength, mapped, false);
            file.zero();
            file.writeHeader(journalId, mirrorName, epoch);
            Files.move(free, path, StandardCopyOption.ATOMIC_MOVE);
            return file;
        }
        catch (final IOException | InternalError ex)
        {
            if (null != mapped)
            {
                IoUtil.unmap(mapped);
            }
            throw failed(ex, free, "cannot reuse journal file: file=" + free + " as=" + path);
        }
    }

    /**
     * A file that could not be made a journal file: delete what is left of it, and say what failed.
     */
    private static JournalException failed(final Throwable ex, final Path leftover, final String what)
    {
        try
        {
            Files.deleteIfExists(leftover);
        }
        catch (final IOException suppressed)
        {
            ex.addSuppressed(suppressed);
        }
        return new JournalException(JournalException.Code.IO_ERROR, what + " reason=" + ex, ex);
    }

    private static MappedByteBuffer map(final Path free, final long fileLength) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(free.toFile(), "rw"))
        {
            if (raf.length() != fileLength)
            {
                throw new IOException("free file has another length: length=" + raf.length() + " expected=" +
                    fileLength);
            }
            return raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, fileLength);
        }
    }

    private void zero()
    {
        buffer.setMemory(0, (int)fileLength, (byte)0);
    }

    /**
     * Give up this file's mapping without unmapping it, for a later {@link #recycle} to use: this object no longer
     * forces or unmaps it. Unmapping a mapping this large on the thread that purges costs it the kernel's walk of
     * every dirty page; reusing it spares the next file a page fault per page.
     *
     * @return the mapping.
     */
    MappedByteBuffer release()
    {
        isUnmapped = true;
        return mapped;
    }

    /**
     * Rename a purged file, whose mapping {@link #release()} gave up, to {@code free}.
     */
    static void rename(final Path path, final Path free)
    {
        try
        {
            Files.move(path, free, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR, "cannot keep journal file for reuse: file=" +
                path + " as=" + free + " reason=" + ex, ex);
        }
    }

    private void touchPages()
    {
        for (long offset = 0; offset < fileLength; offset += PAGE_SIZE)
        {
            buffer.putByte((int)offset, (byte)0);
        }
    }

    /**
     * Map an existing file and check its header against the journal it belongs to.
     *
     * @param journalId  expected journal id, or 0 to accept the file's.
     * @param mirrorName expected mirror name, or null to accept the file's.
     */
    static JournalFile open(final Path path, final long journalId, final String mirrorName, final boolean readOnly)
    {
        final long nameBaseLsn = parseBaseLsn(path);
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), readOnly ? "r" : "rw"))
        {
            final long length = raf.length();
            if (length < MIN_FILE_LENGTH || length > MAX_FILE_LENGTH)
            {
                throw corruptHeader(path, "length=" + length + " outside [" + MIN_FILE_LENGTH + ", " +
                    MAX_FILE_LENGTH + "]");
            }

            final MappedByteBuffer mapped = raf.getChannel().map(
                readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0, length);
            final UnsafeBuffer header = new UnsafeBuffer(mapped);
            checkHeader(path, header, length, nameBaseLsn, journalId, mirrorName);
            final long baseLsn = header.getLong(BASE_LSN_OFFSET);
            return new JournalFile(path, baseLsn / capacity(length), baseLsn, length, mapped, readOnly);
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR,
                "cannot open journal file: file=" + path + " reason=" + ex, ex);
        }
    }

    private static void checkHeader(
        final Path path,
        final UnsafeBuffer header,
        final long length,
        final long nameBaseLsn,
        final long journalId,
        final String mirrorName)
    {
        if (header.getLong(MAGIC_OFFSET) != MAGIC)
        {
            throw corruptHeader(path, "bad magic: magic=0x" + Long.toHexString(header.getLong(MAGIC_OFFSET)));
        }
        final int version = header.getInt(FORMAT_VERSION_OFFSET);
        if (version != FORMAT_VERSION)
        {
            throw new JournalException(JournalException.Code.UNSUPPORTED_VERSION, "journal file of another format " +
                "version, not read: file=" + path + " version=" + version + " supported=" + FORMAT_VERSION);
        }
        final int expectedChecksum = header.getInt(HEADER_CHECKSUM_OFFSET);
        final int actualChecksum = headerChecksum(header);
        if (expectedChecksum != actualChecksum)
        {
            throw corruptHeader(path, "bad header checksum: expected=" + expectedChecksum + " actual=" +
                actualChecksum);
        }
        final long fileLength = header.getLong(FILE_LENGTH_OFFSET);
        final long baseLsn = header.getLong(BASE_LSN_OFFSET);
        if (fileLength != length || baseLsn != nameBaseLsn || baseLsn % capacity(fileLength) != 0)
        {
            throw corruptHeader(path, "header disagrees with file: headerFileLength=" + fileLength + " length=" +
                length + " headerBaseLsn=" + baseLsn + " nameBaseLsn=" + nameBaseLsn);
        }
        final long fileJournalId = header.getLong(JOURNAL_ID_OFFSET);
        if (journalId != 0 && fileJournalId != journalId)
        {
            throw new JournalException(JournalException.Code.INVALID_LAYOUT, "journal file of another journal: file=" +
                path + " journalId=" + fileJournalId + " expected=" + journalId);
        }
        final String fileMirrorName = mirrorName(header);
        if (null != mirrorName && !fileMirrorName.equals(mirrorName))
        {
            throw new JournalException(JournalException.Code.INVALID_LAYOUT, "journal file of another mirror: file=" +
                path + " mirrorName=" + fileMirrorName + " expected=" + mirrorName);
        }
    }

    private static JournalException corruptHeader(final Path path, final String reason)
    {
        return new JournalException(JournalException.Code.CORRUPT_HEADER, reason + ": file=" + path);
    }

    private void writeHeader(final long journalId, final String mirrorName, final long epoch)
    {
        final byte[] name = mirrorName.getBytes(StandardCharsets.UTF_8);
        buffer.setMemory(0, HEADER_LENGTH, (byte)0);
        buffer.putLong(MAGIC_OFFSET, MAGIC);
        buffer.putInt(FORMAT_VERSION_OFFSET, FORMAT_VERSION);
        buffer.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        buffer.putLong(FILE_LENGTH_OFFSET, fileLength);
        buffer.putLong(BASE_LSN_OFFSET, baseLsn);
        buffer.putLong(JOURNAL_ID_OFFSET, journalId);
        buffer.putInt(MIRROR_NAME_LENGTH_OFFSET, name.length);
        buffer.putBytes(MIRROR_NAME_OFFSET, name);
        buffer.putLong(EPOCH_OFFSET, epoch);
        buffer.putInt(HEADER_CHECKSUM_OFFSET, headerChecksum(buffer));
    }

    /**
     * Stamp the epoch in force at this file's base LSN, when the file becomes the journal's tail.
     */
    void epoch(final long epoch)
    {
        if (buffer.getLong(EPOCH_OFFSET) != epoch)
        {
            buffer.putLong(EPOCH_OFFSET, epoch);
            buffer.putInt(HEADER_CHECKSUM_OFFSET, headerChecksum(buffer));
        }
    }

    /**
     * @return the epoch of the file's first record, from its header.
     */
    long epoch()
    {
        return buffer.getLong(EPOCH_OFFSET);
    }

    /**
     * @return true when no frame has been written at the file's base.
     */
    boolean isEmpty()
    {
        return buffer.getIntVolatile(HEADER_LENGTH) == 0;
    }

    private static int headerChecksum(final UnsafeBuffer header)
    {
        final CRC32C crc = new CRC32C();
        final ByteBuffer view = header.byteBuffer().duplicate();
        view.limit(HEADER_CHECKSUM_OFFSET).position(0);
        crc.update(view);
        return (int)crc.getValue();
    }

    static String mirrorName(final UnsafeBuffer header)
    {
        final int length = Math.min(Math.max(header.getInt(MIRROR_NAME_LENGTH_OFFSET), 0), MAX_MIRROR_NAME_LENGTH);
        return header.getStringWithoutLengthUtf8(MIRROR_NAME_OFFSET, length);
    }

    Path path()
    {
        return path;
    }

    long index()
    {
        return index;
    }

    long baseLsn()
    {
        return baseLsn;
    }

    long endLsn()
    {
        return baseLsn + capacity(fileLength);
    }

    long fileLength()
    {
        return fileLength;
    }

    long journalId()
    {
        return buffer.getLong(JOURNAL_ID_OFFSET);
    }

    String mirrorName()
    {
        return mirrorName(buffer);
    }

    /**
     * @return the whole mapped file; frame offsets are {@link #offsetOf(long)}.
     */
    UnsafeBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return the mapping itself, for zero-copy slices.
     */
    MappedByteBuffer mappedBuffer()
    {
        return mapped;
    }

    /**
     * @param lsn an LSN inside this file.
     * @return its byte offset in the file.
     */
    int offsetOf(final long lsn)
    {
        return (int)(lsn - baseLsn) + HEADER_LENGTH;
    }

    boolean isReadOnly()
    {
        return readOnly;
    }

    /**
     * Force the records in {@code [fromLsn, toLsn)} (clamped to this file) to stable storage.
     */
    void force(final long fromLsn, final long toLsn)
    {
        final long from = Math.max(fromLsn, baseLsn);
        final long to = Math.min(toLsn, endLsn());
        if (to > from && !readOnly && !isUnmapped)
        {
            final int offset = offsetOf(from);
            mapped.force(offset, (int)(to - from));
        }
    }

    /**
     * Zero every non-zero byte from {@code fromOffset} to the file's end. Used by recovery to remove what follows a
     * torn record. The file is scanned with channel reads, not through the mapping: touching a never-written page of
     * the mapping would map the zero page only for the next append to fault again, and a fresh file is mostly such
     * pages. Only chunks holding data are rewritten.
     *
     * @return the number of bytes that were not zero.
     */
    long zeroFrom(final int fromOffset)
    {
        final int chunkLength = 1024 * 1024;
        final ByteBuffer chunk = ByteBuffer.allocateDirect(chunkLength);
        final UnsafeBuffer chunkView = new UnsafeBuffer(chunk);
        long nonZero = 0;
        try (FileChannel channel = FileChannel.open(path, java.nio.file.StandardOpenOption.READ))
        {
            long position = fromOffset;
            while (position < fileLength)
            {
                chunk.clear().limit((int)Math.min(chunkLength, fileLength - position));
                int read = 0;
                while (chunk.hasRemaining())
                {
                    final int n = channel.read(chunk, position + read);
                    if (n < 0)
                    {
                        break;
                    }
                    read += n;
                }
                for (int i = 0; i < read; i += RecordDescriptor.ALIGNMENT)
                {
                    if (chunkView.getLong(i) != 0)
                    {
                        nonZero += RecordDescriptor.ALIGNMENT;
                        buffer.putLong((int)(position + i), 0);
                    }
                }
                position += chunkLength;
            }
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR,
                "cannot scan journal file tail: file=" + path + " reason=" + ex, ex);
        }
        finally
        {
            org.agrona.BufferUtil.free(chunk);
        }
        if (nonZero > 0)
        {
            mapped.force(fromOffset, (int)(fileLength - fromOffset));
        }
        return nonZero;
    }

    long lastModifiedMs()
    {
        try
        {
            return Files.getLastModifiedTime(path).toMillis();
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }

    /**
     * Release the mapping. Callers guarantee no reader or writer still touches it.
     */
    void unmap()
    {
        if (!isUnmapped)
        {
            isUnmapped = true;
            IoUtil.unmap(mapped);
        }
    }

    void delete()
    {
        unmap();
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR,
                "cannot delete journal file: file=" + path + " reason=" + ex, ex);
        }
    }

    @Override
    public String toString()
    {
        return path.getFileName().toString();
    }
}
