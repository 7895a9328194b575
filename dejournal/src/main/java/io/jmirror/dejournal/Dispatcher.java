package io.jmirror.dejournal;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.RingBuffer;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalConsumer;
import io.jmirror.journal.JournalException;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordHandler;
import io.jmirror.journal.RecordType;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.jmirror.journal.RecordDescriptor.HEADER_LENGTH;
import static io.jmirror.journal.RecordDescriptor.HEADER_WORD_OFFSET;
import static io.jmirror.journal.RecordDescriptor.TIMESTAMP_OFFSET;
import static io.jmirror.journal.RecordDescriptor.databaseLength;
import static io.jmirror.journal.RecordDescriptor.globalLength;
import static io.jmirror.journal.RecordDescriptor.typeCode;

/**
 * The dejournaler's reading thread: it reads the local journal by flyweight, passes transaction markers to the
 * target, and publishes every SET, KILL and ZKILL to the ring of the worker that owns its (database, global),
 * in batches, without copying the record. It also computes the applied LSN (the lowest LSN not yet applied by any
 * worker), checkpoints it, and runs pause and resume per database.
 * <p>
 * <b>Per record</b> it does only this: one look at the type byte, a check that the database is the previous
 * record's (which gives its paused state), a hash of the names read 8 bytes at a time, and four stores into the
 * next slot of the worker's ring. A duty cycle first checks that every ring has room for a whole batch, so slots are
 * filled without claiming them one by one; each ring's filled range is then claimed with one {@code next(n)} and
 * published once. A consumer only reads slots up to the published cursor, so filling a slot before its claim is
 * invisible to it.
 */
final class Dispatcher implements Agent, RecordHandler
{
    private static final byte SET = RecordType.SET.code();
    private static final byte KILL = RecordType.KILL.code();
    private static final byte ZKILL = RecordType.ZKILL.code();
    private static final long HASH_SEED = 0x6a6d6972726f72L;
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;

    private final DejournalContext ctx;
    private final Journal journal;
    private final Target target;
    private final RingBuffer<RecordEvent>[] rings;
    private final BatchEventProcessor<RecordEvent>[] processors;
    private final long[] filled;
    private final long[] published;
    private final long[] storeBufferUntil;
    private final int ringSize;
    private final long workerMultiplier;
    private final JournalReader reader;
    private final JournalConsumer consumer;
    private final Long2LongHashMap openTransactions = new Long2LongHashMap(-1);
    private final PendingMarkers pendingMarkers = new PendingMarkers();
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final List<KnownDatabase> knownDatabases = new ArrayList<>();
    private final List<String> knownDatabaseNames = new ArrayList<>();
    private final List<PausedDatabase> paused = new CopyOnWriteArrayList<>();
    private final int workers;
    private volatile long appliedLsn;
    private volatile long lastCheckpointLsn = -1;
    private volatile int openTransactionCount;
    private volatile long oldestOpenTransactionLsn = -1;
    private volatile long oldestInFlightTimestamp = Long.MAX_VALUE;
    private long nextCheckpointMs;
    private JournalReader catchUp;
    private PausedDatabase catchingUp;
    /** Databases whose resume waits for the catch-up of another to finish: one catch-up reader at a time. */
    private final java.util.ArrayDeque<String> pendingResumes = new java.util.ArrayDeque<>();
    private boolean dispatchingCatchUp;
    private KnownDatabase lastDatabase;
    private DirectBuffer lastBuffer;
    private boolean isWaitingForRoom;
    private JournalException damage;

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

    /**
     * A database the journal has named, with its paused state as the dispatcher thread sees it. The name is kept
     * zero-padded to a multiple of 8 bytes so that it compares with a frame's name a word at a time.
     */
    static final class KnownDatabase
    {
        final byte[] name;
        final UnsafeBuffer words;
        PausedDatabase paused;

        KnownDatabase(final byte[] name)
        {
            this.name = name;
            this.words = new UnsafeBuffer(Arrays.copyOf(name, BitUtil.align(name.length, Long.BYTES)));
        }

        /**
         * Compares 8 bytes at a time; the last word may run past the name into the rest of the frame, whose bytes
         * are masked off (see {@link #tailMask}).
         */
        boolean matches(final DirectBuffer buffer, final int offset, final int length)
        {
            if (length != name.length)
            {
                return false;
            }
            int i = 0;
            for (; i + Long.BYTES <= length; i += Long.BYTES)
            {
                if (buffer.getLong(offset + i, ByteOrder.LITTLE_ENDIAN) != words.getLong(i, ByteOrder.LITTLE_ENDIAN))
                {
                    return false;
                }
            }
            return i == length || ((buffer.getLong(offset + i, ByteOrder.LITTLE_ENDIAN) ^
                words.getLong(i, ByteOrder.LITTLE_ENDIAN)) & tailMask(length - i)) == 0;
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
        this.filled = new long[workers];
        this.published = new long[workers];
        this.storeBufferUntil = new long[workers];
        this.ringSize = ctx.ringSize();
        for (int w = 0; w < workers; w++)
        {
            filled[w] = rings[w].getCursor();
            published[w] = filled[w];
        }
        this.workerMultiplier = modMultiplier(workers);
        this.consumer = journal.registerConsumer("dejournal", startLsn);
        this.reader = journal.reader(startLsn).verifyChecksums(ctx.verifyChecksums()).endLsn(ctx.endLsn());
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
        if (null != damage)
        {
            // Stopped at a damaged frame: reading it again would count, log and fail once per duty cycle. The
            // records before it stay applied and the applied LSN stays at it.
            work = 0;
        }
        else if (null != catchUp)
        {
            work += catchUpWork();
        }
        else if (hasRoomForBatch())
        {
            try
            {
                work += reader.poll(this, ctx.dispatchBatch());
            }
            catch (final JournalException ex)
            {
                damage = ex;
                throw ex;
            }
            finally
            {
                // Also when a damaged frame stops the batch: the records before it are applied.
                publishClaimed();
            }
        }
        updateAppliedLsn();
        work += pendingMarkers.deliverBelow(appliedLsn, target);
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

    /**
     * Whether every ring has room for a batch. Once a ring has been full, the dispatcher waits until every ring has a
     * quarter of its slots free again, then dispatches batch after batch: when the workers are the bottleneck (a
     * slow target) it wakes once per quarter ring instead of once per batch, which left it spinning, yielding and
     * parking for every 256 records on the cores the workers need. A worker still has three quarters of a ring to
     * apply while the dispatcher waits.
     */
    private boolean hasRoomForBatch()
    {
        final long needed = isWaitingForRoom ? Math.max(ctx.dispatchBatch(), ctx.ringSize() / 4) : ctx.dispatchBatch();
        for (final RingBuffer<RecordEvent> ring : rings)
        {
            if (ring.remainingCapacity() < needed)
            {
                isWaitingForRoom = true;
                return false;
            }
        }
        isWaitingForRoom = false;
        return true;
    }

    @Override
    public void onRecord(final JournalRecord record)
    {
        final DirectBuffer buffer = record.buffer();
        final int offset = record.offset();
        // Type and both name lengths in one read: the reader checked this frame a moment ago, so it is in cache.
        final long headerWord = buffer.getLong(offset + HEADER_WORD_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final byte type = typeCode(headerWord);
        if (type != SET && type != KILL && type != ZKILL)
        {
            if (!dispatchingCatchUp)
            {
                onTransactionMarker(record, record.type());
            }
            return;
        }
        final int databaseOffset = offset + HEADER_LENGTH;
        final int databaseLength = databaseLength(headerWord);
        final KnownDatabase database = database(buffer, databaseOffset, databaseLength);
        if (dispatchingCatchUp ? database.paused != catchingUp : null != database.paused)
        {
            return;
        }
        final long hash = namesHash(buffer, databaseOffset, databaseLength + globalLength(headerWord));
        final int worker = mod(hash, workerMultiplier, workers);
        // The duty cycle checked that every ring has room for a whole batch: see publishClaimed.
        if (buffer != lastBuffer)
        {
            onNewBuffer(buffer);
        }
        final long sequence = ++filled[worker];
        final RecordEvent event = rings[worker].get(sequence);
        if (sequence <= storeBufferUntil[worker])
        {
            event.buffer = buffer;
        }
        event.offset = offset;
        event.lsn = record.lsn();
    }

    /**
     * A record from another journal file than the previous one: the next {@code ringSize} slots of every ring, which
     * are all its slots, get the new buffer stored; after that every slot holds it already. This way the slot's
     * buffer reference is neither stored for every record (a GC write barrier each) nor read to compare it (which
     * would load the slot's cache line, last written by the worker's core, before the stores that need it exclusive).
     */
    private void onNewBuffer(final DirectBuffer buffer)
    {
        lastBuffer = buffer;
        for (int w = 0; w < workers; w++)
        {
            storeBufferUntil[w] = filled[w] + ringSize;
        }
    }

    private void onTransactionMarker(final JournalRecord record, final RecordType type)
    {
        if (!type.isTransactionMarker())
        {
            // EPOCH_START: it changes nothing in the data, and the target sees only transaction markers.
            return;
        }
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
        // Handed to the target once every record before it is applied: see PendingMarkers.
        pendingMarkers.add(record.buffer(), record.offset(), record.lsn());
    }

    /**
     * The hash that picks a record's worker: of the database and global names, which sit side by side in the frame
     * (so ("AB", "C") and ("A", "BC") share a worker, which costs nothing but balance). It reads the names 8 bytes at
     * a time, XXH64-style rounds, then a murmur3 finish so nearby names spread over the workers.
     * <p>
     * The last word may run past the names, which is safe in a frame: the names start 48 bytes (a multiple of 8) into
     * a frame padded to 8 bytes, so a word that starts inside them ends inside the frame. The extra bytes are masked.
     *
     * @param buffer holding the names; readable up to {@code offset + length} rounded up to 8 bytes.
     * @param offset of the database name.
     * @param length of the database name plus the global name.
     */
    static long namesHash(final DirectBuffer buffer, final int offset, final int length)
    {
        long hash = HASH_SEED + length;
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            hash = round(hash, buffer.getLong(offset + i, ByteOrder.LITTLE_ENDIAN));
        }
        if (i < length)
        {
            hash = round(hash, buffer.getLong(offset + i, ByteOrder.LITTLE_ENDIAN) & tailMask(length - i));
        }
        hash ^= hash >>> 33;
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        return hash;
    }

    private static long round(final long hash, final long word)
    {
        return Long.rotateLeft(hash ^ (word * P2), 31) * P1;
    }

    /**
     * @return a mask of the low {@code bytes} bytes of a little-endian word, for 1 to 8 bytes.
     */
    static long tailMask(final int bytes)
    {
        return -1L >>> (Long.SIZE - Byte.SIZE * bytes);
    }

    /**
     * @return the multiplier with which {@link #mod} divides by {@code divisor}: ceil(2^64 / divisor).
     */
    static long modMultiplier(final int divisor)
    {
        return Long.divideUnsigned(-1L, divisor) + 1;
    }

    /**
     * The worker of a hash: its high 32 bits, unsigned, mod the worker count. Computed exactly, with two
     * multiplications instead of a division (Lemire, Kaser and Kurz, "Faster remainder by direct computation",
     * 2019), since a 64-bit division per record was a visible part of the dispatcher's profile.
     *
     * @param multiplier {@link #modMultiplier(int)} of {@code divisor}.
     * @param divisor    the worker count, 1 to {@link DejournalContext#MAX_WORKERS}.
     */
    static int mod(final long hash, final long multiplier, final int divisor)
    {
        final long lowBits = multiplier * (hash >>> 32);
        // The high word of the unsigned product lowBits * divisor, from the signed one.
        return (int)(Math.multiplyHigh(lowBits, divisor) + ((lowBits >> 63) & divisor));
    }

    /**
     * @return the worker that applies a global's records, for tests and skew analysis.
     */
    static int workerFor(final String database, final String global, final int workers)
    {
        final byte[] names = (database + global).getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer padded = new UnsafeBuffer(Arrays.copyOf(names, BitUtil.align(names.length, Long.BYTES)));
        return mod(namesHash(padded, 0, names.length), modMultiplier(workers), workers);
    }

    /**
     * Claims and publishes, per ring, the slots filled since the last call. The claim cannot wait: the slots were
     * free when the batch started (see {@link #hasRoomForBatch}) and this thread is the rings' only producer.
     */
    private void publishClaimed()
    {
        for (int w = 0; w < workers; w++)
        {
            final long high = filled[w];
            final long low = published[w] + 1;
            if (high >= low)
            {
                final RingBuffer<RecordEvent> ring = rings[w];
                final long claimed = ring.next((int)(high - low + 1));
                if (claimed != high)
                {
                    throw new IllegalStateException("ring claim out of step: worker=" + w + " claimed=" + claimed +
                        " filled=" + high);
                }
                ring.publish(low, high);
                published[w] = high;
            }
        }
    }

    /**
     * @return the database of a record: the previous record's (the common case, one word compared), else found or
     * added (allocates once per database).
     */
    private KnownDatabase database(final DirectBuffer buffer, final int offset, final int length)
    {
        final KnownDatabase last = lastDatabase;
        if (null != last && last.matches(buffer, offset, length))
        {
            return last;
        }
        return findDatabase(buffer, offset, length);
    }

    /**
     * The slow path of {@link #database}, once per database and journal: kept out of it because C2 inlined all of
     * it (list search, allocation, string decoding) into {@link #onRecord}, which made that method's compiled code
     * too big to be inlined into the reader's poll loop ({@code -XX:+PrintInlining}: "already compiled into a big
     * method"), so every record paid a call.
     */
    private KnownDatabase findDatabase(final DirectBuffer buffer, final int offset, final int length)
    {
        KnownDatabase found = null;
        for (int i = 0, n = knownDatabases.size(); i < n; i++)
        {
            if (knownDatabases.get(i).matches(buffer, offset, length))
            {
                found = knownDatabases.get(i);
                break;
            }
        }
        if (null == found)
        {
            final byte[] name = new byte[length];
            buffer.getBytes(offset, name);
            found = new KnownDatabase(name);
            found.paused = pausedEntry(name);
            knownDatabases.add(found);
            synchronized (knownDatabaseNames)
            {
                knownDatabaseNames.add(new String(name, StandardCharsets.UTF_8));
            }
        }
        lastDatabase = found;
        return found;
    }

    private PausedDatabase pausedEntry(final byte[] name)
    {
        for (int i = 0, n = paused.size(); i < n; i++)
        {
            final PausedDatabase p = paused.get(i);
            if (Arrays.equals(p.name, name))
            {
                return p;
            }
        }
        return null;
    }

    /**
     * After {@link #paused} changed: each known database's paused state again.
     */
    private void refreshPaused()
    {
        for (int i = 0, n = knownDatabases.size(); i < n; i++)
        {
            final KnownDatabase database = knownDatabases.get(i);
            database.paused = pausedEntry(database.name);
        }
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
            refreshPaused();
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
                        startCatchUp(p);
                    }
                    else if (!pendingResumes.contains(database))
                    {
                        // Re-queueing the command here made runCommands, which drains the queue, loop forever.
                        pendingResumes.add(database);
                    }
                    return;
                }
            }
        });
    }

    private void startCatchUp(final PausedDatabase p)
    {
        catchingUp = p;
        catchUp = journal.reader(p.sinceLsn).verifyChecksums(ctx.verifyChecksums());
    }

    /**
     * Start the catch-up of the next database whose resume waited, if any is still paused.
     */
    private void startPendingResume()
    {
        String database;
        while (null == catchUp && null != (database = pendingResumes.poll()))
        {
            for (final PausedDatabase p : paused)
            {
                if (p.text.equals(database))
                {
                    startCatchUp(p);
                    break;
                }
            }
        }
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
        catch (final JournalException ex)
        {
            damage = ex;
            throw ex;
        }
        finally
        {
            dispatchingCatchUp = false;
            publishClaimed();
        }
        if (catchUp.position() >= stop)
        {
            paused.remove(catchingUp);
            catchUp.close();
            catchUp = null;
            catchingUp = null;
            refreshPaused();
            startPendingResume();
        }
        return work;
    }

    private void updateAppliedLsn()
    {
        long applied = reader.position();
        for (int i = 0, n = paused.size(); i < n; i++)
        {
            final PausedDatabase p = paused.get(i);
            applied = Math.min(applied, p == catchingUp && null != catchUp ? catchUp.position() : p.sinceLsn);
        }
        long oldestTimestamp = Long.MAX_VALUE;
        for (int w = 0; w < workers; w++)
        {
            final long consumed = processors[w].getSequence().get();
            if (consumed < published[w])
            {
                // Published and not yet consumed, so this thread will not refill the slot, and its record's file
                // stays mapped: the consumer position this thread checkpoints is at most the record's LSN.
                final RecordEvent next = rings[w].get(consumed + 1);
                applied = Math.min(applied, next.lsn);
                oldestTimestamp = Math.min(oldestTimestamp, next.buffer.getLong(next.offset + TIMESTAMP_OFFSET));
            }
        }
        oldestInFlightTimestamp = oldestTimestamp;
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

    /**
     * @return the append time of the oldest record a worker has not applied yet, as of the last duty cycle, or
     * {@code Long.MAX_VALUE} when none is in flight. Read from the journal on the dispatcher thread, not kept in every
     * ring slot: a slot without it is 32 bytes instead of 40, a fifth less for the dispatcher to write and each worker
     * to read per record.
     */
    long oldestInFlightTimestamp()
    {
        return oldestInFlightTimestamp;
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
