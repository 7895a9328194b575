package io.jmirror.dejournal;

import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.RecordType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rolls back, from the journal alone, every transaction still open at its end: a new primary does this at takeover,
 * after its {@code EPOCH_START}, for the transactions the old primary left without a TCOMMIT or TROLLBACK.
 * <p>
 * The undo is journaled, not applied directly: for each open transaction, newest record first, the inverse of each
 * SET, KILL and ZKILL from its before-image, then a TROLLBACK. The dejournaler applies those records to the store
 * like any others, and every other member receives and applies them too, so all stores roll back alike. Each undo
 * record carries its own before-image (what the record it undoes had set), so a takeover that crashes half-way and
 * runs again undoes the partial undo and the transaction in one reverse pass, and ends in the same state.
 * <p>
 * A record inside an open transaction without a before-image cannot be undone: it is reported, named by LSN, and
 * its transaction is still closed with a TROLLBACK after the records that could be undone.
 */
public final class TransactionRollback
{
    private static final Logger LOG = LoggerFactory.getLogger(TransactionRollback.class);

    /**
     * What a rollback did.
     *
     * @param transactions        transactions rolled back (each ended with a TROLLBACK).
     * @param recordsUndone       undo records journaled.
     * @param withoutBeforeImage  LSNs of records in open transactions that carried no before-image, so could not be
     *                            undone.
     * @param endLsn              the journal's tail after the rollback.
     */
    public record Result(int transactions, int recordsUndone, List<Long> withoutBeforeImage, long endLsn)
    {
    }

    private TransactionRollback()
    {
    }

    /**
     * Find the transactions open at the journal's end (looking from {@code fromLsn}, which must be at or before the
     * oldest open TSTART: the journal's start, or a dejournaler's oldest open transaction LSN) and journal their
     * rollback. Call it with no other appender appending.
     *
     * @param journal a writable journal (a primary's).
     * @param fromLsn where to look from.
     * @return what was rolled back.
     */
    public static Result rollBackOpenTransactions(final Journal journal, final long fromLsn)
    {
        final Map<Long, List<Long>> open = openTransactions(journal, fromLsn);
        final JournalAppender appender = journal.newAppender();
        final UndoWriter undo = new UndoWriter(appender);
        final List<Long> missing = new ArrayList<>();
        int undone = 0;
        try (JournalReader reader = journal.reader(fromLsn))
        {
            for (final Map.Entry<Long, List<Long>> transaction : open.entrySet())
            {
                final long transactionId = transaction.getKey();
                final List<Long> lsns = transaction.getValue();
                for (int i = lsns.size() - 1; i >= 0; i--)
                {
                    reader.seek(lsns.get(i));
                    undo.reset(transactionId);
                    reader.poll(undo, 1);
                    if (undo.isWritten())
                    {
                        undone++;
                    }
                    else
                    {
                        missing.add(lsns.get(i));
                    }
                }
                appender.trollback(transactionId);
            }
        }
        if (!open.isEmpty())
        {
            LOG.info("rolled back open transactions: transactions={} recordsUndone={} withoutBeforeImage={} dir={}",
                open.size(), undone, missing.size(), journal.dir());
        }
        if (!missing.isEmpty())
        {
            LOG.error("records of open transactions carry no before-image and were not undone: lsns={} dir={}",
                missing, journal.dir());
        }
        return new Result(open.size(), undone, missing, journal.tailLsn());
    }

    /**
     * @return open transaction id to the LSNs of its SET, KILL and ZKILL records, in journal order; transactions in
     * the order of their first record.
     */
    static Map<Long, List<Long>> openTransactions(final Journal journal, final long fromLsn)
    {
        final Map<Long, List<Long>> open = new LinkedHashMap<>();
        try (JournalReader reader = journal.reader(fromLsn))
        {
            while (reader.poll((record) ->
            {
                final RecordType type = record.type();
                final long transactionId = record.transactionId();
                if (transactionId == 0)
                {
                    return;
                }
                if (type == RecordType.TSTART)
                {
                    open.computeIfAbsent(transactionId, (k) -> new ArrayList<>());
                }
                else if (type == RecordType.TCOMMIT || type == RecordType.TROLLBACK)
                {
                    open.remove(transactionId);
                }
                else if (type.isNodeRecord())
                {
                    open.computeIfAbsent(transactionId, (k) -> new ArrayList<>()).add(record.lsn());
                }
            }, 1024) > 0)
            {
            }
        }
        return open;
    }
}
