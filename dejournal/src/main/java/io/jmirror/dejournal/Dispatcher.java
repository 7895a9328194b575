package io.jmirror.dejournal;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.RingBuffer;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalConsumer;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordHandler;
import io.jmirror.journal.RecordType;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.Agent;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The dejournaler's reading thread: it reads the local journal by flyweight, passes transaction markers to the
 * target, and publishes every SET, KILL and ZKILL to the ring of the worker that owns its (database, global),
 * in batches, without copying the record. It also computes the applied LSN (the lowest LSN not yet applied by any
 * worker), checkpoints it, and runs pause and resume per database.
 */
final class Dispatcher implements Agent, RecordHandler
{
    private final DejournalContext ctx;
    private final Journal journal;
    private final Target target;
    private final RingBuffer<RecordEvent>[] rings;
    private final BatchEventProcessor<RecordEvent>[] processors;
    private final long[] claimedLow;
    private final long[] claimedHigh;
    private final long[] published;
    private final JournalReader reader;
    private final JournalConsumer consumer;
    private final Long2LongHashMap openTransactions = new Long2LongHashMap(-1);
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final List<byte[]> knownDatabases = new ArrayList<>();
    private final List<String> knownDatabaseNames = new ArrayList<>();
    private final List<PausedDatabase> paused = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final int workers;
    private volatile long appliedLsn;
    private volatile long lastCheckpointLsn = -1;
    private volatile int openTransactionCount;
    private volatile long oldestOpenTransactionLsn = -1;
    private long nextCheckpointMs;
    private JournalReader catchUp;
    private PausedDatabase catchingUp;
    private boolean dispatchingCatchUp;

    /**
     * A paused database: its records are skipped from {@code sinceLsn} on and replayed on resume.
     */
    static final class PausedDatabase
    {
        final byte[] name;
        final String text;
        final long sinceLsn;

        PausedDatabase(final String text, final long sinceLsn)
        {
            this.text = text;
            this.name = text.getBytes(StandardCharsets.UTF_8);
            this.sinceLsn = sinceLsn;
        }
    }

    Dispatcher(
        final DejournalContext ctx,
        final RingBuffer<RecordEvent>[] rings,
        final BatchEventProcessor<RecordEvent>[] processors,
        final long startLsn)
    {
        this.ctx = ctx;
        this.journal = ctx.journal();
        this.target = ctx.target();
        this.rings = rings;
        this.processors = processors;
        this.workers = rings.length;
        this.claimedLow = new long[workers];
        this.claimedHigh = new long[workers];
        this.published = new long[workers];
        Arrays.fill(claimedLow, -1);
        Arrays.fill(published, -1);
        this.consumer = journal.registerConsumer("dejournal", startLsn);
        this.reader = journal.reader(startLsn);
        this.appliedLsn = startLsn;
    }

    @Override
    public String roleName()
    {
        return "jmirror-dejournal-dispatcher";
    }

    @Override
    public int doWork()
    {
        int work = runCommands();
        if (null != catchUp)
        {
            work += catchUpWork();
        }
        else if (hasRoomForBatch())
        {
            work += reader.poll(this, ctx.dispatchBatch());
            publishClaimed();
        }
        updateAppliedLsn();
        final long nowMs = System.currentTimeMillis();
        if (nowMs >= nextCheckpointMs)
        {
            checkpoint();
            nextCheckpointMs = nowMs + ctx.checkpointIntervalMs();
        }
        return work;
    }

    private int runCommands()
    {
        int work = 0;
        Runnable command;
        while (null != (command = commands.poll()))
        {
            command.run();
            work++;
        }
        return work;
    }

    private boolean hasRoomForBatch()
    {
        for (final RingBuffer<RecordEvent> ring : rings)
        {
            if (ring.remainingCapacity() < ctx.dispatchBatch())
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public void onRecord(final JournalRecord record)
    {
        final RecordType type = record.type();
        if (!type.isNodeRecord())
        {
            if (!dispatchingCatchUp)
            {
                onTransactionMarker(record, type);
            }
            return;
        }
        final DirectBuffer buffer = record.buffer();
        final int databaseOffset = record.databaseOffset();
        final int databaseLength = record.databaseLength();
        noteDatabase(buffer, databaseOffset, databaseLength);
        final boolean isPaused = isPaused(buffer, databaseOffset, databaseLength);
        if (dispatchingCatchUp ? !isCatchingUp(buffer, databaseOffset, databaseLength) : isPaused)
        {
            return;
        }
        final int worker = workerFor(buffer, databaseOffset, databaseLength + record.globalLength());
        final RingBuffer<RecordEvent> ring = rings[worker];
        final long sequence = ring.next();
        final RecordEvent event = ring.get(sequence);
        event.buffer = buffer;
        event.offset = record.offset();
        event.lsn = record.lsn();
        event.timestamp = record.timestamp();
        if (claimedLow[worker] < 0)
        {
            claimedLow[worker] = sequence;
        }
        claimedHigh[worker] = sequence;
    }

    private void onTransactionMarker(final JournalRecord record, final RecordType type)
    {
        if (type == RecordType.TSTART)
        {
            openTransactions.put(record.transactionId(), record.lsn());
        }
        else
        {
            openTransactions.remove(record.transactionId());
        }
        openTransactionCount = openTransactions.size();
        long oldest = -1;
        final Long2LongHashMap.ValueIterator values = openTransactions.values().iterator();
        while (values.hasNext())
        {
            final long lsn = values.nextValue();
            if (oldest < 0 || lsn < oldest)
            {
                oldest = lsn;
            }
        }
        oldestOpenTransactionLsn = oldest;
        target.onTransactionMarker(record);
    }

    /**
     * All records of one (database, global) go to one worker: a hash of the two names, which sit side by side in
     * the frame.
     */
    private int workerFor(final DirectBuffer buffer, final int offset, final int length)
    {
        return workerFor(buffer, offset, length, workers);
    }

    /**
     * FNV-1a over the names, finished with a murmur3 mix so nearby names spread over the workers.
     */
    static int workerFor(final DirectBuffer buffer, final int offset, final int length, final int workers)
    {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < length; i++)
        {
            hash ^= buffer.getByte(offset + i);
            hash *= 0x100000001b3L;
        }
        hash ^= hash >>> 33;
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        return (int)((hash & Long.MAX_VALUE) % workers);
    }

    /**
     * @return the worker that applies a global's records, for tests and skew analysis.
     */
    static int workerFor(final String database, final String global, final int workers)
    {
        final byte[] names = (database + global).getBytes(StandardCharsets.UTF_8);
        return workerFor(new org.agrona.concurrent.UnsafeBuffer(names), 0, names.length, workers);
    }

    private void publishClaimed()
    {
        for (int w = 0; w < workers; w++)
        {
            if (claimedLow[w] >= 0)
            {
                rings[w].publish(claimedLow[w], claimedHigh[w]);
                published[w] = claimedHigh[w];
                claimedLow[w] = -1;
            }
        }
    }

    private void noteDatabase(final DirectBuffer buffer, final int offset, final int length)
    {
        for (int i = 0; i < knownDatabases.size(); i++)
        {
            if (equals(knownDatabases.get(i), buffer, offset, length))
            {
                return;
            }
        }
        final byte[] name = new byte[length];
        buffer.getBytes(offset, name);
        knownDatabases.add(name);
        synchronized (knownDatabaseNames)
        {
            knownDatabaseNames.add(new String(name, StandardCharsets.UTF_8));
        }
    }

    private boolean isPaused(final DirectBuffer buffer, final int offset, final int length)
    {
        for (int i = 0; i < paused.size(); i++)
        {
            if (equals(paused.get(i).name, buffer, offset, length))
            {
                return true;
            }
        }
        return false;
    }

    private boolean isCatchingUp(final DirectBuffer buffer, final int offset, final int length)
    {
        return null != catchingUp && equals(catchingUp.name, buffer, offset, length);
    }

    private static boolean equals(final byte[] name, final DirectBuffer buffer, final int offset, final int length)
    {
        if (name.length != length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (name[i] != buffer.getByte(offset + i))
            {
                return false;
            }
        }
        return true;
    }

    void pause(final String database)
    {
        commands.add(() ->
        {
            for (final PausedDatabase p : paused)
            {
                if (p.text.equals(database))
                {
                    return;
                }
            }
            paused.add(new PausedDatabase(database, reader.position()));
        });
    }

    void resume(final String database)
    {
        commands.add(() ->
        {
            for (final PausedDatabase p : paused)
            {
                if (p.text.equals(database) && p != catchingUp)
                {
                    if (null == catchUp)
                    {
                        catchingUp = p;
                        catchUp = journal.reader(p.sinceLsn);
                    }
                    else
                    {
                        commands.add(() -> resume(database));
                    }
                    return;
                }
            }
        });
    }

    /**
     * Replay the skipped records of the database being resumed, up to where the main reader stopped; only then
     * does it count as resumed, so its records stay in journal order.
     */
    private int catchUpWork()
    {
        if (!hasRoomForBatch())
        {
            return 0;
        }
        final long stop = reader.position();
        int work = 0;
        dispatchingCatchUp = true;
        try
        {
            while (catchUp.position() < stop && work < ctx.dispatchBatch())
            {
                if (catchUp.poll(this, 1) == 0)
                {
                    break;
                }
                work++;
            }
        }
        finally
        {
            dispatchingCatchUp = false;
        }
        publishClaimed();
        if (catchUp.position() >= stop)
        {
            paused.remove(catchingUp);
            catchUp.close();
            catchUp = null;
            catchingUp = null;
        }
        return work;
    }

    private void updateAppliedLsn()
    {
        long applied = reader.position();
        for (final PausedDatabase p : paused)
        {
            applied = Math.min(applied, p == catchingUp && null != catchUp ? catchUp.position() : p.sinceLsn);
        }
        for (int w = 0; w < workers; w++)
        {
            final long consumed = processors[w].getSequence().get();
            if (consumed < published[w])
            {
                applied = Math.min(applied, rings[w].get(consumed + 1).lsn);
            }
        }
        if (applied > appliedLsn)
        {
            appliedLsn = applied;
        }
    }

    void checkpoint()
    {
        final long applied = appliedLsn;
        if (applied > lastCheckpointLsn)
        {
            target.checkpoint(applied);
            consumer.position(applied);
            lastCheckpointLsn = applied;
        }
    }

    long appliedLsn()
    {
        return appliedLsn;
    }

    long inFlight()
    {
        long inFlight = 0;
        for (int w = 0; w < workers; w++)
        {
            inFlight += Math.max(0, published[w] - processors[w].getSequence().get());
        }
        return inFlight;
    }

    long oldestInFlightTimestamp()
    {
        long oldest = Long.MAX_VALUE;
        for (int w = 0; w < workers; w++)
        {
            final long consumed = processors[w].getSequence().get();
            if (consumed < published[w])
            {
                oldest = Math.min(oldest, rings[w].get(consumed + 1).timestamp);
            }
        }
        return oldest;
    }

    int openTransactionCount()
    {
        return openTransactionCount;
    }

    long oldestOpenTransactionLsn()
    {
        return oldestOpenTransactionLsn;
    }

    List<String> databases()
    {
        synchronized (knownDatabaseNames)
        {
            return new ArrayList<>(knownDatabaseNames);
        }
    }

    boolean isPaused(final String database)
    {
        for (final PausedDatabase p : paused)
        {
            if (p.text.equals(database))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * After the dispatcher thread stopped and the workers drained: a last applied LSN and checkpoint, then let go of
     * the journal.
     */
    void finish()
    {
        updateAppliedLsn();
        checkpoint();
        if (null != catchUp)
        {
            catchUp.close();
        }
        reader.close();
        consumer.close();
    }
}
