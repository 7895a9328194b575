package io.jmirror.journal;

import java.nio.file.Path;

/**
 * Layout and naming of journal files. Every file is preallocated to the journal's file length and starts with a
 * fixed header; its records follow. The header is derived only from the journal's identity, the file's base LSN and
 * the epoch in force there, so a member that writes the same LSNs produces a byte-identical file.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  Magic "JMIRJRNL" (8 bytes)                   |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Format Version                         |  8
 *  +---------------------------------------------------------------+
 *  |                        Header Length                          | 12
 *  +---------------------------------------------------------------+
 *  |                         File Length                           | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Base LSN                             | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                         Journal Id                            | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Mirror Name Length                       | 40
 *  +---------------------------------------------------------------+
 *  |                  Mirror Name (UTF-8, 64 bytes)                | 44
 *  |                             ...                               |
 *  +---------------------------------------------------------------+
 *  |                        Reserved (zero)                        | 108
 *  +---------------------------------------------------------------+
 *  |                  Epoch (in force at Base LSN)                 | 112
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    Header Checksum (CRC32C)                   | 120
 *  +---------------------------------------------------------------+
 *  |                        Reserved (zero)                        | 124
 *  +---------------------------------------------------------------+
 * </pre>
 * <ul>
 *   <li><b>Format Version</b>: 2. A file of any other version is refused on open, naming the file and both
 *   versions; it is never read as this one.</li>
 *   <li><b>Epoch</b>: the epoch of the file's first record, that is of the newest {@code EPOCH_START} at or before
 *   the base LSN (0 before the first). It is stamped when the file becomes the journal's tail, so a file prepared
 *   ahead gets it then. Epochs only grow from file to file; a file whose epoch disagrees with the records before it
 *   is damage.</li>
 *   <li><b>Header Checksum</b>: CRC32C of bytes {@code [0, 120)}.</li>
 * </ul>
 * Files are named {@code journal-<base LSN as 16 hex digits>.jrn}, so names sort in journal order. Every file
 * holds {@code fileLength - HEADER_LENGTH} bytes of records, so file {@code i} starts at LSN
 * {@code i * capacity}.
 */
public final class JournalFileDescriptor
{
    /** "JMIRJRNL" read as a little-endian long. */
    public static final long MAGIC = 0x4C4E524A52494D4AL;
    public static final int FORMAT_VERSION = 2;
    public static final int HEADER_LENGTH = 128;
    public static final int MAX_MIRROR_NAME_LENGTH = 64;

    public static final int MAGIC_OFFSET = 0;
    public static final int FORMAT_VERSION_OFFSET = 8;
    public static final int HEADER_LENGTH_OFFSET = 12;
    public static final int FILE_LENGTH_OFFSET = 16;
    public static final int BASE_LSN_OFFSET = 24;
    public static final int JOURNAL_ID_OFFSET = 32;
    public static final int MIRROR_NAME_LENGTH_OFFSET = 40;
    public static final int MIRROR_NAME_OFFSET = 44;
    public static final int EPOCH_OFFSET = 112;
    public static final int HEADER_CHECKSUM_OFFSET = 120;

    /** Smallest file length accepted: a header and room for a few small records. */
    public static final long MIN_FILE_LENGTH = 4096;
    /** Largest file length: offsets inside a file are ints. */
    public static final long MAX_FILE_LENGTH = 1L << 30;

    static final String FILE_PREFIX = "journal-";
    static final String FILE_SUFFIX = ".jrn";
    /** Prefix of a purged file kept for reuse: {@code free-<n>.jrn}. */
    static final String FREE_PREFIX = "free-";

    private JournalFileDescriptor()
    {
    }

    /**
     * @param fileLength the journal's file length.
     * @return bytes of records one file holds.
     */
    public static long capacity(final long fileLength)
    {
        return fileLength - HEADER_LENGTH;
    }

    /**
     * @param baseLsn LSN of the file's first record.
     * @return the file name.
     */
    public static String fileName(final long baseLsn)
    {
        return FILE_PREFIX + String.format("%016x", baseLsn) + FILE_SUFFIX;
    }

    /**
     * @param path a path that may name a journal file.
     * @return the base LSN in its name, or -1 when it is not a journal file name.
     */
    public static long parseBaseLsn(final Path path)
    {
        final String name = path.getFileName().toString();
        if (!name.startsWith(FILE_PREFIX) || !name.endsWith(FILE_SUFFIX) ||
            name.length() != FILE_PREFIX.length() + 16 + FILE_SUFFIX.length())
        {
            return -1;
        }

        try
        {
            return Long.parseUnsignedLong(name.substring(FILE_PREFIX.length(), FILE_PREFIX.length() + 16), 16);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }
}
