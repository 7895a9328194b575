package io.jmirror.harness;

import java.util.Locale;

/**
 * The faults {@code soak} injects, each on a member, link or process picked by the run's seed. The first six are for
 * the soak without failover ({@code --no-failover}: a fixed primary, a backup and asyncs); the rest are for the
 * failover soak, the default.
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
    CUT("cut"),

    /** kill -9 the primary: the backup takes over; the old primary restarts and rejoins as backup. */
    KILL_PRIMARY("kill-primary", true),
    /** kill -9 the arbiter, then start it again: it resumes from its persisted record. */
    KILL_ARBITER("kill-arbiter", true),
    /** Cut both directions of one pair: primary-backup, primary-arbiter, backup-arbiter or primary-DR. */
    PARTITION("partition", true),
    /** Hold the bytes of one direction of one pair: one side hears the other, not the reverse. */
    ONE_WAY("one-way", true),
    /** SIGSTOP the primary for longer than the QoS timeout, then SIGCONT: a stalled VM. */
    STALL_PRIMARY("stall-primary", true),
    /** kill -9 a backup or DR member, flip a bit in a record of its journal, restart it. */
    BIT_FLIP("bit-flip", true),
    /** kill -9 the primary while it writes and tear its last journal record, then restart it. */
    TORN_WRITE("torn-write", true);

    private final String optionName;
    private final boolean failover;

    FaultKind(final String optionName)
    {
        this(optionName, false);
    }

    FaultKind(final String optionName, final boolean failover)
    {
        this.optionName = optionName;
        this.failover = failover;
    }

    /**
     * @return true for the kinds of the failover soak.
     */
    boolean isFailover()
    {
        return failover;
    }

    /**
     * @return the kinds of the failover soak, or of the soak without failover.
     */
    static java.util.List<FaultKind> kinds(final boolean failover)
    {
        return java.util.Arrays.stream(values()).filter((k) -> k.failover == failover).toList();
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
        throw new IllegalArgumentException("unknown fault '" + name + "': use kill-primary, kill-arbiter, partition, " +
            "one-way, stall-primary, bit-flip or torn-write (with --no-failover: kill, drop, blackhole, delay, " +
            "stall-acks or cut)");
    }
}
