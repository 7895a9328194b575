package io.jmirror.harness;

import io.jmirror.journal.StatusCounter;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One read of a node's status file (its Agrona counters), decoded by type id and key. A node that is down or
 * restarting has no readable file: that reads as empty, and every value as its default.
 */
final class StatusSnapshot
{
    private final List<StatusCounter> counters;

    private StatusSnapshot(final List<StatusCounter> counters)
    {
        this.counters = counters;
    }

    static StatusSnapshot read(final Path dir)
    {
        if (!Files.exists(dir.resolve(StatusFile.FILE_NAME)))
        {
            return new StatusSnapshot(List.of());
        }
        try (StatusFile file = StatusFile.openReadOnly(dir))
        {
            return new StatusSnapshot(file.counters());
        }
        catch (final RuntimeException ex)
        {
            return new StatusSnapshot(List.of()); // a node restarting: its file is being replaced
        }
    }

    long get(final StatusCounterType type, final String name, final long absent)
    {
        for (final StatusCounter counter : counters)
        {
            if (counter.type() == type && counter.name().equals(name))
            {
                return counter.value();
            }
        }
        return absent;
    }

    boolean isEmpty()
    {
        return counters.isEmpty();
    }

    List<StatusCounter> counters()
    {
        return counters;
    }
}
