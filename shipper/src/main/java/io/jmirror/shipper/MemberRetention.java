package io.jmirror.shipper;

import io.jmirror.journal.EpochStart;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What of the journal the members still need, for {@link Primary#purge()}: one journal consumer per member, held at
 * the LSN the member has durable so that a purge keeps what it has not received; when each member was last seen, so
 * that one gone for longer than {@code memberRetentionMs} is forgotten; and their positions in
 * {@link MemberPositions}, written before any file is purged and read back when the primary starts.
 * <p>
 * Not thread-safe: the primary calls it only under its own monitor, which also guards the registered sessions that
 * {@link #forgetExpired} is given.
 */
final class MemberRetention
{
    /** Logs under the primary's name: to an operator these are the primary's lines. */
    private static final Logger LOG = LoggerFactory.getLogger(Primary.class);

    private final PrimaryContext ctx;
    private final Journal journal;
    private final MemberPositions positions;
    private final Runnable countError;
    private final Map<String, JournalConsumer> memberConsumers = new HashMap<>();
    private final Map<String, Long> lastSeenMs = new HashMap<>();

    /**
     * @param ctx        the primary's configuration, read at each purge for {@code memberRetentionMs}.
     * @param journal    the journal being shipped; the positions file is kept in its directory.
     * @param countError counts a failure against the primary.
     */
    MemberRetention(final PrimaryContext ctx, final Journal journal, final Runnable countError)
    {
        this.ctx = ctx;
        this.journal = journal;
        this.positions = new MemberPositions(journal.dir());
        this.countError = countError;
    }

    /**
     * After a restart: hold the journal from each member's persisted position, as if the member had just been seen,
     * so a purge keeps what it needs until it is back or its retention passes. An unreadable file holds the whole
     * journal for the same retention instead, under one name, and is counted and logged. Positions of an older epoch
     * hold from at most where the next epoch started (a member may have cut its journal back to there since).
     */
    void holdPersisted()
    {
        final long nowMs = System.currentTimeMillis();
        Map<String, Long> persisted;
        try
        {
            final MemberPositions.Persisted read = positions.read();
            persisted = read.positions();
            if (read.epoch() >= 0 && read.epoch() < journal.epoch())
            {
                persisted = clampToLaterEpoch(read.epoch(), persisted);
            }
            else if (read.epoch() > journal.epoch())
            {
                // Written in a reign this journal was cut back below since: it describes another history.
                LOG.info("member positions of a later epoch than the journal's not used: file={} epoch={} " +
                    "journalEpoch={}", positions.file(), read.epoch(), journal.epoch());
                persisted = Map.of();
            }
        }
        catch (final ShipperException ex)
        {
            countError.run();
            LOG.error("member positions unreadable, holding the whole journal for the member retention: {}",
                ex.getMessage());
            persisted = Map.of(Primary.UNKNOWN_POSITIONS, journal.startLsn());
        }
        for (final Map.Entry<String, Long> entry : persisted.entrySet())
        {
            final long lsn = Math.max(entry.getValue(), journal.startLsn());
            memberConsumers.put(entry.getKey(), journal.registerConsumer("member:" + entry.getKey(), lsn));
            lastSeenMs.put(entry.getKey(), nowMs);
        }
        if (!persisted.isEmpty())
        {
            LOG.info("member positions restored: file={} positions={}", positions.file(), persisted);
        }
    }

    /**
     * Positions written in an older epoch: a member may since have cut its journal back to where a later epoch
     * started (never below the first of them, the lowest since epochs start in LSN order), so hold from there at
     * most. A restart of this primary starts a new epoch, so this is the common case, and dropping the positions would
     * let a purge remove what a member still needs. Without a known start, hold the whole journal.
     */
    private Map<String, Long> clampToLaterEpoch(final long writtenEpoch, final Map<String, Long> persisted)
    {
        long laterStart = journal.startLsn();
        for (final EpochStart start : journal.epochHistory())
        {
            if (start.epoch() > writtenEpoch)
            {
                laterStart = start.lsn() == EpochStart.PURGED ? journal.startLsn() : start.lsn();
                break;
            }
        }
        final Map<String, Long> clamped = new HashMap<>();
        for (final Map.Entry<String, Long> entry : persisted.entrySet())
        {
            clamped.put(entry.getKey(), Math.min(entry.getValue(), laterStart));
        }
        LOG.info("member positions of an older epoch held from at most the next epoch's start: file={} epoch={} " +
            "journalEpoch={} heldFrom={}", positions.file(), writtenEpoch, journal.epoch(), laterStart);
        return clamped;
    }

    /**
     * Keep the journal a member still needs: from the LSN it has durable.
     */
    void onMemberSeen(final String name, final long durableLsn, final long nowMs)
    {
        lastSeenMs.put(name, nowMs);
        final JournalConsumer consumer = memberConsumers.get(name);
        if (null == consumer)
        {
            memberConsumers.put(name, journal.registerConsumer("member:" + name, durableLsn));
        }
        else if (durableLsn > consumer.position())
        {
            consumer.position(durableLsn);
        }
    }

    /**
     * The member's session ended: its retention runs from now.
     */
    void onMemberLeft(final String name, final long nowMs)
    {
        lastSeenMs.put(name, nowMs);
    }

    /**
     * Forget the members not seen for longer than {@code memberRetentionMs}: they hold no journal files any more.
     *
     * @param nowMs      the time of the purge.
     * @param registered the members with a session now, which are never forgotten.
     */
    void forgetExpired(final long nowMs, final Set<String> registered)
    {
        final List<String> expired = new ArrayList<>();
        for (final Map.Entry<String, JournalConsumer> entry : memberConsumers.entrySet())
        {
            final Long seen = lastSeenMs.get(entry.getKey());
            if (!registered.contains(entry.getKey()) &&
                (null == seen || nowMs - seen > ctx.memberRetentionMs()))
            {
                expired.add(entry.getKey());
            }
        }
        for (final String name : expired)
        {
            memberConsumers.remove(name).close();
            LOG.info("member no longer holds journal files: member={} retentionMs={}", name,
                ctx.memberRetentionMs());
        }
    }

    /**
     * Write each member's position to the journal directory; a failure is counted and logged.
     *
     * @return whether they were written.
     */
    boolean persist()
    {
        final Map<String, Long> current = new java.util.TreeMap<>();
        for (final Map.Entry<String, JournalConsumer> entry : memberConsumers.entrySet())
        {
            current.put(entry.getKey(), entry.getValue().position());
        }
        try
        {
            positions.write(journal.epoch(), current);
            return true;
        }
        catch (final ShipperException ex)
        {
            countError.run();
            LOG.error("member positions not written, so nothing is purged: {}", ex.getMessage(), ex);
            return false;
        }
    }

    /**
     * Persist the positions one last time and release the journal the members held.
     */
    void close()
    {
        persist();
        release();
    }

    /**
     * Unregisters the members' consumers from the journal without writing the positions: for a primary that failed
     * to start, whose journal (the embedder's, which outlives it) must not keep files for it.
     */
    void release()
    {
        for (final JournalConsumer consumer : memberConsumers.values())
        {
            consumer.close();
        }
        memberConsumers.clear();
    }
}
