package io.jmirror.dejournal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A worker's write is sorted by key between KILLs, equal keys in journal order, and means what the records meant in
 * journal order: the store ends as the in-memory store that applied them one by one.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RocksDbSortedWriteTest
{
    private static final String DB = "USER";
    private static final GlobalName A = GlobalName.of(DB, "A");
    private static final GlobalName B = GlobalName.of(DB, "B");

    @TempDir
    Path dir;
    private Journal journal;

    @BeforeEach
    void open()
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("journal")).syncPolicy(SyncPolicy.NONE));
    }

    @AfterEach
    void close()
    {
        journal.close();
    }

    @Test
    void eachRunBetweenKillsIsInKeyOrderWithEqualKeysInJournalOrder() throws RocksDBException
    {
        final JournalAppender appender = journal.newAppender();
        appender.set(0, B, SubscriptKey.of(2), bytes("b2"));
        appender.set(0, A, SubscriptKey.of(5), bytes("a5"));
        appender.set(0, A, SubscriptKey.of(1), bytes("a1 first"));
        appender.zkill(0, A, SubscriptKey.of(3));
        appender.set(0, A, SubscriptKey.of(1), bytes("a1 second"));
        appender.kill(0, A, SubscriptKey.of(2));
        appender.set(0, A, SubscriptKey.of(9), bytes("a9"));
        appender.set(0, A, SubscriptKey.of(2, 1), bytes("a2,1"));
        appender.set(0, A, SubscriptKey.of(1), bytes("a1 third"));
        final List<JournalRecord> records = readAll();

        try (Options options = new Options().setCreateIfMissing(true);
            WriteOptions writeOptions = new WriteOptions().setDisableWAL(true);
            RocksDB db = RocksDB.open(options, dir.resolve("store").toString()))
        {
            final RocksDbWriter writer = new RocksDbWriter(db, writeOptions, dir, true);
            writer.beginGathering();
            for (final JournalRecord record : records)
            {
                writer.add(record);
                writer.writeIfDue();
            }
            final List<String> entries = new ArrayList<>();
            final WriteBatch batch = writer.filledBatch();
            try (EntryLister lister = new EntryLister(entries))
            {
                batch.iterate(lister);
            }
            writer.clearBatch();
            writer.close();

            assertEquals(List.of(
                "put A(1)=a1 first", "put A(1)=a1 second", "delete A(3)", "put A(5)=a5", "put B(2)=b2",
                "deleteRange A(2)",
                "put A(1)=a1 third", "put A(2,1)=a2,1", "put A(9)=a9"), entries);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomRecordsInRandomBatchesEndAsTheInMemoryStoreEnds(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final JournalAppender appender = journal.newAppender();
        final GlobalName[] globals = {A, B};
        for (int i = 0; i < 3000; i++)
        {
            final GlobalName global = globals[random.nextInt(globals.length)];
            // A small key space, so keys repeat within a batch and KILLs remove nodes written before and after.
            final SubscriptKey key = random.nextInt(4) == 0 ? SubscriptKey.of(random.nextInt(6)) :
                SubscriptKey.of(random.nextInt(6), random.nextInt(6));
            final int kind = random.nextInt(20);
            if (kind == 0)
            {
                appender.kill(0, global, key);
            }
            else if (kind < 3)
            {
                appender.zkill(0, global, key);
            }
            else
            {
                appender.set(0, global, key, bytes("v" + i));
            }
        }
        final List<JournalRecord> records = readAll();

        final GlobalStore expected = new GlobalStore();
        try (RocksDbTarget target = RocksDbTarget.open(dir.resolve("store")))
        {
            int at = 0;
            while (at < records.size())
            {
                final int end = Math.min(records.size(), at + 1 + random.nextInt(300));
                target.beginBatch(0);
                for (; at < end; at++)
                {
                    target.apply(records.get(at), 0);
                    expected.apply(records.get(at));
                }
                target.endBatch(0);
            }
            assertEquals(expected.digests(), target.digests(), "seed=" + seed);
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
            while (reader.poll((record) ->
            {
                final byte[] frame = new byte[record.frameLength()];
                record.buffer().getBytes(record.offset(), frame);
                final JournalRecord copy = new JournalRecord();
                copy.wrap(new UnsafeBuffer(frame), 0, record.lsn());
                records.add(copy);
            }, 100) > 0)
            {
            }
        }
        return records;
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Lists a write batch's entries as "put G(subscripts)=value", "delete G(...)", "deleteRange G(...)".
     */
    private static final class EntryLister extends WriteBatch.Handler
    {
        private final List<String> entries;

        EntryLister(final List<String> entries)
        {
            this.entries = entries;
        }

        private static String node(final byte[] key)
        {
            final int subscripts = RocksDbKeyDescriptor.subscriptsOffset(key, key.length);
            final GlobalName name = RocksDbTarget.name(java.util.Arrays.copyOf(key, subscripts));
            final SubscriptKey subscriptKey = new SubscriptKey().set(new UnsafeBuffer(key), subscripts,
                key.length - subscripts);
            return name.global() + subscriptKey;
        }

        @Override
        public void put(final byte[] key, final byte[] value)
        {
            entries.add("put " + node(key) + "=" + new String(value, StandardCharsets.UTF_8));
        }

        @Override
        public void delete(final byte[] key)
        {
            entries.add("delete " + node(key));
        }

        @Override
        public void deleteRange(final byte[] beginKey, final byte[] endKey)
        {
            entries.add("deleteRange " + node(beginKey));
        }

        @Override
        public void put(final int columnFamilyId, final byte[] key, final byte[] value)
        {
            put(key, value);
        }

        @Override
        public void delete(final int columnFamilyId, final byte[] key)
        {
            delete(key);
        }

        @Override
        public void deleteRange(final int columnFamilyId, final byte[] beginKey, final byte[] endKey)
        {
            deleteRange(beginKey, endKey);
        }

        @Override
        public void merge(final int columnFamilyId, final byte[] key, final byte[] value)
        {
            entries.add("merge");
        }

        @Override
        public void merge(final byte[] key, final byte[] value)
        {
            entries.add("merge");
        }

        @Override
        public void singleDelete(final int columnFamilyId, final byte[] key)
        {
            entries.add("singleDelete");
        }

        @Override
        public void singleDelete(final byte[] key)
        {
            entries.add("singleDelete");
        }

        @Override
        public void logData(final byte[] blob)
        {
            entries.add("logData");
        }

        @Override
        public void putBlobIndex(final int columnFamilyId, final byte[] key, final byte[] value)
        {
            entries.add("putBlobIndex");
        }

        @Override
        public void markBeginPrepare()
        {
            entries.add("markBeginPrepare");
        }

        @Override
        public void markEndPrepare(final byte[] xid)
        {
            entries.add("markEndPrepare");
        }

        @Override
        public void markNoop(final boolean emptyBatch)
        {
            entries.add("markNoop");
        }

        @Override
        public void markRollback(final byte[] xid)
        {
            entries.add("markRollback");
        }

        @Override
        public void markCommit(final byte[] xid)
        {
            entries.add("markCommit");
        }

        @Override
        public void markCommitWithTimestamp(final byte[] xid, final byte[] ts)
        {
            entries.add("markCommitWithTimestamp");
        }
    }
}
