package io.jmirror.dejournal;

import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalReader;

import java.util.List;

/**
 * Compares copies of the data, global by global, as a mirror's data check does: first by digest (O(number of
 * globals)), then, for each global whose digests differ, by walking both in collation order to the first differing
 * node.
 */
public final class DataCheck
{
    private DataCheck()
    {
    }

    /**
     * @return one entry per global that differs, with its first differing node; empty when the stores are equal.
     */
    public static List<GlobalStore.Difference> compare(final GlobalStore left, final GlobalStore right)
    {
        return GlobalStore.compare(left, right);
    }

    /**
     * Compare a store with a sequential, single-threaded replay of a journal from its oldest LSN up to
     * {@code toLsn}: the reference a parallel dejournal must equal.
     *
     * @return one entry per global that differs.
     */
    public static List<GlobalStore.Difference> againstJournal(
        final GlobalStore store, final Journal journal, final long toLsn)
    {
        return GlobalStore.compare(store, replay(journal, toLsn));
    }

    /**
     * @return a new store holding a sequential replay of the journal below {@code toLsn}.
     */
    public static GlobalStore replay(final Journal journal, final long toLsn)
    {
        final GlobalStore replayed = new GlobalStore();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            final boolean[] done = {false};
            while (!done[0] && reader.poll((record) ->
            {
                if (record.lsn() >= toLsn)
                {
                    done[0] = true;
                }
                else if (record.type().isNodeRecord())
                {
                    replayed.apply(record);
                }
            }, 1000) > 0)
            {
                // continue
            }
        }
        return replayed;
    }
}
