package io.jmirror.mirror;

import io.jmirror.dejournal.StoreReader;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.Journal;

/**
 * Whether a member can apply from where its store stands: the records from its store's applied LSN on must be in its
 * journal, which is a copy of the primary's from some file on. When they are not (the primary purged them before
 * this member had them), no amount of waiting helps: the member must be seeded with a copy of a current member's
 * store, and the reasons below say so.
 */
final class ResumePoint
{
    /** What the operator does about a purged resume point. */
    static final String SEED_ADVICE = "seed this member from a current member's store: stop that member, run " +
        "'jmirror seed --from ITS_STORE_DIR --to THIS_NODE_DIR' (an empty journal directory), and start this member " +
        "on the copy; it catches up from the copy's applied LSN";

    private ResumePoint()
    {
    }

    /**
     * @param member  this member's name, for the message.
     * @param target  the store the dejournaler would apply to.
     * @param journal the member's journal.
     * @param isNewJournal whether the journal was created from the primary's after this member started, so it holds
     *                     nothing this member had before.
     * @return why the dejournaler cannot start from the store's applied LSN, or null when it can.
     */
    static String whyNotResumable(final String member, final Target target, final Journal journal,
        final boolean isNewJournal)
    {
        final long recovered = target.recoveredLsn();
        final long oldest = journal.startLsn();
        if (recovered >= 0 && recovered < oldest)
        {
            return "the store's applied LSN is before the oldest record of the journal, the records between were " +
                "purged on the primary: member=" + member + " appliedLsn=" + recovered + " oldestLsnHeld=" + oldest +
                "; " + SEED_ADVICE;
        }
        // A store without a checkpoint that is new to this journal, or holds nothing, would start from the journal's
        // first record: the records before it are nowhere to apply from. (A store without a checkpoint that holds
        // data beside its own journal, such as a former primary's in-memory store, starts there and converges, since
        // values are absolute.)
        if (recovered < 0 && oldest > 0 &&
            (isNewJournal || (target instanceof StoreReader && ((StoreReader)target).digests().isEmpty())))
        {
            return "the store has no applied LSN and the journal starts at LSN " + oldest + ", the records before " +
                "it were purged on the primary: member=" + member + " oldestLsnHeld=" + oldest + "; " + SEED_ADVICE;
        }
        return null;
    }

    /**
     * @param member    this member's name, for the message.
     * @param linkError the receiver's last error.
     * @return why the member cannot catch up, when the primary refused it because its resume point is purged; else
     * null.
     */
    static String whyRefused(final String member, final String linkError)
    {
        if (null == linkError || !linkError.contains("reason=LSN_PURGED"))
        {
            return null;
        }
        return "the primary no longer holds this member's resume point (it purged those journal files): member=" +
            member + " (" + linkError + "); " + SEED_ADVICE;
    }
}
