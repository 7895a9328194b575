package io.jmirror.harness;

import java.util.Locale;

/**
 * Which store a member node applies to ({@code --store}).
 */
enum StoreKind
{
    /** A {@link io.jmirror.dejournal.RocksDbTarget} under the node's directory: a restart resumes at its checkpoint. */
    ROCKSDB("rocksdb"),
    /** The in-memory {@link io.jmirror.dejournal.GlobalStore}: empty at every start, so a restart replays it all. */
    MEMORY("memory");

    private final String optionName;

    StoreKind(final String optionName)
    {
        this.optionName = optionName;
    }

    String optionName()
    {
        return optionName;
    }

    static StoreKind fromOptionName(final String name)
    {
        for (final StoreKind kind : values())
        {
            if (kind.optionName.equals(name.toLowerCase(Locale.ROOT)))
            {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown store '" + name + "': use rocksdb or memory");
    }
}
