package io.jmirror.harness;

import io.jmirror.dejournal.Dejournaler;
import io.jmirror.dejournal.StoreReader;
import io.jmirror.journal.Journal;
import io.jmirror.mirror.Member;
import java.util.function.Supplier;

/**
 * A running node's store as the data check reads it ({@link StoreEndpoint}): the store, and where the node stands,
 * so that an answer can be tied to one applied LSN although the node's workers write the store while it is read.
 *
 * @param reader   the store's reads.
 * @param position where the node stands now; asked before and after each read.
 */
record LiveStore(StoreReader reader, Supplier<Position> position)
{
    /**
     * Where a node stands.
     *
     * @param appliedLsn every record below it is in the store; -1 when the node is not applying.
     * @param endLsn     the end of what the node holds (its journal's tail): records below it are applied or on
     *                   their way to the store.
     * @param source     what the two LSNs were read from (the member, the journal), compared by identity: a node
     *                   that changed role between two readings stands somewhere else even at equal LSNs.
     */
    record Position(long appliedLsn, long endLsn, Object source)
    {
        /** A node that holds no store to read yet (starting, or between roles). */
        static final Position NONE = new Position(-1, -1, null);

        /**
         * @return whether the store holds exactly the records below the applied LSN: nothing is on its way to it.
         */
        boolean isSettled()
        {
            return appliedLsn >= 0 && appliedLsn == endLsn;
        }

        /**
         * @return whether nothing moved between this reading and {@code later}.
         */
        boolean isSameAs(final Position later)
        {
            return appliedLsn == later.appliedLsn && endLsn == later.endLsn && source == later.source;
        }
    }

    /**
     * @return where a member stands: its dejournaler's applied LSN and its journal's tail.
     */
    static Position of(final Member member)
    {
        if (null == member)
        {
            return Position.NONE;
        }
        final Dejournaler dejournaler = member.dejournaler();
        final Journal journal = member.receiver().journal();
        if (null == dejournaler || null == journal)
        {
            return Position.NONE;
        }
        // The applied LSN first: a record appended after it was read makes the tail larger, never equal.
        final long applied = dejournaler.appliedLsn();
        return new Position(applied, journal.tailLsn(), dejournaler);
    }
}
