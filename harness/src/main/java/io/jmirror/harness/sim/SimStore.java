package io.jmirror.harness.sim;

import java.util.List;
import java.util.TreeMap;

/**
 * A modelled in-memory store: node values and the applied LSN. Like the built-in in-memory store it does not survive
 * a crash: a restarted member recovers to LSN 0 and applies its journal again.
 */
final class SimStore
{
    private final TreeMap<String, Long> values = new TreeMap<>();
    private long appliedLsn;

    long appliedLsn()
    {
        return appliedLsn;
    }

    TreeMap<String, Long> values()
    {
        return values;
    }

    /**
     * Apply a record that starts at the applied LSN.
     */
    void apply(final SimRecord record)
    {
        if (record.lsn() != appliedLsn)
        {
            throw new IllegalStateException("apply out of order: lsn=" + record.lsn() + " applied=" + appliedLsn);
        }
        if (record.kind() == SimRecord.Kind.SET)
        {
            values.put(record.nodeKey(), record.value());
        }
        appliedLsn = record.endLsn();
    }

    /**
     * Bring the store to exactly the journal below {@code lsn}: undo beyond it (modelled as a replay of the prefix,
     * which is what undo from before-images leaves).
     */
    void resetTo(final List<SimRecord> journal, final long lsn)
    {
        values.clear();
        appliedLsn = 0;
        for (final SimRecord record : journal)
        {
            if (record.lsn() >= lsn)
            {
                break;
            }
            apply(record);
        }
    }

    void clear()
    {
        values.clear();
        appliedLsn = 0;
    }
}
