package io.jmirror.mirror;

import java.util.Map;

/**
 * Where the arbiter keeps its records. The arbiter answers only after {@link #save} returned, so a decision it
 * announced survives its crash. An interface so that the simulation can give the arbiter a disk that fails or
 * loses unsynced writes.
 */
public interface ArbiterStore
{
    /**
     * @return every mirror's record, by mirror name; empty for a new arbiter.
     * @throws io.jmirror.shipper.ShipperException or another runtime exception naming the file when the stored
     *                                             state cannot be read: the arbiter must not start from a guess.
     */
    Map<String, ArbiterRecord> load();

    /**
     * Make every record durable, replacing what was stored.
     *
     * @param records every mirror's record.
     */
    void save(Map<String, ArbiterRecord> records);
}
