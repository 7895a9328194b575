package io.jmirror.harness;

import io.jmirror.journal.StatusFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * One read of a node's status file (its Agrona counters), by label. A node that is down or restarting has no
 * readable file: that reads as empty, and every value as its default.
 */
final class StatusSnapshot
{
    private final Map<String, Long> values;

    private StatusSnapshot(final Map<String, Long> values)
    {
        this.values = values;
    }

    static StatusSnapshot read(final Path dir)
    {
        if (!Files.exists(dir.resolve(StatusFile.FILE_NAME)))
        {
            return new StatusSnapshot(Map.of());
        }
        try (StatusFile file = StatusFile.openReadOnly(dir))
        {
            return new StatusSnapshot(file.snapshot());
        }
        catch (final RuntimeException ex)
        {
            return new StatusSnapshot(Map.of());
        }
    }

    long get(final String label, final long absent)
    {
        final Long value = values.get(label);
        return null == value ? absent : value;
    }

    boolean isEmpty()
    {
        return values.isEmpty();
    }

    Map<String, Long> values()
    {
        return values;
    }
}
