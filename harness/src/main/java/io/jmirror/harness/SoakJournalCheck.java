package io.jmirror.harness;

import io.jmirror.journal.JournalFileDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The soak's byte-for-byte check of journals: a CRC32C of a node's journal records over a range of LSNs, read from
 * its files at rest (each file holds {@code fileLength - HEADER_LENGTH} bytes of the stream after its header). Two
 * members that hold the same records up to the primary's end have the same sum, whatever their file headers say.
 * Nodes purge their journals, so the range starts where every node compared still holds it
 * ({@link #oldestLsn(Path)}).
 */
final class SoakJournalCheck
{
    private static final int CHUNK = 1 << 20;

    private SoakJournalCheck()
    {
    }

    /**
     * @return the sum of the journal's bytes in {@code [0, toLsn)}.
     * @throws IllegalStateException naming the directory when a file is missing or too short for the range.
     */
    static long crc(final Path journalDir, final long toLsn) throws IOException
    {
        return crc(journalDir, 0, toLsn);
    }

    /**
     * @return the LSN the journal's oldest file starts at: 0 until the node purges.
     */
    static long oldestLsn(final Path journalDir) throws IOException
    {
        final List<Path> files = files(journalDir);
        return files.isEmpty() ? 0 : JournalFileDescriptor.parseBaseLsn(files.get(0));
    }

    private static List<Path> files(final Path journalDir) throws IOException
    {
        try (Stream<Path> list = Files.list(journalDir))
        {
            return list.filter((p) -> p.getFileName().toString().startsWith("journal-"))
                .sorted((a, b) -> Long.compare(JournalFileDescriptor.parseBaseLsn(a),
                    JournalFileDescriptor.parseBaseLsn(b))).toList();
        }
    }

    /**
     * @param fromLsn a file boundary the journal holds (the {@link #oldestLsn(Path)} of the node that purged most).
     * @return the sum of the journal's bytes in {@code [fromLsn, toLsn)}.
     * @throws IllegalStateException naming the directory when a file is missing or too short for the range.
     */
    static long crc(final Path journalDir, final long fromLsn, final long toLsn) throws IOException
    {
        final CRC32C crc = new CRC32C();
        final ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        long lsn = fromLsn;
        for (final Path file : files(journalDir))
        {
            final long base = JournalFileDescriptor.parseBaseLsn(file);
            if (lsn >= toLsn)
            {
                break;
            }
            if (base < lsn)
            {
                continue; // before the range: older than what another node still holds
            }
            if (base != lsn)
            {
                throw new IllegalStateException("journal has a gap or does not start at " + fromLsn + ": dir=" +
                    journalDir + " expected a file at lsn=" + lsn + " found " + file.getFileName());
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
            {
                final long capacity = channel.size() - JournalFileDescriptor.HEADER_LENGTH;
                final long end = Math.min(toLsn, base + capacity);
                while (lsn < end)
                {
                    buffer.clear().limit((int)Math.min(CHUNK, end - lsn));
                    final int read = channel.read(buffer, JournalFileDescriptor.HEADER_LENGTH + lsn - base);
                    if (read <= 0)
                    {
                        throw new IllegalStateException("journal file too short: file=" + file + " lsn=" + lsn);
                    }
                    crc.update(buffer.flip());
                    lsn += read;
                }
            }
        }
        if (lsn < toLsn)
        {
            throw new IllegalStateException("journal ends before lsn=" + toLsn + ": dir=" + journalDir + " end=" + lsn);
        }
        return crc.getValue();
    }
}
