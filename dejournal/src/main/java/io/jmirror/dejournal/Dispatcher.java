package io.jmirror.dejournal;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.RingBuffer;
import io.jmirror.journal.JournalException;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordHandler;
import io.jmirror.journal.RecordType;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;

import java.nio.ByteOrder;
import java.util.List;

import static io.jmirror.journal.RecordDescriptor.HEADER_LENGTH;
import static io.jmirror.journal.RecordDescriptor.HEADER_WORD_OFFSET;
import static io.jmirror.journal.RecordDescriptor.databaseLength;
import static io.jmirror.journal.RecordDescriptor.globalLength;
import static io.jmirror.journal.RecordDescriptor.typeCode;

/**
 * The dejournaler's reading thread, a thin coordinator: it reads the local journal by flyweight and hands each node
 * record to the {@link WorkerRouter}, unless {@link DatabasePauses} says its database is paused; it passes transaction
 * markers to {@link OpenTransactions} and, once every record before them is applied, to the target
 * ({@link PendingMarkers}); and it moves the {@link AppliedLsn} forward and checkpoints it.
 * <p>
 * <b>Per record</b> it does only this: one look at the type byte, a check that the database is the previous
 * record's (which gives its paused state), a hash of the names read 8 bytes at a time, and four stores into the
 * next slot of the worker's ring.
 */
final class Dispatcher implements Agent, RecordHandler
{
    private static final byte SET = RecordType.SET.code();
    private static final byte KILL = RecordType.KILL.code();
    private static final byte ZKILL = RecordType.ZKILL.code();

    private final DejournalContext ctx;
    private final Target target;
    private final JournalReader reader;
    private final WorkerRouter router;
    private final DatabasePauses pauses;
    private final OpenTransactions openTransactions = new OpenTransactions();
    private final PendingMarkers pendingMarkers;
    private final AppliedLsn appliedLsn;
    private final boolean isolatedReaders;
    private boolean dispatchingCatchUp;
    private JournalException damage;

    Dispatcher(
        final DejournalContext ctx,
        final RingBuffer<RecordEvent>[] rings,
        final BatchEventProcessor<RecordEvent>[] processors,
        final long startLsn)
    {
        this.ctx = ctx;
        this.target = ctx.target();
        this.isolatedReaders = ctx.isolatedReaders();
        this.router = new WorkerRouter(rings, processors, ctx.ringSize(), ctx.dispatchBatch());
        this.pauses = new DatabasePauses(ctx.journal(), ctx.verifyChecksums());
        this.pendingMarkers = new PendingMarkers(ctx.journal(), ctx.verifyChecksums(), ctx.maxPendingMarkers());
        this.appliedLsn = new AppliedLsn(target, ctx.journal().registerConsumer("dejournal", startLsn), startLsn,
            ctx.checkpointIntervalMs());
        this.reader = ctx.journal().reader(startLsn).verifyChecksums(ctx.verifyChecksums()).endLsn(ctx.endLsn());
    }

    @Override
    public String roleName()
    {
        return "jmirror-dejournal-dispatcher";
    }

    @Override
    public int doWork()
    {
        int work = pauses.runRequests(reader.position());
        if (null != damage)
        {
            // Stopped at a damaged frame: reading it again would count, log and fail once per duty cycle. The
            // records before it stay applied and the applied LSN stays at it.
            work = 0;
        }
        else if (null != pauses.catchUpReader())
        {
            work += catchUpWork();
        }
        else if (router.hasRoomForBatch())
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
                router.publishClaimed();
            }
        }
        updateAppliedLsn();
        work += pendingMarkers.deliverBelow(appliedLsn.get(), reader.position(), target);
        appliedLsn.checkpointIfDue(System.currentTimeMillis(), checkpointBound());
        return work;
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
                onMarker(record, record.type());
            }
            return;
        }
        final int databaseOffset = offset + HEADER_LENGTH;
        final int databaseLength = databaseLength(headerWord);
        final DatabasePauses.KnownDatabase database = pauses.database(buffer, databaseOffset, databaseLength);
        if (dispatchingCatchUp ? !pauses.isCatchingUp(database) : null != database.paused)
        {
            return;
        }
        router.route(buffer, offset, databaseOffset, databaseLength + globalLength(headerWord), record.lsn());
    }

    private void onMarker(final JournalRecord record, final RecordType type)
    {
        if (!type.isTransactionMarker())
        {
            // EPOCH_START: it changes nothing in the data, and the target sees only transaction markers.
            return;
        }
        openTransactions.onMarker(type, record.transactionId(), record.lsn());
        // Handed to the target once every record before it is applied: see PendingMarkers.
        pendingMarkers.add(record.buffer(), record.offset(), record.lsn());
    }

    /**
     * Replay the skipped records of the database being resumed, up to where the main reader stopped; only then
     * does it count as resumed, so its records stay in journal order. The main reader waits meanwhile, so the stop
     * position holds still and the catch-up ends.
     */
    private int catchUpWork()
    {
        if (!router.hasRoomForBatch())
        {
            return 0;
        }
        final JournalReader catchUp = pauses.catchUpReader();
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
            router.publishClaimed();
        }
        if (catchUp.position() >= stop)
        {
            pauses.onCatchUpDone();
        }
        return work;
    }

    /**
     * @return how far a checkpoint may go: not past a marker the target has not seen, and with isolated readers not
     * past the TSTART of an open transaction, so that a restart replays all of it and the overlay hides it again.
     */
    private long checkpointBound()
    {
        final long deliveredBelow = pendingMarkers.deliveredBelow();
        final long oldestOpen = isolatedReaders ? openTransactions.oldestStartLsn() : -1;
        return oldestOpen < 0 ? deliveredBelow : Math.min(deliveredBelow, oldestOpen);
    }

    private void updateAppliedLsn()
    {
        appliedLsn.advance(router.lowestInFlightLsn(pauses.dispatchedBelow(reader.position())));
    }

    long appliedLsn()
    {
        return appliedLsn.get();
    }

    long inFlight()
    {
        return router.inFlight();
    }

    /**
     * @return see {@link WorkerRouter#oldestInFlightTimestamp()}.
     */
    long oldestInFlightTimestamp()
    {
        return router.oldestInFlightTimestamp();
    }

    /**
     * @return how often the transaction markers waiting for their records filled their queue.
     */
    long markerOverflows()
    {
        return pendingMarkers.overflows();
    }

    int openTransactionCount()
    {
        return openTransactions.count();
    }

    long oldestOpenTransactionLsn()
    {
        return openTransactions.oldestStartLsn();
    }

    void pause(final String database)
    {
        pauses.pause(database);
    }

    void resume(final String database)
    {
        pauses.resume(database);
    }

    List<String> databases()
    {
        return pauses.databases();
    }

    boolean isPaused(final String database)
    {
        return pauses.isPaused(database);
    }

    /**
     * After the dispatcher thread stopped and the workers drained: a last applied LSN and checkpoint, then let go of
     * the journal.
     */
    void finish()
    {
        updateAppliedLsn();
        while (pendingMarkers.deliverBelow(appliedLsn.get(), reader.position(), target) > 0)
        {
            // the markers below the applied LSN, also those a scan finds
        }
        appliedLsn.checkpoint(checkpointBound());
        pendingMarkers.close();
        pauses.close();
        reader.close();
        appliedLsn.close();
    }
}
