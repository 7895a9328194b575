package io.jmirror.harness.sim;

import io.jmirror.journal.EpochStart;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A modelled journal: records at LSNs, the durable point, and what a crash leaves of it. A crash keeps what was
 * durable and may keep a prefix of the rest (the disk wrote some pages), whose last record may be torn; recovery
 * cuts the journal at the first record that fails its checksum, as the journal's own recovery does.
 */
final class SimJournal
{
    private final List<SimRecord> records = new ArrayList<>();
    private long durableLsn;
    private boolean isCreated;

    List<SimRecord> records()
    {
        return records;
    }

    boolean exists()
    {
        return isCreated || !records.isEmpty();
    }

    void create()
    {
        isCreated = true;
    }

    long tailLsn()
    {
        return records.isEmpty() ? 0 : records.get(records.size() - 1).endLsn();
    }

    long durableLsn()
    {
        return durableLsn;
    }

    void sync()
    {
        durableLsn = tailLsn();
    }

    /**
     * @return the epoch of the last {@code EPOCH_START}, 0 when none.
     */
    long epoch()
    {
        for (int i = records.size() - 1; i >= 0; i--)
        {
            if (records.get(i).kind() == SimRecord.Kind.EPOCH_START)
            {
                return records.get(i).epoch();
            }
        }
        return 0;
    }

    List<EpochStart> epochHistory()
    {
        final List<EpochStart> history = new ArrayList<>();
        for (final SimRecord record : records)
        {
            if (record.kind() == SimRecord.Kind.EPOCH_START)
            {
                history.add(new EpochStart(record.epoch(), record.lsn(), record.member()));
            }
        }
        return history;
    }

    void append(final SimRecord record)
    {
        if (record.lsn() != tailLsn())
        {
            throw new IllegalStateException("append out of place: lsn=" + record.lsn() + " tail=" + tailLsn());
        }
        records.add(record);
        isCreated = true;
    }

    /**
     * @return the index of the record starting at {@code lsn}, or -1 when none does.
     */
    int indexAt(final long lsn)
    {
        int low = 0;
        int high = records.size() - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            final long at = records.get(mid).lsn();
            if (at == lsn)
            {
                return mid;
            }
            if (at < lsn)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return -1;
    }

    boolean isRecordStart(final long lsn)
    {
        return lsn == tailLsn() || indexAt(lsn) >= 0;
    }

    /**
     * Cut the journal at {@code lsn} (a record start).
     *
     * @return the records cut off.
     */
    List<SimRecord> truncate(final long lsn)
    {
        final List<SimRecord> cut = new ArrayList<>();
        while (!records.isEmpty() && records.get(records.size() - 1).lsn() >= lsn)
        {
            cut.add(0, records.remove(records.size() - 1));
        }
        durableLsn = Math.min(durableLsn, tailLsn());
        return cut;
    }

    /**
     * A crash: keep the durable prefix and perhaps some of the rest, the last kept record perhaps torn; then recover.
     *
     * @return records lost.
     */
    int crash(final RandomGenerator random)
    {
        final int before = records.size();
        int keep = 0;
        while (keep < records.size() && records.get(keep).endLsn() <= durableLsn)
        {
            keep++;
        }
        final int extra = records.size() - keep;
        keep += extra == 0 ? 0 : random.nextInt(extra + 1);
        while (records.size() > keep)
        {
            records.remove(records.size() - 1);
        }
        if (keep > 0 && records.get(keep - 1).endLsn() > durableLsn && random.nextBoolean())
        {
            records.set(keep - 1, records.get(keep - 1).withBitFlipped(random.nextInt(64)));
        }
        recover();
        durableLsn = tailLsn();
        return before - records.size();
    }

    /**
     * Cut at the first record beyond the durable point that fails its checksum: a torn tail. Damage below the
     * durable point is not a torn write; it stays for the apply's checksum check to find.
     */
    void recover()
    {
        for (int i = 0; i < records.size(); i++)
        {
            if (records.get(i).endLsn() > durableLsn && !records.get(i).isIntact())
            {
                truncate(records.get(i).lsn());
                return;
            }
        }
    }

    /**
     * Damage at rest: flip one bit of the record at {@code index}, its checksum left as written.
     */
    void flipBit(final int index, final int bit)
    {
        records.set(index, records.get(index).withBitFlipped(bit));
    }

    void clear()
    {
        records.clear();
        durableLsn = 0;
        isCreated = false;
    }
}
