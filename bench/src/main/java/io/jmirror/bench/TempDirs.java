package io.jmirror.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Temporary directories for benchmark stores. Every store a benchmark creates is deleted at its teardown,
 * so repeated runs do not fill the disk with multi-gigabyte journals.
 */
final class TempDirs
{
    private TempDirs()
    {
    }

    /**
     * Creates a new directory under {@code java.io.tmpdir}; a fork can move it with
     * {@code -Djava.io.tmpdir=...} (for example to a tmpfs, to take the disk out of the figure).
     *
     * @param prefix start of the directory's name, naming the benchmark that owns it.
     * @return the new directory.
     */
    static Path create(final String prefix)
    {
        try
        {
            return Files.createTempDirectory(prefix);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create temp dir: prefix=" + prefix, ex);
        }
    }

    /**
     * Deletes a directory and everything under it; a missing or null directory is not an error, so that a
     * teardown after a failed setup does not hide the setup's failure.
     *
     * @param dir the directory, or null.
     */
    static void delete(final Path dir)
    {
        if (null == dir || !Files.exists(dir))
        {
            return;
        }

        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : (Iterable<Path>)paths.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot delete temp dir: dir=" + dir, ex);
        }
    }
}
