package io.jmirror.journal;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A process's status counters in a memory-mapped file, so a {@code status} command in another process can read
 * them while the process runs. The counters are Agrona counters: each has a type id and key
 * ({@link StatusCounterDescriptor}, {@link StatusCounterType}), a label for humans, and a 64-bit value written with
 * release semantics by the component that owns it.
 * <pre>
 *  +------------------------------------------+
 *  | Magic "JMIRSTAT" (8)  | Version (4)      |  0
 *  | Metadata Length (4)   | Values Length (4)|  12
 *  | Reserved (4)          | Pid (8)          |  20
 *  | Start Time ms (8)     | ... to 64        |  32
 *  +------------------------------------------+
 *  | Counter metadata (Agrona layout)         |  64
 *  +------------------------------------------+
 *  | Counter values (Agrona layout)           |
 *  +------------------------------------------+
 * </pre>
 * Without a directory the counters live in memory only, read in process.
 */
public final class StatusFile implements AutoCloseable
{
    /** Name of the file in the status directory. */
    public static final String FILE_NAME = "jmirror-status.dat";
    /** "JMIRSTAT" read as a little-endian long. */
    public static final long MAGIC = 0x54415453524D494AL;
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 64;
    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 8;
    private static final int METADATA_LENGTH_OFFSET = 12;
    private static final int VALUES_LENGTH_OFFSET = 16;
    private static final int PID_OFFSET = 24;
    private static final int START_TIME_OFFSET = 32;

    private final MappedByteBuffer mapped;
    private final CountersReader reader;
    private final CountersManager manager;
    private final Path path;
    private final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[CountersReader.MAX_KEY_LENGTH]);
    private boolean isClosed;

    private StatusFile(final Path path, final MappedByteBuffer mapped, final AtomicBuffer metadata,
        final AtomicBuffer values, final boolean writable)
    {
        this.path = path;
        this.mapped = mapped;
        if (writable)
        {
            this.manager = new CountersManager(metadata, values);
            this.reader = manager;
        }
        else
        {
            this.manager = null;
            this.reader = new CountersReader(metadata, values);
        }
    }

    /**
     * Create (or replace) the status file of this process.
     *
     * @param dir         directory for the file, or null for counters in memory only.
     * @param maxCounters how many counters it can hold.
     * @return the writable status file.
     */
    public static StatusFile create(final Path dir, final int maxCounters)
    {
        final int valuesLength = maxCounters * CountersReader.COUNTER_LENGTH;
        final int metadataLength = maxCounters * CountersReader.METADATA_LENGTH;
        final int length = HEADER_LENGTH + metadataLength + valuesLength;
        if (null == dir)
        {
            final UnsafeBuffer memory = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(length));
            return new StatusFile(null, null, new UnsafeBuffer(memory, HEADER_LENGTH, metadataLength),
                new UnsafeBuffer(memory, HEADER_LENGTH + metadataLength, valuesLength), true);
        }
        final Path path = dir.resolve(FILE_NAME);
        try
        {
            Files.createDirectories(dir);
            try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw"))
            {
                raf.setLength(0);
                raf.setLength(length);
                final MappedByteBuffer mapped = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, length);
                final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
                buffer.putInt(METADATA_LENGTH_OFFSET, metadataLength);
                buffer.putInt(VALUES_LENGTH_OFFSET, valuesLength);
                buffer.putLong(PID_OFFSET, ProcessHandle.current().pid());
                buffer.putLong(START_TIME_OFFSET, System.currentTimeMillis());
                buffer.putInt(VERSION_OFFSET, VERSION);
                buffer.putLongRelease(MAGIC_OFFSET, MAGIC);
                return new StatusFile(path, mapped, new UnsafeBuffer(buffer, HEADER_LENGTH, metadataLength),
                    new UnsafeBuffer(buffer, HEADER_LENGTH + metadataLength, valuesLength), true);
            }
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR,
                "cannot create status file: file=" + path + " reason=" + ex, ex);
        }
    }

    /**
     * Open another process's status file to read its counters.
     *
     * @param dir the directory the process writes its status file in.
     * @return a read-only view.
     */
    public static StatusFile openReadOnly(final Path dir)
    {
        final Path path = dir.resolve(FILE_NAME);
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "r"))
        {
            final long length = raf.length();
            if (length < HEADER_LENGTH)
            {
                throw new JournalException(JournalException.Code.CORRUPT_HEADER,
                    "status file too short: file=" + path + " length=" + length);
            }
            final MappedByteBuffer mapped = raf.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, length);
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            final int metadataLength = buffer.getInt(METADATA_LENGTH_OFFSET);
            final int valuesLength = buffer.getInt(VALUES_LENGTH_OFFSET);
            if (buffer.getLongAcquire(MAGIC_OFFSET) != MAGIC || buffer.getInt(VERSION_OFFSET) != VERSION ||
                metadataLength < 0 || valuesLength < 0 || HEADER_LENGTH + (long)metadataLength + valuesLength > length)
            {
                IoUtil.unmap(mapped);
                throw new JournalException(JournalException.Code.CORRUPT_HEADER,
                    "not a jmirror status file of version " + VERSION + ": file=" + path);
            }
            return new StatusFile(path, mapped, new UnsafeBuffer(buffer, HEADER_LENGTH, metadataLength),
                new UnsafeBuffer(buffer, HEADER_LENGTH + metadataLength, valuesLength), false);
        }
        catch (final IOException ex)
        {
            throw new JournalException(JournalException.Code.IO_ERROR,
                "cannot open status file: file=" + path + " reason=" + ex, ex);
        }
    }

    /**
     * @param type what the counter counts.
     * @param name whose it is (a member's name; empty for the primary's own).
     * @return a new counter; close it when its owner goes away.
     */
    public AtomicCounter newCounter(final StatusCounterType type, final String name)
    {
        return newCounter(type, name, StatusCounterDescriptor.NO_WORKER);
    }

    /**
     * @param type        what the counter counts.
     * @param name        whose it is (a member's name; empty for the primary's own).
     * @param workerIndex the dejournal worker's index, for a {@link StatusCounterType.Scope#WORKER} counter.
     * @return a new counter, keyed as {@link StatusCounterDescriptor} draws; close it when its owner goes away.
     */
    public synchronized AtomicCounter newCounter(final StatusCounterType type, final String name,
        final int workerIndex)
    {
        if (null == manager)
        {
            throw new JournalException(JournalException.Code.CLOSED, "status file is read-only: file=" + path);
        }
        if ((type.scope() == StatusCounterType.Scope.WORKER) != (workerIndex >= 0))
        {
            throw new JournalException(JournalException.Code.INVALID_CONFIG, "worker index " +
                "is for worker counters only: type=" + type + " workerIndex=" + workerIndex);
        }
        StatusCounterDescriptor.encodeKey(keyBuffer, name, workerIndex); // checks the name before allocating
        return manager.newCounter(type.label(name, workerIndex), type.typeId(),
            (key) -> StatusCounterDescriptor.encodeKey(key, name, workerIndex));
    }

    /**
     * Free a counter's slot (an {@link AtomicCounter#close()} does the same through the manager).
     */
    public synchronized void free(final AtomicCounter counter)
    {
        counter.close();
    }

    /**
     * @return every allocated counter's label and value, in slot order: for humans and logs; code reads
     * {@link #counters()}.
     */
    public Map<String, Long> snapshot()
    {
        final Map<String, Long> values = new LinkedHashMap<>();
        reader.forEach((value, counterId, label) -> values.put(label, value));
        return values;
    }

    /**
     * @return every allocated counter, decoded by type id and key, in slot order.
     */
    public List<StatusCounter> counters()
    {
        final List<StatusCounter> counters = new ArrayList<>();
        reader.forEach((counterId, typeId, key, label) ->
        {
            final StatusCounterType type = StatusCounterType.of(typeId);
            final String name = StatusCounterDescriptor.name(key);
            final int workerIndex = StatusCounterDescriptor.workerIndex(key);
            final String text = null == type || type.unit() != StatusCounterType.Unit.TEXT ? null :
                StatusText.read(reader, counterId, type.label(name, workerIndex) + StatusText.SEPARATOR);
            counters.add(new StatusCounter(typeId, type, name, workerIndex, reader.getCounterValue(counterId),
                label, text));
        });
        return counters;
    }

    /**
     * @return the value of the first counter of {@code type} whose key names {@code name}, or {@code absent}.
     */
    public long value(final StatusCounterType type, final String name, final long absent)
    {
        for (final StatusCounter counter : counters())
        {
            if (counter.type() == type && counter.name().equals(name))
            {
                return counter.value();
            }
        }
        return absent;
    }

    /**
     * @return the text of the first {@link StatusCounterType.Unit#TEXT} counter of {@code type} whose key names
     * {@code name} ({@link StatusText}), or null when there is none.
     */
    public String text(final StatusCounterType type, final String name)
    {
        for (final StatusCounter counter : counters())
        {
            if (counter.type() == type && counter.name().equals(name))
            {
                return counter.text();
            }
        }
        return null;
    }

    /**
     * @return the reader over the counters.
     */
    public CountersReader reader()
    {
        return reader;
    }

    /**
     * @return the file, or null for counters in memory.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Unmap the file; it stays on disk for post-mortem reading. Safe to call twice.
     */
    @Override
    public synchronized void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            if (null != mapped)
            {
                IoUtil.unmap(mapped);
            }
        }
    }
}
