package io.jmirror.dejournal;

import io.jmirror.journal.RecordType;
import org.agrona.collections.Long2LongHashMap;

/**
 * The transactions the journal has started and not yet committed or rolled back, as the dispatcher reads the
 * journal: their count and the LSN of the oldest TSTART, for status. Updated on the dispatcher thread (once per
 * transaction marker, not per record); read from any thread.
 */
final class OpenTransactions
{
    private final Long2LongHashMap startLsns = new Long2LongHashMap(-1);
    private volatile int count;
    private volatile long oldestStartLsn = -1;

    /**
     * @param type          TSTART, TCOMMIT or TROLLBACK.
     * @param transactionId the marker's transaction.
     * @param lsn           the marker's LSN.
     */
    void onMarker(final RecordType type, final long transactionId, final long lsn)
    {
        if (type == RecordType.TSTART)
        {
            startLsns.put(transactionId, lsn);
        }
        else
        {
            startLsns.remove(transactionId);
        }
        count = startLsns.size();
        long oldest = -1;
        final Long2LongHashMap.ValueIterator values = startLsns.values().iterator();
        while (values.hasNext())
        {
            final long startLsn = values.nextValue();
            if (oldest < 0 || startLsn < oldest)
            {
                oldest = startLsn;
            }
        }
        oldestStartLsn = oldest;
    }

    /**
     * @return transactions started and not yet committed or rolled back.
     */
    int count()
    {
        return count;
    }

    /**
     * @return the LSN of the oldest open TSTART, -1 if none.
     */
    long oldestStartLsn()
    {
        return oldestStartLsn;
    }
}
