package io.jmirror.harness;

import java.util.Locale;

/**
 * The faults {@code soak} injects, each on a member picked by the run's seed.
 */
enum FaultKind
{
    /**
     * kill -9 the member's process, then start it again: it recovers its journal and resumes at its RocksDB store's
     * last checkpoint (or, with {@code --store memory}, replays it all into a new store).
     */
    KILL("kill"),
    /** Close the member's TCP connections in the proxy; it reconnects and resumes. */
    DROP("drop"),
    /** The proxy holds every byte both ways for longer than the QoS timeout: a silent link. */
    BLACKHOLE("blackhole"),
    /** The proxy holds each chunk for a while: a slow, laggy link. */
    DELAY("delay"),
    /** The member stops acking for longer than the QoS timeout: a backup goes to TROUBLE. */
    STALL_ACKS("stall-acks"),
    /** The primary cuts the member's session itself. */
    CUT("cut");

    private final String optionName;

    FaultKind(final String optionName)
    {
        this.optionName = optionName;
    }

    String optionName()
    {
        return optionName;
    }

    static FaultKind fromOptionName(final String name)
    {
        for (final FaultKind kind : values())
        {
            if (kind.optionName.equals(name.toLowerCase(Locale.ROOT)))
            {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown fault '" + name +
            "': use kill, drop, blackhole, delay, stall-acks or cut");
    }
}
