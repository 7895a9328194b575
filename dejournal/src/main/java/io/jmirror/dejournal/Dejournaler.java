package io.jmirror.dejournal;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import io.jmirror.journal.Journal;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Applies a local journal to a {@link Target} in parallel: a dispatcher thread reads the journal and hands each
 * record to the worker that owns its (database, global), through one Disruptor ring per worker; up to 16 workers
 * apply in parallel, each in journal order. The applied LSN (every record below it applied) only moves forward, is
 * checkpointed to the target, and is where a restart resumes.
 * <pre>{@code
 * try (Dejournaler dejournaler = Dejournaler.start(new DejournalContext().journal(journal).target(store)))
 * {
 *     dejournaler.awaitApplied(journal.completeLsn(), timeoutNs);
 * }
 * }</pre>
 */
public final class Dejournaler implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Dejournaler.class);

    private final DejournalContext ctx;
    private final Journal journal;
    private final DejournalWorker[] workers;
    private final BatchEventProcessor<RecordEvent>[] processors;
    private final Thread[] workerThreads;
    private final Dispatcher dispatcher;
    private final AgentRunner dispatcherRunner;
    private volatile Throwable failure;
    private volatile boolean isClosed;
    private long rateSampleNs;
    private long rateSampleRecords;
    private double lastRate;

    @SuppressWarnings("unchecked")
    private Dejournaler(final DejournalContext ctx)
    {
        this.ctx = ctx;
        this.journal = ctx.journal();
        final int count = ctx.workers();
        final RingBuffer<RecordEvent>[] rings = new RingBuffer[count];
        this.workers = new DejournalWorker[count];
        this.processors = new BatchEventProcessor[count];
        this.workerThreads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            rings[i] = RingBuffer.createSingleProducer(RecordEvent::new, ctx.ringSize(),
                ctx.waitStrategySupplier().get());
            workers[i] = new DejournalWorker(i, ctx.target());
            processors[i] = new BatchEventProcessorBuilder().build(rings[i], rings[i].newBarrier(), workers[i]);
            processors[i].setExceptionHandler(new StopOnFailure(i));
            rings[i].addGatingSequences(processors[i].getSequence());
        }

        if (ctx.isolatedReaders())
        {
            // Before any worker applies, so that every transactional record is hidden until its transaction ends.
            ctx.target().unwrap(RocksDbTarget.class).isolateReaders();
        }
        final long recovered = ctx.target().recoveredLsn();
        final long startLsn = recovered < 0 ? journal.startLsn() : recovered;
        this.dispatcher = new Dispatcher(ctx, rings, processors, startLsn);
        for (int i = 0; i < count; i++)
        {
            workerThreads[i] = new Thread(processors[i], "jmirror-dejournal-worker-" + i);
            workerThreads[i].setDaemon(true);
            workerThreads[i].setUncaughtExceptionHandler(this::onWorkerStopped);
            workerThreads[i].start();
        }
        this.dispatcherRunner = new AgentRunner(ctx.idleStrategySupplier().get(), this::onDispatcherError, null,
            dispatcher);
        AgentRunner.startOnThread(dispatcherRunner);
        rateSampleNs = System.nanoTime();
        LOG.info("dejournaler started: dir={} workers={} startLsn={}", journal.dir(), count, startLsn);
    }

    /**
     * Start dejournaling from the LSN the target recovered to.
     *
     * @param ctx configuration; concluded here.
     * @return the running dejournaler.
     */
    public static Dejournaler start(final DejournalContext ctx)
    {
        ctx.conclude();
        return new Dejournaler(ctx);
    }

    /**
     * Records a worker could not apply stop dejournaling at that record: skipping it would lose data.
     */
    private final class StopOnFailure implements ExceptionHandler<RecordEvent>
    {
        private final int worker;

        StopOnFailure(final int worker)
        {
            this.worker = worker;
        }

        @Override
        public void handleEventException(final Throwable ex, final long sequence, final RecordEvent event)
        {
            failure = new DejournalException(DejournalException.Code.TARGET_FAILED, "target failed to apply a " +
                "record: worker=" + worker + " lsn=" + workers[worker].applyingLsn() + " reason=" + ex, ex);
            LOG.error("dejournaling stopped: {}", failure.getMessage(), ex);
            throw (DejournalException)failure;
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            LOG.error("dejournal worker failed to start: worker={}", worker, ex);
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            LOG.error("dejournal worker failed to stop: worker={}", worker, ex);
        }
    }

    /**
     * A worker thread ended on an exception. A failed apply was logged and kept by {@link StopOnFailure}, which
     * rethrew it to end the thread; anything else is kept and logged here, so no worker stops unseen.
     */
    private void onWorkerStopped(final Thread thread, final Throwable ex)
    {
        if (ex != failure)
        {
            if (null == failure)
            {
                failure = ex;
            }
            LOG.error("dejournal worker stopped: thread={} dir={}", thread.getName(), journal.dir(), ex);
        }
    }

    private void onDispatcherError(final Throwable ex)
    {
        if (null == failure)
        {
            failure = ex;
        }
        LOG.error("dejournal dispatcher failed: dir={}", journal.dir(), ex);
    }

    /**
     * @return whether dejournaling stopped for good: a record could not be applied (the target failed) or the
     * dispatcher met a damaged frame. A failed dejournaler applies nothing more; its applied LSN stays where it
     * stopped.
     */
    public boolean isFailed()
    {
        return null != failure;
    }

    /**
     * @return why dejournaling stopped, naming the record's LSN and the worker; null while it has not failed.
     */
    public Throwable failure()
    {
        return failure;
    }

    /**
     * @param failure a dejournaler's {@link #failure()}.
     * @return its message, or what it is when it has none, so a reason is never empty.
     */
    public static String describe(final Throwable failure)
    {
        return null == failure.getMessage() ? failure.toString() : failure.getMessage();
    }

    /**
     * @return how many workers apply in parallel.
     */
    public int workerCount()
    {
        return workers.length;
    }

    /**
     * @return every record below it has been applied.
     */
    public long appliedLsn()
    {
        return dispatcher.appliedLsn();
    }

    /**
     * Wait until records are applied to the target.
     * <p>
     * {@code lsn} is a position in the journal: a record's LSN (as an append returns) or any position a getter
     * returned. The await returns once every record that starts before {@code lsn} is done, and the record that starts
     * at {@code lsn} too if one has been appended there by then. Done here means applied. So
     * {@code awaitApplied(journal.tailLsn(), timeoutNs)} returns once all that was appended is applied, and
     * {@code awaitApplied(recordLsn, timeoutNs)} once that record is.
     *
     * @param lsn       a record's LSN, or a position a getter such as {@link #appliedLsn()} or the journal's
     *                  {@code tailLsn()} returned.
     * @param timeoutNs how long to wait.
     * @return true when applied, false on timeout, on failure or once closed.
     */
    public boolean awaitApplied(final long lsn, final long timeoutNs)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (!isApplied(lsn))
        {
            if (null != failure || isClosed || System.nanoTime() - deadline > 0)
            {
                return false;
            }
            try
            {
                Thread.sleep(1);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * The rule of {@link #awaitApplied}: the applied LSN is past {@code lsn}, or at it while no record starts there.
     * The applied LSN is read before the tail, so a record appended at {@code lsn} meanwhile is waited for.
     */
    private boolean isApplied(final long lsn)
    {
        final long applied = dispatcher.appliedLsn();
        return applied > lsn || (applied == lsn && journal.tailLsn() <= lsn);
    }

    /**
     * @return how often the transaction markers waiting for their records filled their queue and were found again
     * by reading the journal (see {@link DejournalContext#maxPendingMarkers(int)}).
     */
    long markerOverflows()
    {
        return dispatcher.markerOverflows();
    }

    /**
     * Stop applying one database's records; they wait in the journal while the journal keeps arriving.
     *
     * @param database database name.
     */
    public void pause(final String database)
    {
        dispatcher.pause(database);
    }

    /**
     * Apply a paused database's waiting records, in order, then carry on with it.
     *
     * @param database database name.
     */
    public void resume(final String database)
    {
        dispatcher.resume(database);
    }

    /**
     * @return the dejournal status: applied LSN, lag, per-database state, per-worker load.
     */
    public synchronized DejournalStatus status()
    {
        final long end = journal.completeLsn();
        final long applied = dispatcher.appliedLsn();
        final long inFlight = dispatcher.inFlight();
        final long oldest = dispatcher.oldestInFlightTimestamp();
        final long msBehind = applied >= end ? 0 :
            oldest == Long.MAX_VALUE ? 0 : Math.max(0, System.currentTimeMillis() - oldest);
        final Map<String, String> databases = new LinkedHashMap<>();
        for (final String database : dispatcher.databases())
        {
            databases.put(database, dispatcher.isPaused(database) ? "PAUSED" : applied >= end ? "CAUGHT_UP" :
                "BEHIND");
        }
        final List<DejournalStatus.WorkerStatus> workerStatus = new ArrayList<>();
        long records = 0;
        for (final DejournalWorker worker : workers)
        {
            records += worker.records();
            workerStatus.add(new DejournalStatus.WorkerStatus(worker.index(), worker.records(),
                TimeUnit.NANOSECONDS.toMillis(worker.busyNs()), worker.queueDepth()));
        }
        final long nowNs = System.nanoTime();
        if (nowNs - rateSampleNs >= TimeUnit.MILLISECONDS.toNanos(200))
        {
            lastRate = (records - rateSampleRecords) * 1e9 / (nowNs - rateSampleNs);
            rateSampleNs = nowNs;
            rateSampleRecords = records;
        }
        final Throwable failed = failure;
        return new DejournalStatus(isClosed ? "CLOSED" : null != failed ? "FAILED" : "RUNNING", applied, end,
            Math.max(0, end - applied), inFlight, msBehind, lastRate, dispatcher.openTransactionCount(),
            dispatcher.oldestOpenTransactionLsn(), databases, workerStatus,
            null == failed ? null : describe(failed));
    }

    /**
     * Stop the dispatcher, let the workers finish what they hold, checkpoint the applied LSN, and stop the workers.
     * Safe to call twice.
     */
    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        CloseHelper.quietClose(dispatcherRunner);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (dispatcher.inFlight() > 0 && null == failure && System.nanoTime() - deadline < 0)
        {
            Thread.onSpinWait();
            Thread.yield();
        }
        for (final BatchEventProcessor<RecordEvent> processor : processors)
        {
            processor.halt();
        }
        for (final Thread thread : workerThreads)
        {
            try
            {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        dispatcher.finish();
        isClosed = true;
        LOG.info("dejournaler closed: dir={} appliedLsn={}", journal.dir(), dispatcher.appliedLsn());
    }
}
