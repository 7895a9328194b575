package io.jmirror.shipper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The primary's record of each member's position (the LSN from which it still needs the journal), kept in the journal
 * directory so that a restarted primary still holds the files a member needs: without it, a primary that restarts
 * knows no member until each reconnects, and a purge in between could delete files a member has not received.
 * <p>
 * A small text file, written whole to a temporary file, forced to disk and renamed over the old one, so a crash
 * leaves the old file or the new one, never a mix:
 * <pre>
 *   jmirror-member-positions 1
 *   epoch TAB EPOCH       the primary's epoch when it wrote the file
 *   NAME TAB LSN          one line per member
 *   crc32c TAB HEX        CRC32C of every line above, with their line ends
 * </pre>
 * Within an epoch positions only grow, and the file is written before the journal purges, so a position read back is
 * at or below the member's real one: the files it keeps are a superset of those the member needs. Across epochs that
 * no longer holds (a member may have cut its journal back at a divergence), so the epoch is kept with them. File I/O
 * only; the primary decides what to keep.
 */
final class MemberPositions
{
    /** The file's name in the journal directory. */
    static final String FILE_NAME = "member-positions";
    private static final String HEADER = "jmirror-member-positions 1";
    private static final String CRC_PREFIX = "crc32c\t";
    private static final String EPOCH_PREFIX = "epoch\t";
    private static final String TMP_SUFFIX = ".tmp";

    private final Path file;

    /**
     * @param journalDir the primary's journal directory.
     */
    MemberPositions(final Path journalDir)
    {
        this.file = journalDir.resolve(FILE_NAME);
    }

    /**
     * @return the file.
     */
    Path file()
    {
        return file;
    }

    /**
     * What the file holds.
     *
     * @param epoch     the primary's epoch when it wrote them; -1 when there is no file.
     * @param positions each member's position, in the order written.
     */
    record Persisted(long epoch, Map<String, Long> positions)
    {
    }

    /**
     * @return the positions as last written; none, at epoch -1, when there is no file yet.
     * @throws ShipperException IO_ERROR naming the file and the line when it cannot be read or is not well formed.
     */
    Persisted read()
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            return new Persisted(-1, new LinkedHashMap<>());
        }
        catch (final IOException ex)
        {
            throw bad("cannot read: reason=" + ex, 0);
        }
        if (lines.isEmpty() || !HEADER.equals(lines.get(0)))
        {
            throw bad("not a member positions file (expected the header '" + HEADER + "')", 1);
        }
        final int crcLine = lines.size() - 1;
        if (crcLine < 2 || !lines.get(crcLine).startsWith(CRC_PREFIX))
        {
            throw bad("no checksum line at the end (a torn or truncated file)", lines.size());
        }
        final CRC32C crc = new CRC32C();
        for (int i = 0; i < crcLine; i++)
        {
            crc.update((lines.get(i) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        final String expected = lines.get(crcLine).substring(CRC_PREFIX.length());
        if (!Long.toHexString(crc.getValue()).equals(expected))
        {
            throw bad("checksum mismatch: expected=" + expected + " actual=" + Long.toHexString(crc.getValue()),
                crcLine + 1);
        }
        final long epoch;
        try
        {
            if (!lines.get(1).startsWith(EPOCH_PREFIX))
            {
                throw new NumberFormatException("no epoch line");
            }
            epoch = Long.parseLong(lines.get(1).substring(EPOCH_PREFIX.length()));
        }
        catch (final NumberFormatException ex)
        {
            throw bad("bad epoch line '" + lines.get(1) + "': " + ex.getMessage(), 2);
        }
        final Map<String, Long> positions = new LinkedHashMap<>();
        for (int i = 2; i < crcLine; i++)
        {
            final String line = lines.get(i);
            final int tab = line.indexOf('\t');
            try
            {
                final long lsn = Long.parseLong(line.substring(tab + 1));
                if (tab <= 0 || lsn < 0)
                {
                    throw new NumberFormatException("member name and a non-negative LSN expected");
                }
                positions.put(line.substring(0, tab), lsn);
            }
            catch (final NumberFormatException ex)
            {
                throw bad("bad member line '" + line + "': " + ex.getMessage(), i + 1);
            }
        }
        return new Persisted(epoch, positions);
    }

    /**
     * Replace the file with these positions, atomically and durably.
     *
     * @param epoch     the primary's epoch.
     * @param positions each member's position.
     * @throws ShipperException IO_ERROR naming the file when it cannot be written; the old file stays.
     */
    void write(final long epoch, final Map<String, Long> positions)
    {
        final StringBuilder text = new StringBuilder().append(HEADER).append('\n')
            .append(EPOCH_PREFIX).append(epoch).append('\n');
        for (final Map.Entry<String, Long> entry : positions.entrySet())
        {
            final String name = entry.getKey();
            if (name.isEmpty() || name.indexOf('\t') >= 0 || name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0)
            {
                throw new ShipperException(ShipperException.Code.INVALID_CONFIG,
                    "member name cannot be written to the positions file: member=" + name + " file=" + file);
            }
            text.append(name).append('\t').append(entry.getValue()).append('\n');
        }
        final CRC32C crc = new CRC32C();
        crc.update(text.toString().getBytes(StandardCharsets.UTF_8));
        text.append(CRC_PREFIX).append(Long.toHexString(crc.getValue())).append('\n');
        final Path tmp = file.resolveSibling(FILE_NAME + TMP_SUFFIX);
        try
        {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING))
            {
                final ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
                while (bytes.remaining() > 0)
                {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory();
        }
        catch (final IOException ex)
        {
            throw new ShipperException(ShipperException.Code.IO_ERROR, "cannot write the member positions: file=" +
                file + " reason=" + ex, ex);
        }
    }

    /**
     * The rename is durable once the directory is: where the platform cannot open a directory, it is skipped.
     */
    private void forceDirectory()
    {
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ))
        {
            dir.force(true);
        }
        catch (final IOException ex)
        {
            // Not every platform can force a directory; the file itself is forced.
        }
    }

    private ShipperException bad(final String what, final int line)
    {
        return new ShipperException(ShipperException.Code.IO_ERROR, "bad member positions file: " + what + ": file=" +
            file + " line=" + line);
    }
}
