package io.jmirror.harness.sim;

import io.jmirror.mirror.MirrorNode;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The invariants checked after every step. Each check returns null when it holds, else what broke and where; the
 * epoch checks remember what they saw, so one instance follows one run.
 */
public final class SimInvariants
{
    private final TreeMap<Long, String> writerOfEpoch = new TreeMap<>();
    private final TreeMap<String, Long> epochSeen = new TreeMap<>();

    /**
     * No acknowledged commit lost: every acknowledged write is in the current primary's journal at its LSN, the same
     * record.
     *
     * @param primary        the current primary's name.
     * @param primaryJournal its journal.
     * @param acked          the writes acknowledged to clients.
     * @return null, or the first write missing or different.
     */
    public static String ackedNotLost(final String primary, final List<SimRecord> primaryJournal,
        final List<SimRecord> acked)
    {
        for (final SimRecord write : acked)
        {
            final SimRecord found = find(primaryJournal, write.lsn());
            if (!write.equals(found))
            {
                return "acknowledged commit lost: " + write + " primary=" + primary + " holds " +
                    (null == found ? "no record at lsn=" + write.lsn() : found);
            }
        }
        return null;
    }

    /**
     * At most one member accepts writes in an epoch.
     *
     * @return null, or the two writers.
     */
    public String oneWriterPerEpoch(final long epoch, final String member)
    {
        final String first = writerOfEpoch.putIfAbsent(epoch, member);
        return null == first || first.equals(member) ? null :
            "two members accepted writes in epoch " + epoch + ": " + first + " and " + member;
    }

    /**
     * Epochs never go backward on a member (or the arbiter).
     *
     * @param who   "A journal", "arbiter", ...
     * @param epoch the epoch it shows now.
     * @return null, or the backward step.
     */
    public String epochNotBackward(final String who, final long epoch)
    {
        final Long previous = epochSeen.get(who);
        if (null != previous && epoch < previous)
        {
            return "epoch went backward: " + who + " from " + previous + " to " + epoch;
        }
        epochSeen.put(who, epoch);
        return null;
    }

    /**
     * The operator rebuilt a member from scratch: what it showed before is gone with its journal.
     *
     * @param who as named to {@link #epochNotBackward}.
     */
    public void forget(final String who)
    {
        epochSeen.remove(who);
    }

    /**
     * Journals agree record for record below a member's committed point (a record damaged at rest, which its
     * checksum gives away, is the apply's to refuse, not a difference).
     *
     * @param belowLsn the point (what the member acknowledged durable to that primary).
     * @return null, or the first record that differs.
     */
    public static String journalsAgree(
        final String primary, final List<SimRecord> primaryJournal, final String member,
        final List<SimRecord> memberJournal, final long belowLsn)
    {
        for (final SimRecord record : memberJournal)
        {
            if (record.endLsn() > belowLsn)
            {
                break;
            }
            if (!record.isIntact())
            {
                continue; // damaged at rest: detected by its checksum, never applied; not a silent difference
            }
            final SimRecord theirs = find(primaryJournal, record.lsn());
            if (!record.equals(theirs))
            {
                return "journals differ below the committed point " + belowLsn + ": " + member + " holds " + record +
                    ", " + primary + " holds " + theirs;
            }
        }
        return null;
    }

    /**
     * A DR async member stays one: it is never BACKUP, TAKING_OVER or PRIMARY (no operator promotes it here), the
     * arbiter never names it primary or backup, and no primary's commits wait for it.
     *
     * @param role           its control's role now.
     * @param arbiterPrimary the primary the arbiter's record names, or null.
     * @param arbiterBackup  the backup the arbiter's record names, or null.
     * @param gatedBy        a member whose primary side holds commits for this member's acks, or null.
     * @return null, or how it left its role.
     */
    public static String asyncStaysAsync(final String member, final MirrorNode.Role role,
        final String arbiterPrimary, final String arbiterBackup, final String gatedBy)
    {
        if (role == MirrorNode.Role.BACKUP || role == MirrorNode.Role.TAKING_OVER || role == MirrorNode.Role.PRIMARY)
        {
            return "async member in a failover role: member=" + member + " role=" + role;
        }
        if (member.equals(arbiterPrimary) || member.equals(arbiterBackup))
        {
            return "the arbiter names an async member " + (member.equals(arbiterPrimary) ? "primary" : "backup") +
                ": member=" + member;
        }
        if (null != gatedBy)
        {
            return "a primary's commits wait for an async member: primary=" + gatedBy + " member=" + member;
        }
        return null;
    }

    /**
     * An async member whose journal has reached the current primary's epoch (it received that epoch's
     * {@code EPOCH_START} from it) holds nothing but the primary's records: what it kept from older epochs lies below
     * the epoch's start (it undid and cut anything beyond before following), and what it received since is the
     * primary's. A record damaged at rest, which its checksum gives away, is the apply's to refuse.
     *
     * @param primaryEpoch       the epoch the current primary writes in.
     * @param memberJournalEpoch the epoch of the member journal's last {@code EPOCH_START}.
     * @return null, or the first record the primary does not hold.
     */
    public static String asyncAgreesInEpoch(final String primary, final List<SimRecord> primaryJournal,
        final long primaryEpoch, final String member, final List<SimRecord> memberJournal,
        final long memberJournalEpoch)
    {
        if (memberJournalEpoch != primaryEpoch)
        {
            return null;
        }
        for (final SimRecord record : memberJournal)
        {
            if (!record.isIntact())
            {
                continue;
            }
            final SimRecord theirs = find(primaryJournal, record.lsn());
            if (!record.equals(theirs))
            {
                return "async member holds what the primary does not in epoch " + primaryEpoch + ": " + member +
                    " holds " + record + ", " + primary + " holds " + theirs;
            }
        }
        return null;
    }

    /**
     * Per-global order: the store holds, for every node, the value of the last SET of it in the journal below the
     * applied LSN (records of one global applied in journal order, none skipped, none applied twice out of order).
     *
     * @return null, or the first node whose value is not the journal's.
     */
    public static String storeFollowsJournal(
        final String member, final List<SimRecord> journal, final Map<String, Long> store, final long appliedLsn)
    {
        final TreeMap<String, Long> expected = new TreeMap<>();
        for (final SimRecord record : journal)
        {
            if (record.lsn() >= appliedLsn)
            {
                break;
            }
            if (record.kind() == SimRecord.Kind.SET)
            {
                expected.put(record.nodeKey(), record.value());
            }
        }
        if (!expected.equals(store))
        {
            for (final Map.Entry<String, Long> entry : expected.entrySet())
            {
                if (!entry.getValue().equals(store.get(entry.getKey())))
                {
                    return "store out of journal order: member=" + member + " node=^" + entry.getKey() + " store=" +
                        store.get(entry.getKey()) + " journal=" + entry.getValue() + " appliedLsn=" + appliedLsn;
                }
            }
            return "store holds nodes the journal never set: member=" + member + " appliedLsn=" + appliedLsn;
        }
        return null;
    }

    /**
     * After the faults stop, every member converges: the same journal and store as the primary, all applied.
     *
     * @return null, or how a member differs.
     */
    public static String converged(final String primary, final List<SimRecord> primaryJournal,
        final Map<String, Long> primaryStore, final String member, final List<SimRecord> memberJournal,
        final Map<String, Long> memberStore)
    {
        if (!primaryJournal.equals(memberJournal))
        {
            return "journals not identical after the heal: " + primary + " records=" + primaryJournal.size() +
                " " + member + " records=" + memberJournal.size();
        }
        if (!primaryStore.equals(memberStore))
        {
            return "stores not equal after the heal: " + primary + " nodes=" + primaryStore.size() + " " + member +
                " nodes=" + memberStore.size();
        }
        return null;
    }

    private static SimRecord find(final List<SimRecord> journal, final long lsn)
    {
        int low = 0;
        int high = journal.size() - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            final long at = journal.get(mid).lsn();
            if (at == lsn)
            {
                return journal.get(mid);
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
        return null;
    }
}
