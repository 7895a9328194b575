package io.jmirror.dejournal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordDescriptor;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker's batch goes to RocksDB as one write at {@link Target#endBatch} (a bounded few for a very large batch),
 * while records applied outside a batch are written before {@code apply} returns; with isolated readers, a record
 * without a before-image sees what the batch gathered before it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RocksDbGatheredWriteTest
{
    private static final String DB = "USER";
    private static final GlobalName A = GlobalName.of(DB, "A");

    @TempDir
    Path dir;
    private Journal journal;
    private RocksDbTarget target;

    @BeforeEach
    void open()
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal")).syncPolicy(SyncPolicy.NONE));
        target = RocksDbTarget.open(dir.resolve("store"));
    }

    @AfterEach
    void close()
    {
        target.close();
        journal.close();
    }

    @Test
    void aRecordAppliedOutsideABatchIsReadableAtOnce()
    {
        final JournalAppender appender = journal.newAppender();
        appender.set(0, A, SubscriptKey.of(1), bytes("one"));
        final List<JournalRecord> records = readAll();

        target.apply(records.get(0), 0);

        assertArrayEquals(bytes("one"), target.get(DB, "A", SubscriptKey.of(1)));
    }

    @Test
    void aBatchIsWrittenAtItsEndAndNotBefore()
    {
        final JournalAppender appender = journal.newAppender();
        appender.set(0, A, SubscriptKey.of(1), bytes("one"));
        appender.set(0, A, SubscriptKey.of(2), bytes("two"));
        appender.set(0, A, SubscriptKey.of(1), bytes("one again"));
        final List<JournalRecord> records = readAll();

        target.beginBatch(0);
        target.apply(records.get(0), records.get(1), 0);
        target.apply(records.get(2), 0);
        assertNull(target.get(DB, "A", SubscriptKey.of(2)), "gathered, not written yet");
        target.endBatch(0);

        assertArrayEquals(bytes("one again"), target.get(DB, "A", SubscriptKey.of(1)), "journal order within a batch");
        assertArrayEquals(bytes("two"), target.get(DB, "A", SubscriptKey.of(2)));

        // After the batch ended, the worker's records are written at once again.
        appender.set(0, A, SubscriptKey.of(3), bytes("three"));
        final List<JournalRecord> more = readAll();
        target.apply(more.get(more.size() - 1), 0);
        assertArrayEquals(bytes("three"), target.get(DB, "A", SubscriptKey.of(3)));
    }

    @Test
    void aVeryLargeBatchIsWrittenInBoundedParts()
    {
        final JournalAppender appender = journal.newAppender();
        final int records = RocksDbWriter.MAX_GATHERED_RECORDS + 10;
        for (int i = 0; i < records; i++)
        {
            appender.set(0, A, SubscriptKey.of(i), bytes("v" + i));
        }
        final List<JournalRecord> all = readAll();

        target.beginBatch(0);
        for (final JournalRecord record : all)
        {
            target.apply(record, 0);
        }
        assertArrayEquals(bytes("v0"), target.get(DB, "A", SubscriptKey.of(0)),
            "the first " + RocksDbWriter.MAX_GATHERED_RECORDS + " records were written when the batch filled");
        assertNull(target.get(DB, "A", SubscriptKey.of(records - 1)), "the rest waits for the batch's end");
        target.endBatch(0);
        assertArrayEquals(bytes("v" + (records - 1)), target.get(DB, "A", SubscriptKey.of(records - 1)));
    }

    @Test
    void pairsOfRecordsThatPassTheBoundByOneAreAllWritten()
    {
        final JournalAppender appender = journal.newAppender();
        // One record, then pairs: the pair that ends at bound + 1 is added whole before the batch is written.
        final int records = 1 + RocksDbWriter.MAX_GATHERED_RECORDS + 2;
        for (int i = 0; i < records; i++)
        {
            appender.set(0, A, SubscriptKey.of(i), bytes("v" + i));
        }
        final List<JournalRecord> all = readAll();

        target.beginBatch(0);
        target.apply(all.get(0), 0);
        for (int i = 1; i + 1 < all.size(); i += 2)
        {
            target.apply(all.get(i), all.get(i + 1), 0);
        }
        target.endBatch(0);
        for (int i = 0; i < records; i++)
        {
            assertArrayEquals(bytes("v" + i), target.get(DB, "A", SubscriptKey.of(i)), "node " + i);
        }
    }

    @Test
    void aRecordThatFailsInABatchEndsGatheringSoALaterUndoIsWrittenAtOnce()
    {
        final JournalAppender appender = journal.newAppender();
        appender.set(0, A, SubscriptKey.of(1), bytes("gathered"));
        appender.set(0, A, SubscriptKey.of(2), bytes("bad"));
        appender.set(0, A, SubscriptKey.of(3), bytes("undo"));
        final List<JournalRecord> records = readAll();
        // A type code no record has: the writer refuses it.
        ((org.agrona.MutableDirectBuffer)records.get(1).buffer()).putByte(records.get(1).offset() +
            RecordDescriptor.TYPE_OFFSET, (byte)99);

        target.beginBatch(0);
        target.apply(records.get(0), 0);
        assertThrows(IllegalArgumentException.class, () -> target.apply(records.get(1), 0));

        // The dejournaler stopped there: the failed batch is above its applied LSN, so nothing of it is written.
        assertNull(target.get(DB, "A", SubscriptKey.of(1)));
        // A record applied afterwards outside a batch, as an undo after the failure is, is written at once.
        target.apply(records.get(2), 0);
        assertArrayEquals(bytes("undo"), target.get(DB, "A", SubscriptKey.of(3)));
    }

    @Test
    void anIsolatedReaderSeesTheGatheredValueAsTheBeforeImageOfARecordWithoutOne()
    {
        target.isolateReaders();
        final JournalAppender appender = journal.newAppender();
        appender.set(0, A, SubscriptKey.of(1), bytes("committed"));
        appender.tstart(7);
        // No before-image: the overlay reads the node from the store before the write.
        appender.set(7, A, SubscriptKey.of(1), bytes("open"));
        final List<JournalRecord> records = readAll();

        target.beginBatch(0);
        target.apply(records.get(0), 0);
        target.onTransactionMarker(records.get(1));
        target.apply(records.get(2), 0);
        target.endBatch(0);

        assertArrayEquals(bytes("open"), target.get(DB, "A", SubscriptKey.of(1)), "the store holds the write");
        try (RocksDbReadView view = target.readView())
        {
            assertArrayEquals(bytes("committed"), view.get(DB, "A", SubscriptKey.of(1)),
                "a view hides the open transaction behind the value written before it, not behind 'no value'");
        }
    }

    @Test
    void aBulkLoadStoreAppliesLikeTheDefaultOneAndRefusesIsolatedReaders()
    {
        final JournalAppender appender = journal.newAppender();
        for (int i = 0; i < 100; i++)
        {
            appender.set(0, A, SubscriptKey.of(i % 17, i), bytes("v" + i));
        }
        appender.kill(0, A, SubscriptKey.of(3));
        final List<JournalRecord> records = readAll();
        final Path bulkDir = dir.resolve("bulk");
        try (RocksDbTarget bulk = RocksDbTarget.openForBulkLoad(bulkDir))
        {
            assertTrue(bulk.isBulkLoad());
            bulk.beginBatch(0);
            target.beginBatch(0);
            for (final JournalRecord record : records)
            {
                bulk.apply(record, 0);
                target.apply(record, 0);
            }
            bulk.endBatch(0);
            target.endBatch(0);
            bulk.checkpoint(records.get(records.size() - 1).lsn() + 1);
            final DejournalException refused = assertThrows(DejournalException.class, bulk::isolateReaders);
            assertTrue(refused.getMessage().contains("bulk load"), refused.getMessage());
            assertEquals(target.digests(), bulk.digests());
        }
        try (RocksDbTarget reopened = RocksDbTarget.open(bulkDir))
        {
            assertEquals(target.digests(), reopened.digests(), "the files serve the default store");
            assertEquals(records.get(records.size() - 1).lsn() + 1, reopened.recoveredLsn());
        }
    }

    /**
     * @return copies of every record the journal holds, in order.
     */
    private List<JournalRecord> readAll()
    {
        final List<JournalRecord> records = new ArrayList<>();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) -> records.add(copy(record)), 100) > 0)
            {
            }
        }
        return records;
    }

    private static JournalRecord copy(final JournalRecord record)
    {
        final byte[] frame = new byte[record.frameLength()];
        record.buffer().getBytes(record.offset(), frame);
        final JournalRecord copy = new JournalRecord();
        copy.wrap(new org.agrona.concurrent.UnsafeBuffer(frame), 0, record.lsn());
        return copy;
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
