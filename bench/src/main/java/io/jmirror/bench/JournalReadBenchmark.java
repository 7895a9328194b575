package io.jmirror.bench;

import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordHandler;
import io.jmirror.journal.RecordType;
import io.jmirror.journal.SyncPolicy;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Flyweight iteration over a prefilled journal of {@link BenchRecord#READ_RECORDS} records, one op = one record,
 * wrapping to the start at the end. Each record's checksum is verified (Chronicle has none to verify), then the
 * flyweight reads the same fields in place as {@link ChronicleQueueBenchmark#iterate}: type, transaction, timestamp,
 * the lengths, and the last byte of the key and of the value.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class JournalReadBenchmark
{
    /**
     * The prefilled journal and a reader over it.
     */
    @State(Scope.Thread)
    public static class ReadJournal implements RecordHandler
    {
        @Param({"64", "256"})
        public int valueSize;

        Path dir;
        Journal journal;
        JournalReader reader;
        long mix;

        /**
         * Fills the journal; not measured.
         */
        @Setup(Level.Trial)
        public void open()
        {
            dir = TempDirs.create("jmirror-bench-journal-read");
            journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE));
            final BenchRecord record = new BenchRecord(valueSize);
            final UnsafeBuffer keyBuffer = new UnsafeBuffer(record.key());
            final UnsafeBuffer valueBuffer = new UnsafeBuffer(record.value());
            for (int i = 0; i < BenchRecord.READ_RECORDS; i++)
            {
                journal.appender().append(RecordType.SET, record.next(), JournalAppendBenchmark.PATIENT,
                    keyBuffer, 0, BenchRecord.KEY_LENGTH, valueBuffer, 0, valueSize);
            }
            reader = journal.reader(journal.startLsn());
        }

        /**
         * Closes and deletes the journal.
         */
        @TearDown(Level.Trial)
        public void close()
        {
            reader.close();
            journal.close();
            TempDirs.delete(dir);
        }

        @Override
        public void onRecord(final JournalRecord record)
        {
            final DirectBuffer buffer = record.buffer();
            final byte lastKeyByte = buffer.getByte(record.keyOffset() + record.keyLength() - 1);
            final byte lastValueByte = buffer.getByte(record.valueOffset() + record.valueLength() - 1);
            mix = record.transactionId() ^ record.timestamp() ^ record.typeCode() ^ lastKeyByte ^ lastValueByte;
        }
    }

    /**
     * Read one record's fields; at the end of the journal, seek back to its start.
     *
     * @return a mix of the fields read, so the reads cannot be dropped.
     */
    @Benchmark
    public long iterate(final ReadJournal state)
    {
        if (state.reader.poll(state, 1) == 0)
        {
            state.reader.seek(state.journal.startLsn());
            state.reader.poll(state, 1);
        }
        return state.mix;
    }
}
