package io.jmirror.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.io.Closeable;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.wire.DocumentContext;
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

/**
 * Chronicle Queue appending and reading jmirror's record, the yardstick for jmirror's journal: the best
 * known memory-mapped queue in Java, doing the same work, on the same machine, in the same run.
 * <p>
 * To keep the comparison fair to Chronicle it gets its fastest reasonable path: raw bytes inside a
 * {@code writingDocument()}/{@code readingDocument()} (no self-describing wire, no method writer), one
 * appender or tailer per thread reused for every record, and nothing allocated per record. The clock is
 * pinned so the queue never rolls to a new cycle file during a run ({@code FAST_DAILY} also holds
 * 2<sup>32</sup> records per cycle). The record's fields are jmirror's ({@link BenchRecord}); lengths are
 * stop-bit encoded, Chronicle's own idiom. Chronicle has no per-record checksum, so jmirror's CRC32C is
 * work Chronicle does not do.
 * <p>
 * Fork flags, each found by running without it on Java 17: without {@code --add-opens sun.nio.ch} and
 * {@code java.lang.reflect} Chronicle cannot reach {@code FileChannelImpl.map0} and cannot map a file at all
 * (the queue opens read-only, or building it fails); without {@code --add-exports jdk.internal.ref} it warns
 * that it cannot free direct buffers eagerly. Analytics are off so the fork never contacts the network.
 * Benchmark and state classes are not final because JMH subclasses them.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
    "-Dchronicle.analytics.disable=true" })
public class ChronicleQueueBenchmark
{
    /**
     * Builds a queue that will not roll during the run: a pinned clock keeps every record in one cycle.
     */
    static ChronicleQueue openQueue(final Path dir)
    {
        final long pinnedMillis = System.currentTimeMillis();
        return ChronicleQueue.singleBuilder(dir)
            .rollCycle(RollCycles.FAST_DAILY)
            .timeProvider(() -> pinnedMillis)
            .build();
    }

    /**
     * Writes one record as raw bytes in one document. Shared by the append benchmark and the read prefill
     * so both see the same bytes.
     */
    static void writeRecord(final ExcerptAppender appender, final BenchRecord record)
    {
        final long transactionId = record.next();
        try (DocumentContext dc = appender.writingDocument())
        {
            final Bytes<?> bytes = dc.wire().bytes();
            bytes.writeByte(BenchRecord.TYPE_SET);
            bytes.writeLong(transactionId);
            bytes.writeLong(System.currentTimeMillis());
            bytes.writeStopBit(BenchRecord.DATABASE.length);
            bytes.write(BenchRecord.DATABASE);
            bytes.writeStopBit(BenchRecord.GLOBAL.length);
            bytes.write(BenchRecord.GLOBAL);
            final byte[] key = record.key();
            bytes.writeStopBit(key.length);
            bytes.write(key);
            final byte[] value = record.value();
            bytes.writeStopBit(value.length);
            bytes.write(value);
        }
    }

    /**
     * The queue appended to. A fresh queue per iteration keeps the disk used by one run to one
     * iteration's records, and every iteration starts from the same state.
     */
    @State(Scope.Benchmark)
    public static class AppendQueue
    {
        @Param({ "64", "256" })
        public int valueSize;

        Path dir;
        ChronicleQueue queue;

        /**
         * Creates the iteration's queue and its cycle file, before the threads' appenders are created from
         * it, so that appenders do not race to create the file inside the measurement.
         */
        @Setup(Level.Iteration)
        public void open()
        {
            dir = TempDirs.create("jmirror-bench-chronicle-append");
            try
            {
                queue = openQueue(dir);
                try (ExcerptAppender appender = queue.createAppender())
                {
                    writeRecord(appender, new BenchRecord(valueSize));
                }
            }
            catch (final RuntimeException | Error ex)
            {
                // JMH skips the teardown of a failed setup.
                close();
                throw ex;
            }
        }

        /**
         * Closes and deletes the queue; its appenders are closed with it.
         */
        @TearDown(Level.Iteration)
        public void close()
        {
            Closeable.closeQuietly(queue);
            queue = null;
            TempDirs.delete(dir);
            dir = null;
        }
    }

    /**
     * One appender and one record per benchmark thread, as Chronicle requires an appender to be used by
     * one thread.
     */
    @State(Scope.Thread)
    public static class Appender
    {
        BenchRecord record;
        ExcerptAppender appender;

        /**
         * Creates the appender on the thread that will use it, on this iteration's queue, and appends one
         * record outside the measurement. Chronicle creates and maps its cycle file, and each appender finds
         * it, on its first append (over 100 ms when two appenders race for it); jmirror's journal does the
         * equivalent in {@code Journal.open}, which is not measured either.
         *
         * @param queue this iteration's queue.
         */
        @Setup(Level.Iteration)
        public void open(final AppendQueue queue)
        {
            if (null == record)
            {
                record = new BenchRecord(queue.valueSize);
            }
            appender = queue.queue.createAppender();
            writeRecord(appender, record);
        }

        /**
         * Closes the appender before its queue goes away.
         */
        @TearDown(Level.Iteration)
        public void close()
        {
            Closeable.closeQuietly(appender);
            appender = null;
        }
    }

    /**
     * A prefilled queue of {@link BenchRecord#READ_RECORDS} records, written once per trial.
     */
    @State(Scope.Benchmark)
    public static class ReadQueue
    {
        @Param({ "64", "256" })
        public int valueSize;

        Path dir;
        ChronicleQueue queue;

        /**
         * Creates and fills the queue; filling is not measured.
         */
        @Setup(Level.Trial)
        public void open()
        {
            dir = TempDirs.create("jmirror-bench-chronicle-read");
            try
            {
                queue = openQueue(dir);
                final BenchRecord record = new BenchRecord(valueSize);
                try (ExcerptAppender appender = queue.createAppender())
                {
                    for (int i = 0; i < BenchRecord.READ_RECORDS; i++)
                    {
                        writeRecord(appender, record);
                    }
                }
            }
            catch (final RuntimeException | Error ex)
            {
                // JMH skips the teardown of a failed setup.
                close();
                throw ex;
            }
        }

        /**
         * Closes and deletes the queue.
         */
        @TearDown(Level.Trial)
        public void close()
        {
            Closeable.closeQuietly(queue);
            queue = null;
            TempDirs.delete(dir);
            dir = null;
        }
    }

    /**
     * One tailer per benchmark thread. It reads each record in place, as jmirror's flyweight does: the scalar fields,
     * the lengths, and the last byte of the key and of the value (so both are reached), skipping the names.
     */
    @State(Scope.Thread)
    public static class Reader
    {
        ExcerptTailer tailer;
        long mix;

        /**
         * Creates the tailer on the thread that will use it.
         *
         * @param queue the prefilled queue.
         */
        @Setup(Level.Trial)
        public void open(final ReadQueue queue)
        {
            tailer = queue.queue.createTailer();
        }

        /**
         * Closes the tailer before its queue goes away.
         */
        @TearDown(Level.Trial)
        public void close()
        {
            Closeable.closeQuietly(tailer);
            tailer = null;
        }

        /**
         * Reads the next record's fields in place into {@link #mix}.
         *
         * @return false at the end of the queue, with nothing read.
         */
        boolean readRecord()
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent())
                {
                    return false;
                }

                final Bytes<?> bytes = dc.wire().bytes();
                final byte type = bytes.readByte();
                final long transactionId = bytes.readLong();
                final long timestamp = bytes.readLong();
                bytes.readSkip(bytes.readStopBit());
                bytes.readSkip(bytes.readStopBit());
                final long keyLength = bytes.readStopBit();
                final byte lastKeyByte = bytes.readByte(bytes.readPosition() + keyLength - 1);
                bytes.readSkip(keyLength);
                final long valueLength = bytes.readStopBit();
                final byte lastValueByte = bytes.readByte(bytes.readPosition() + valueLength - 1);

                mix = transactionId ^ timestamp ^ type ^ lastKeyByte ^ lastValueByte;
                return true;
            }
        }
    }

    /**
     * One op appends one record of {@code valueSize} value bytes.
     *
     * @param appender this thread's appender and record.
     */
    @Benchmark
    public void append(final Appender appender)
    {
        writeRecord(appender.appender, appender.record);
    }

    /**
     * One op reads one record's fields; at the end of the queue it wraps to the start, so every op reads a
     * record.
     *
     * @param reader this thread's tailer.
     * @return a mix of the fields read, so the reads cannot be dropped.
     */
    @Benchmark
    public long iterate(final Reader reader)
    {
        if (!reader.readRecord())
        {
            reader.tailer.toStart();
            reader.readRecord();
        }
        return reader.mix;
    }
}
