package io.jmirror.bench;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.RecordType;
import io.jmirror.journal.SyncPolicy;
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
 * jmirror's journal appending {@link BenchRecord}, one op = one record, sync policy NONE (page cache), as many
 * appender threads as JMH is given (the bench runner runs it with 1 and 2), each with its own
 * {@link JournalAppender}. Every append claims its bytes with a CAS on the shared tail, writes the frame into the
 * mapped file, sums it with CRC32C and publishes its length.
 * <p>
 * One journal serves the whole trial and is purged as it goes (every {@link #PURGE_EVERY} records per thread), as a
 * primary's journal is, so disk use stays at a few files. {@code reuse} says whether purged files come back as new
 * ones ({@link JournalContext#recycleFiles}) or new files are made: the difference is what file reuse gives.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class JournalAppendBenchmark
{
    static final GlobalName PATIENT = GlobalName.of(
        new String(BenchRecord.DATABASE, java.nio.charset.StandardCharsets.UTF_8),
        new String(BenchRecord.GLOBAL, java.nio.charset.StandardCharsets.UTF_8));

    /**
     * The journal appended to, new for every iteration.
     */
    @State(Scope.Benchmark)
    public static class AppendJournal
    {
        @Param({"64", "256"})
        public int valueSize;

        @Param({"true", "false"})
        public boolean reuse;

        Path dir;
        Journal journal;

        /**
         * Opens an empty journal.
         */
        @Setup(Level.Trial)
        public void open()
        {
            dir = TempDirs.create("jmirror-bench-journal-append");
            journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE)
                .retainMs(0).retainMinFiles(2).recycleFiles(reuse ? 2 : 0));
        }

        /**
         * Closes and deletes the journal.
         */
        @TearDown(Level.Trial)
        public void close()
        {
            journal.close();
            TempDirs.delete(dir);
        }
    }

    /**
     * Per-thread record and the flyweights over its key and value.
     */
    @State(Scope.Thread)
    public static class Appender
    {
        BenchRecord record;
        UnsafeBuffer key;
        UnsafeBuffer value;
        JournalAppender appender;

        /**
         * Builds the thread's record once.
         *
         * @param journal for the value size.
         */
        @Setup(Level.Iteration)
        public void setUp(final AppendJournal journal)
        {
            if (null == record)
            {
                record = new BenchRecord(journal.valueSize);
                key = new UnsafeBuffer(record.key());
                value = new UnsafeBuffer(record.value());
            }
            appender = journal.journal.newAppender();
        }
    }

    /**
     * Append one record.
     *
     * @return its LSN, so the append cannot be dropped.
     */
    @Benchmark
    public long append(final AppendJournal journal, final Appender appender)
    {
        final long transactionId = appender.record.next();
        if ((transactionId & (PURGE_EVERY - 1)) == 0)
        {
            journal.journal.purge();
        }
        return appender.appender.append(RecordType.SET, transactionId, PATIENT,
            appender.key, 0, BenchRecord.KEY_LENGTH, appender.value, 0, appender.value.capacity());
    }

    /** Records per thread between purges: often enough that a 256 MiB file is purged soon after it is passed. */
    static final long PURGE_EVERY = 1 << 16;
}
