package io.jmirror.dejournal;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.RingBuffer;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.jmirror.journal.RecordDescriptor.TIMESTAMP_OFFSET;

/**
 * Routes node records to the worker that owns their (database, global), through one Disruptor ring per worker, in
 * batches and without copying the record: a slot gets the record's buffer, offset and LSN.
 * <p>
 * A duty cycle first checks that every ring has room for a whole batch ({@link #hasRoomForBatch}), so slots are
 * filled without claiming them one by one; each ring's filled range is then claimed with one {@code next(n)} and
 * published once ({@link #publishClaimed}). A consumer only reads slots up to the published cursor, so filling a slot
 * before its claim is invisible to it. Only the dispatcher thread calls the routing methods.
 */
final class WorkerRouter
{
    private static final long HASH_SEED = 0x6a6d6972726f72L;
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;

    private final RingBuffer<RecordEvent>[] rings;
    private final BatchEventProcessor<RecordEvent>[] processors;
    private final int workers;
    private final long workerMultiplier;
    private final int ringSize;
    private final int dispatchBatch;
    private final long[] filled;
    private final long[] published;
    private final long[] storeBufferUntil;
    private DirectBuffer lastBuffer;
    private boolean isWaitingForRoom;
    private volatile long oldestInFlightTimestamp = Long.MAX_VALUE;

    WorkerRouter(
        final RingBuffer<RecordEvent>[] rings,
        final BatchEventProcessor<RecordEvent>[] processors,
        final int ringSize,
        final int dispatchBatch)
    {
        this.rings = rings;
        this.processors = processors;
        this.workers = rings.length;
        this.workerMultiplier = modMultiplier(workers);
        this.ringSize = ringSize;
        this.dispatchBatch = dispatchBatch;
        this.filled = new long[workers];
        this.published = new long[workers];
        this.storeBufferUntil = new long[workers];
        for (int w = 0; w < workers; w++)
        {
            filled[w] = rings[w].getCursor();
            published[w] = filled[w];
        }
    }

    /**
     * Whether every ring has room for a batch. Once a ring has been full, the dispatcher waits until every ring has a
     * quarter of its slots free again, then dispatches batch after batch: when the workers are the bottleneck (a
     * slow target) it wakes once per quarter ring instead of once per batch, which left it spinning, yielding and
     * parking for every 256 records on the cores the workers need. A worker still has three quarters of a ring to
     * apply while the dispatcher waits.
     */
    boolean hasRoomForBatch()
    {
        final long needed = isWaitingForRoom ? Math.max(dispatchBatch, ringSize / 4) : dispatchBatch;
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

    /**
     * Fill the next slot of the record's worker. The duty cycle checked that every ring has room for a whole batch.
     *
     * @param buffer      holding the record's frame.
     * @param offset      of the frame.
     * @param namesOffset of the database name, followed by the global name.
     * @param namesLength of both names.
     * @param lsn         of the record.
     */
    void route(final DirectBuffer buffer, final int offset, final int namesOffset, final int namesLength,
        final long lsn)
    {
        final int worker = mod(namesHash(buffer, namesOffset, namesLength), workerMultiplier, workers);
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
        event.lsn = lsn;
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

    /**
     * Claims and publishes, per ring, the slots filled since the last call. The claim cannot wait: the slots were
     * free when the batch started (see {@link #hasRoomForBatch}) and this thread is the rings' only producer.
     */
    void publishClaimed()
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
     * On the dispatcher thread: the lowest LSN a worker holds and has not applied, and the append time of the oldest
     * such record (see {@link #oldestInFlightTimestamp}).
     *
     * @param bound the result when no record is in flight below it.
     * @return the smaller of {@code bound} and the LSN of every record published and not yet applied.
     */
    long lowestInFlightLsn(final long bound)
    {
        long lowest = bound;
        long oldestTimestamp = Long.MAX_VALUE;
        for (int w = 0; w < workers; w++)
        {
            final long consumed = processors[w].getSequence().get();
            if (consumed < published[w])
            {
                // Published and not yet consumed, so this thread will not refill the slot, and its record's file
                // stays mapped: the consumer position the dispatcher checkpoints is at most the record's LSN.
                final RecordEvent next = rings[w].get(consumed + 1);
                lowest = Math.min(lowest, next.lsn);
                oldestTimestamp = Math.min(oldestTimestamp, next.buffer.getLong(next.offset + TIMESTAMP_OFFSET));
            }
        }
        oldestInFlightTimestamp = oldestTimestamp;
        return lowest;
    }

    /**
     * @return the append time of the oldest record a worker has not applied yet, as of the last
     * {@link #lowestInFlightLsn}, or {@code Long.MAX_VALUE} when none is in flight. Read from the journal on the
     * dispatcher thread, not kept in every ring slot: a slot without it is 32 bytes instead of 40, a fifth less for the
     * dispatcher to write and each worker to read per record.
     */
    long oldestInFlightTimestamp()
    {
        return oldestInFlightTimestamp;
    }

    /**
     * @return records published to the workers and not yet applied; any thread.
     */
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
}
