package io.jmirror.dejournal;

import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Open transactions rolled back from the journal alone: applying the whole journal, undo included, leaves exactly
 * what the committed work and the records outside transactions made, even when a rollback was cut short and run
 * again.
 */
class TransactionRollbackTest
{
    private static final GlobalName G = GlobalName.of("USER", "Acct");
    private static final String DB = "USER";

    @TempDir
    Path dir;

    private Journal open()
    {
        return Journal.open(new JournalContext().journalDir(dir.resolve("j")).fileLength(1024 * 1024)
            .syncPolicy(SyncPolicy.NONE));
    }

    private static GlobalStore replay(final Journal journal)
    {
        final GlobalStore store = new GlobalStore();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll(store::apply, 256) > 0)
            {
            }
        }
        return store;
    }

    /**
     * A store and a journal kept in step the way an embedder keeps them: every change journaled with its before-image
     * under the same "lock" (one thread here).
     */
    private static final class App
    {
        final GlobalStore store = new GlobalStore();
        final JournalAppender appender;
        final BeforeImage before = new BeforeImage();

        App(final Journal journal)
        {
            appender = journal.newAppender();
        }

        void set(final long txn, final SubscriptKey key, final String value)
        {
            appender.set(txn, G, key, bytes(value), before.value(store.get(DB, "Acct", key)));
            store.set(DB, "Acct", key, bytes(value));
        }

        void zkill(final long txn, final SubscriptKey key)
        {
            appender.zkill(txn, G, key, before.value(store.get(DB, "Acct", key)));
            store.zkill(DB, "Acct", key);
        }

        void kill(final long txn, final SubscriptKey key)
        {
            before.nodes();
            store.query(DB, "Acct", key, (nodeKey, keyOffset, keyLength, value, valueOffset, valueLength) ->
            {
                before.node(nodeKey, keyOffset, keyLength, value, valueOffset, valueLength);
                return true;
            });
            appender.kill(txn, G, key, before);
            store.kill(DB, "Acct", key);
        }
    }

    @Test
    void openTransactionsAreUndoneAndClosedWhileCommittedWorkStays()
    {
        try (Journal journal = open())
        {
            final App app = new App(journal);
            app.set(0, SubscriptKey.of(1), "one");
            app.set(0, SubscriptKey.of(2, "a"), "two-a");
            app.set(0, SubscriptKey.of(2, "b"), "two-b");
            app.appender.tstart(10);
            app.set(10, SubscriptKey.of(1), "ten");
            app.appender.tcommit(10);
            final GlobalStore committed = replay(journal);

            app.appender.tstart(11);
            app.set(11, SubscriptKey.of(1), "eleven");
            app.set(11, SubscriptKey.of(3), "new");
            app.kill(11, SubscriptKey.of(2));
            app.zkill(11, SubscriptKey.of(1));
            app.appender.tstart(12);
            app.set(12, SubscriptKey.of(4), "twelve");

            final TransactionRollback.Result result = TransactionRollback.rollBackOpenTransactions(journal, 0);
            assertEquals(2, result.transactions());
            assertEquals(5, result.recordsUndone());
            assertTrue(result.withoutBeforeImage().isEmpty());
            assertTrue(TransactionRollback.openTransactions(journal, 0).isEmpty(), "every transaction is closed");

            final GlobalStore after = replay(journal);
            assertEquals(List.of(), GlobalStore.compare(committed, after));
            assertEquals(committed.digests(), after.digests());
        }
    }

    @Test
    void aRollbackCutShortAndRunAgainEndsTheSame()
    {
        final Random random = new Random(5);
        for (int round = 0; round < 20; round++)
        {
            final Path roundDir = dir.resolve("r" + round);
            try (Journal journal = Journal.open(new JournalContext().journalDir(roundDir).fileLength(1024 * 1024)
                .syncPolicy(SyncPolicy.NONE)))
            {
                final App app = new App(journal);
                for (int i = 0; i < 20; i++)
                {
                    app.set(0, SubscriptKey.of(random.nextInt(8), random.nextInt(3)), "base" + i);
                }
                final GlobalStore committed = replay(journal);
                app.appender.tstart(7);
                for (int i = 0; i < 12; i++)
                {
                    final SubscriptKey key = SubscriptKey.of(random.nextInt(8), random.nextInt(3));
                    switch (random.nextInt(3))
                    {
                        case 0 -> app.set(7, key, "t" + i);
                        case 1 -> app.zkill(7, key);
                        default -> app.kill(7, SubscriptKey.of(random.nextInt(8)));
                    }
                }
                // a first takeover journals only part of the undo, then dies: keep a prefix of its records
                final long before = journal.tailLsn();
                TransactionRollback.rollBackOpenTransactions(journal, 0);
                final long cut = cutPoint(journal, before, random);
                final Path copy = roundDir.resolveSibling("c" + round);
                copyPrefix(journal, cut, copy);
                try (Journal crashed = Journal.open(new JournalContext().journalDir(copy).fileLength(1024 * 1024)
                    .syncPolicy(SyncPolicy.NONE)))
                {
                    TransactionRollback.rollBackOpenTransactions(crashed, 0);
                    assertEquals(List.of(), GlobalStore.compare(committed, replay(crashed)), "round " + round);
                }
            }
        }
    }

    private static long cutPoint(final Journal journal, final long from, final Random random)
    {
        final List<Long> lsns = new java.util.ArrayList<>();
        try (JournalReader reader = journal.reader(from))
        {
            while (reader.poll((record) -> lsns.add(record.lsn()), 64) > 0)
            {
            }
        }
        // drop at least the TROLLBACK, so the transaction is still open in the copy
        return lsns.get(random.nextInt(lsns.size()));
    }

    /** A new journal holding the records below {@code endLsn}, as a crash there would leave it. */
    private static void copyPrefix(final Journal journal, final long endLsn, final Path copy)
    {
        try (Journal target = Journal.open(new JournalContext().journalDir(copy).fileLength(1024 * 1024)
            .syncPolicy(SyncPolicy.NONE).journalId(journal.journalId()));
            JournalReader reader = journal.reader(0))
        {
            final io.jmirror.journal.JournalReplicator replicator = target.newReplicator();
            while (reader.position() < endLsn &&
                reader.pollBlock((block, lsn, length) ->
                {
                    final java.nio.ByteBuffer part = block.duplicate();
                    part.limit(part.position() + (int)Math.min(length, endLsn - lsn));
                    replicator.append(part, lsn);
                }, 4096) > 0)
            {
            }
        }
    }

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
