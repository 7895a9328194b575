package io.jmirror.journal;

import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The journal: an ordered stream of records in memory-mapped files in one directory, addressed by LSN. The
 * directory alone is enough to reopen it; opening recovers a torn tail.
 * <pre>{@code
 * try (Journal journal = Journal.open(new JournalContext().journalDir(dir)))
 * {
 *     long lsn = journal.writer().set(0, GlobalName.of("USER", "Patient"), key.clear().add(42), value);
 *     journal.awaitDurable(lsn);
 * }
 * }</pre>
 * Positions: {@link #tailLsn()} every byte below is claimed; {@link #completeLsn()} every record below is written;
 * {@link #durableLsn()} every record below is on stable storage per the sync policy.
 */
public final class Journal implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

    private final JournalContext ctx;
    private final JournalFileSet files;
    private final JournalWriter writer;
    private final long recoveredLsn;
    private final JournalException recoveryDamage;
    private final AtomicLong completeLsn;
    private final AtomicLong durableLsn;
    private final AtomicLong corruptFrames = new AtomicLong();
    private final AtomicLong agentErrors = new AtomicLong();
    private volatile String lastAgentError;
    private final CopyOnWriteArrayList<JournalConsumer> consumers = new CopyOnWriteArrayList<>();
    private final AtomicInteger armedWaiters = new AtomicInteger();
    private volatile JournalWaiter[] waiters = new JournalWaiter[0];
    private final Object forceLock = new Object();
    private final ThreadLocal<JournalAppender> threadAppenders = ThreadLocal.withInitial(this::newAppender);
    private final JournalSyncAgent syncAgent;
    private final AgentRunner syncRunner;
    private final TickingEpochClock tickingClock;
    private final EpochHistory epochs;
    private final EpochClock retentionClock;
    private volatile boolean isClosed;

    private Journal(
        final JournalContext ctx,
        final JournalFileSet files,
        final JournalRecovery.Result recovery,
        final EpochHistory epochs)
    {
        final long recoveredLsn = recovery.endLsn;
        this.ctx = ctx;
        this.files = files;
        this.epochs = epochs;
        this.recoveredLsn = recoveredLsn;
        this.recoveryDamage = recovery.damage;
        this.completeLsn = new AtomicLong(recoveredLsn);
        this.durableLsn = new AtomicLong(recoveredLsn);
        this.tickingClock = ctx.readOnly() || null != ctx.epochClock() ? null : new TickingEpochClock();
        this.retentionClock = null != ctx.epochClock() ? ctx.epochClock() : SystemEpochClock.INSTANCE;
        this.writer = ctx.readOnly() ? null : new JournalWriter(
            this, files, recoveredLsn, ctx, null != tickingClock ? tickingClock : retentionClock);
        if (!ctx.readOnly() && ctx.syncPolicy() == SyncPolicy.GROUP)
        {
            syncAgent = new JournalSyncAgent(this, ctx);
            if (ctx.startSyncAgent())
            {
                syncRunner = new AgentRunner(ctx.idleStrategySupplier().get(), this::onAgentError, null, syncAgent);
                AgentRunner.startOnThread(syncRunner);
            }
            else
            {
                syncRunner = null;
            }
        }
        else
        {
            syncAgent = null;
            syncRunner = null;
        }
    }

    /**
     * Open the journal in {@code ctx.journalDir()}, creating it when the directory holds no journal files, and
     * recover its tail.
     *
     * @param ctx configuration; concluded here.
     * @return the open journal.
     */
    public static Journal open(final JournalContext ctx)
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new JournalException(JournalException.Code.INVALID_CONFIG,
                "jmirror journals are little-endian and need a little-endian platform: nativeOrder=" +
                ByteOrder.nativeOrder());
        }
        ctx.conclude();
        final JournalFileSet files = JournalFileSet.open(ctx);
        try
        {
            final JournalRecovery.Result recovery = JournalRecovery.recover(files, new FrameChecker());
            final EpochHistory epochs = files.isNew() ? new EpochHistory() : EpochHistory.load(files, recovery.endLsn);
            files.tailEpoch(epochs.currentEpoch());
            final JournalFile newest = files.newest();
            if (!ctx.readOnly() && null != newest && newest.baseLsn() >= recovery.endLsn)
            {
                // The tail file holds no record yet: it takes the epoch in force, as a file becoming the tail does.
                newest.epoch(epochs.currentEpoch());
            }
            LOG.info("journal open: dir={} mirror={} journalId={} startLsn={} endLsn={} epoch={} files={} " +
                "freeFiles={} readOnly={}", files.dir(), files.mirrorName(), files.journalId(), files.startLsn(),
                recovery.endLsn, epochs.currentEpoch(), files.fileCount(), files.freeFileCount(), ctx.readOnly());
            return new Journal(ctx, files, recovery, epochs);
        }
        catch (final RuntimeException ex)
        {
            files.close();
            throw ex;
        }
    }

    /**
     * @param dir a directory.
     * @return true when it holds journal files, so {@link #open} would reopen rather than create a journal.
     */
    public static boolean exists(final Path dir)
    {
        return java.nio.file.Files.isDirectory(dir) && !JournalFileSet.listJournalFiles(dir, true).isEmpty();
    }

    /**
     * Open an existing journal for reading only: no recovery writes, no appends.
     *
     * @param dir the journal directory.
     * @return the open journal.
     */
    public static Journal openReadOnly(final Path dir)
    {
        return open(new JournalContext().journalDir(dir).readOnly(true).syncPolicy(SyncPolicy.NONE));
    }

    /**
     * @return the shared tail that every appender claims from.
     * @throws JournalException CLOSED when the journal is read-only.
     */
    public JournalWriter writer()
    {
        if (null == writer)
        {
            throw new JournalException(JournalException.Code.CLOSED, "journal is read-only: dir=" + files.dir());
        }
        return writer;
    }

    /**
     * @return a new appender for the calling thread; keep one per application thread for allocation-free appends.
     * @throws JournalException CLOSED when the journal is read-only.
     */
    public JournalAppender newAppender()
    {
        return writer().newAppender();
    }

    /**
     * Open a new epoch at the journal's tail: append an {@code EPOCH_START} record naming it and the member that
     * opens it. Records appended after it belong to the epoch. Call it before the new primary's application appends
     * anything (no other appender may append meanwhile): a takeover writes it before opening for writes.
     *
     * @param epoch      the new epoch; must be greater than {@link #epoch()}.
     * @param memberName the member that opens it (at most 255 bytes of UTF-8).
     * @return the LSN of the {@code EPOCH_START} record.
     * @throws JournalException INVALID_CONFIG when the epoch does not grow or the journal is a replica.
     */
    public synchronized long startEpoch(final long epoch, final String memberName)
    {
        checkWritable();
        final byte[] name = memberName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (name.length > RecordDescriptor.MAX_MEMBER_NAME_LENGTH)
        {
            throw new JournalException(JournalException.Code.INVALID_CONFIG, "member name too long: length=" +
                name.length + " max=" + RecordDescriptor.MAX_MEMBER_NAME_LENGTH);
        }
        final long current = epochs.currentEpoch();
        if (epoch <= current)
        {
            throw new JournalException(JournalException.Code.INVALID_CONFIG, "an epoch must grow: epoch=" + epoch +
                " currentEpoch=" + current + " dir=" + files.dir());
        }
        files.tailEpoch(epoch);
        final long previous = epochs.begin(epoch);
        final long lsn;
        try
        {
            lsn = writer.newAppender().epochStart(epoch, name);
        }
        catch (final RuntimeException ex)
        {
            files.tailEpoch(current);
            epochs.abandon(previous);
            throw ex;
        }
        if (lsn % files.capacity() == 0)
        {
            // The epoch starts a file: that file's header names it, whenever the file was made.
            files.fileForRead(files.indexOf(lsn)).epoch(epoch);
        }
        epochs.add(new EpochStart(epoch, lsn, memberName));
        LOG.info("journal epoch started: epoch={} lsn={} member={} dir={}", epoch, lsn, memberName, files.dir());
        return lsn;
    }

    /**
     * @return the epoch in force at the journal's tail: of the newest {@code EPOCH_START}; 0 before any.
     */
    public long epoch()
    {
        return epochs.currentEpoch();
    }

    /**
     * @param lsn an LSN of this journal.
     * @return the epoch that holds it: of the newest {@code EPOCH_START} at or before it; 0 when none is.
     */
    public long epochAt(final long lsn)
    {
        return epochs.epochAt(lsn);
    }

    /**
     * @return where each epoch of the files held starts, oldest first; built from the files on open, so it survives
     * a restart. The oldest entry's start may be in a purged file ({@link EpochStart#PURGED}).
     */
    public java.util.List<EpochStart> epochHistory()
    {
        return epochs.starts();
    }

    EpochHistory epochs()
    {
        return epochs;
    }

    /**
     * @return how many journal files were made from purged ones since open.
     */
    public long recycledFileCount()
    {
        return files.recycledFiles();
    }

    /**
     * Whether a frame starts at {@code lsn}: a member's resume LSN must be one. Each v2 frame names its own LSN, and a
     * padding frame's check value mixes it in, so this reads one frame, not the file from its start.
     *
     * @param lsn an LSN of this journal.
     * @return true when a complete frame starts there, or {@code lsn} is the journal's tail.
     */
    public boolean isFrameStart(final long lsn)
    {
        if (lsn == tailLsn())
        {
            return true;
        }
        if (lsn < files.startLsn() || lsn > tailLsn() || (lsn & (RecordDescriptor.ALIGNMENT - 1)) != 0)
        {
            return false;
        }
        final JournalFile file = files.fileForRead(files.indexOf(lsn));
        if (null == file)
        {
            return false;
        }
        final int offset = file.offsetOf(lsn);
        final int length = file.buffer().getIntAcquire(offset + RecordDescriptor.FRAME_LENGTH_OFFSET);
        if (length < 0)
        {
            return file.buffer().getInt(offset + RecordDescriptor.CHECKSUM_OFFSET) ==
                RecordDescriptor.paddingChecksum(length, lsn);
        }
        return length >= RecordDescriptor.HEADER_LENGTH &&
            file.buffer().getLong(offset + RecordDescriptor.LSN_OFFSET) == lsn;
    }

    /**
     * @return purged files held for reuse as later journal files.
     */
    public int freeFileCount()
    {
        return files.freeFileCount();
    }

    /**
     * Make this a member's replica journal: its records come only from the primary, through the returned
     * replicator, at the primary's LSNs. Local appends are refused from now on.
     *
     * @return the journal's one replicator.
     */
    public JournalReplicator newReplicator()
    {
        final JournalReplicator replicator = writer().replicator();
        // A replica never stamps a record, so its clock thread would only wake a thousand times a second for nothing,
        // on the cores the receiver needs.
        CloseHelper.quietClose(tickingClock);
        return replicator;
    }

    /**
     * @return the calling thread's appender, created on first use. Convenient off the hot path; it costs a
     * thread-local lookup per call, so hot paths keep their own from {@link #newAppender()}.
     */
    public JournalAppender appender()
    {
        writer();
        return threadAppenders.get();
    }

    /**
     * @param fromLsn where to start: a record's LSN, a position a reader reported, or {@link #startLsn()}.
     * @return a new reader, registered as a consumer until closed.
     */
    public JournalReader reader(final long fromLsn)
    {
        final JournalConsumer consumer = registerConsumer("reader", fromLsn);
        try
        {
            return new JournalReader(this, files, consumer, fromLsn);
        }
        catch (final RuntimeException ex)
        {
            consumer.close();
            throw ex;
        }
    }

    /**
     * Register a consumer: purge keeps every file holding an LSN at or above its position.
     *
     * @param name for logs and status.
     * @param lsn  lowest LSN the consumer needs.
     * @return the consumer; close it to unregister.
     */
    public JournalConsumer registerConsumer(final String name, final long lsn)
    {
        checkOpen();
        final JournalConsumer consumer = new JournalConsumer(name, this, lsn);
        consumers.add(consumer);
        return consumer;
    }

    void unregister(final JournalConsumer consumer)
    {
        consumers.remove(consumer);
    }

    /**
     * Register a thread that blocks rather than polls for this journal's positions, and how to wake it.
     *
     * @param wakeUp run once per {@link JournalWaiter#arm()} by the thread that next appends, replicates a block or
     *               makes records durable; quick and never throwing.
     * @return the waiter; close it to unregister.
     */
    public synchronized JournalWaiter newWaiter(final Runnable wakeUp)
    {
        final JournalWaiter waiter = new JournalWaiter(this, armedWaiters, Objects.requireNonNull(wakeUp));
        final JournalWaiter[] current = waiters;
        final JournalWaiter[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = waiter;
        waiters = next;
        return waiter;
    }

    synchronized void removeWaiter(final JournalWaiter waiter)
    {
        final JournalWaiter[] current = waiters;
        for (int i = 0; i < current.length; i++)
        {
            if (current[i] == waiter)
            {
                final JournalWaiter[] next = new JournalWaiter[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                waiters = next;
                return;
            }
        }
    }

    /**
     * The tail moved: wake the armed waiters whose tail it reached. On every append, so it costs one read of a shared
     * count while no waiter is armed.
     */
    void onAdvanced()
    {
        if (armedWaiters.get() != 0)
        {
            wakeWaiters(tailLsn());
        }
    }

    private void wakeWaiters(final long tailLsn)
    {
        for (final JournalWaiter waiter : waiters)
        {
            waiter.wake(tailLsn);
        }
    }

    /**
     * Delete whole files that no consumer needs, oldest first, keeping at least {@code retainMinFiles} files and
     * every file last written within {@code retainMs}.
     *
     * @return the number of files deleted.
     */
    public int purge()
    {
        checkWritable();
        final long nowMs = retentionClock.time();
        final int deleted = files.deleteOldest((oldest) ->
        {
            if (files.fileCount() <= ctx.retainMinFiles() ||
                (ctx.retainMs() > 0 && nowMs - oldest.lastModifiedMs() < ctx.retainMs()))
            {
                return true;
            }
            final long needed = Math.min(lowestNeededLsn(), removableBelow());
            return oldest.endLsn() > needed;
        });
        if (deleted > 0)
        {
            LOG.info("journal purged: filesDeleted={} oldestLsnHeld={} dir={}", deleted, files.startLsn(),
                files.dir());
        }
        return deleted;
    }

    /**
     * @return what the sync policy lets purge remove: frames below it are durable, or with {@link SyncPolicy#NONE}
     * whole. Under NONE this asks the appenders where they may still be writing rather than walking every frame
     * since the last purge, as {@link #durableLsn()} does: that walk is a dependent read per frame, on the appending
     * thread that purges, and costs more than the rest of the purge.
     */
    private long removableBelow()
    {
        return ctx.syncPolicy() == SyncPolicy.NONE ? writer.writtenBound() : durableLsn();
    }

    private long lowestNeededLsn()
    {
        long lowest = writer.tailLsn();
        for (final JournalConsumer consumer : consumers)
        {
            lowest = Math.min(lowest, consumer.position());
        }
        return lowest;
    }

    /**
     * Wait until records are durable per the sync policy. Under EVERY_COMMIT the force happens on this thread; under
     * GROUP the sync agent does it; under NONE it is enough that the records are complete in the page cache.
     * <p>
     * {@code lsn} is a position in the journal: a record's LSN (as an append returns) or any position a getter
     * returned. The await returns once every record that starts before {@code lsn} is done, and the record that starts
     * at {@code lsn} too if one has been appended there by then. Done here means durable. So
     * {@code awaitDurable(tailLsn())} returns once all that was appended is durable, rather than waiting for a record
     * nobody may ever append.
     *
     * @param lsn a record's LSN, or a position a getter such as {@link #tailLsn()} returned.
     */
    public void awaitDurable(final long lsn)
    {
        awaitDurable(lsn, Long.MAX_VALUE);
    }

    /**
     * {@link #awaitDurable(long)} with a timeout; {@code lsn} means the same.
     *
     * @param lsn       a record's LSN, or a position a getter such as {@link #tailLsn()} returned.
     * @param timeoutNs how long to wait.
     * @return true when durable, false on timeout.
     */
    public boolean awaitDurable(final long lsn, final long timeoutNs)
    {
        // Each position is read before the tail: a tail past lsn means a record starts at lsn, and that is waited for.
        final long durable = durableLsn();
        if (durable > lsn || (durable == lsn && tailLsn() <= lsn))
        {
            return true;
        }
        final long deadlineNs = timeoutNs == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeoutNs;
        final IdleStrategy idle = ctx.idleStrategySupplier().get();
        final SyncPolicy policy = ctx.readOnly() ? SyncPolicy.NONE : ctx.syncPolicy();
        while (true)
        {
            checkOpen();
            final long durableNow = durableLsn();
            if (durableNow > lsn || (durableNow == lsn && tailLsn() <= lsn))
            {
                return true;
            }
            final long complete = advanceCompleteLsn();
            if (policy != SyncPolicy.GROUP && (complete > lsn || (complete == lsn && tailLsn() <= lsn)))
            {
                forceTo(complete);
                return true;
            }
            if (System.nanoTime() - deadlineNs > 0 && deadlineNs != Long.MAX_VALUE)
            {
                return false;
            }
            idle.idle();
        }
    }

    /**
     * Every frame below {@code lsn} is known to be complete: a replicator put a checked block in place, or a reader
     * found each frame's length published. The complete LSN moves there at once, sparing {@link #advanceCompleteLsn()}
     * a second walk over frames something has just walked (thousands a megabyte, read on another core).
     */
    void onComplete(final long lsn)
    {
        if (null != writer)
        {
            completeLsn.accumulateAndGet(lsn, Math::max);
        }
    }

    /**
     * Follow complete frames from the last known complete LSN towards the tail.
     *
     * @return the complete LSN: every record below it is whole.
     */
    long advanceCompleteLsn()
    {
        final long start = completeLsn.get();
        final long tail = null == writer ? recoveredLsn : writer.tailLsn();
        long position = start;
        JournalFile file = null;
        while (position < tail)
        {
            if (null == file || position >= file.endLsn())
            {
                file = files.fileForRead(files.indexOf(position));
                if (null == file)
                {
                    break;
                }
            }
            final int length = file.buffer().getIntAcquire(file.offsetOf(position));
            if (length == 0)
            {
                break;
            }
            position = length > 0 ? position + RecordDescriptor.alignedLength(length) : file.endLsn();
        }
        if (position > start)
        {
            completeLsn.accumulateAndGet(position, Math::max);
        }
        return completeLsn.get();
    }

    /**
     * Force complete records up to {@code lsn} to storage (unless the policy is NONE) and publish the durable LSN.
     */
    void forceTo(final long lsn)
    {
        synchronized (forceLock)
        {
            final long from = durableLsn.get();
            if (lsn <= from || isClosed)
            {
                return;
            }
            if (ctx.syncPolicy() != SyncPolicy.NONE && !ctx.readOnly())
            {
                for (long index = files.indexOf(from); index <= files.indexOf(lsn - 1); index++)
                {
                    final JournalFile file = files.fileForRead(index);
                    if (null != file)
                    {
                        file.force(from, lsn);
                    }
                }
            }
            durableLsn.set(lsn);
        }
        if (armedWaiters.get() != 0)
        {
            // the durable LSN moved: wake every armed waiter, whatever tail it waits for
            wakeWaiters(Long.MAX_VALUE);
        }
    }

    JournalException corrupt(final FrameChecker checker, final int status, final JournalFile file, final long lsn)
    {
        corruptFrames.incrementAndGet();
        final JournalException ex = checker.corrupt(status, file, lsn);
        LOG.error("journal frame is damaged: {}", ex.getMessage());
        return ex;
    }

    /**
     * The sync agent's error handler: logged, counted and kept for status ({@link #agentErrors()}); the agent runs
     * on and tries again.
     */
    void onAgentError(final Throwable ex)
    {
        lastAgentError = "journal sync agent failed: dir=" + files.dir() + " reason=" + ex;
        agentErrors.incrementAndGet();
        LOG.error("journal sync agent failed: dir={}", files.dir(), ex);
    }

    /**
     * @return failures of the journal's own agent (forcing to disk) since open; each is logged.
     */
    public long agentErrors()
    {
        return agentErrors.get();
    }

    /**
     * @return the last of {@link #agentErrors()}, naming the directory and the reason, or null when none.
     */
    public String lastAgentError()
    {
        return lastAgentError;
    }

    void checkOpen()
    {
        if (isClosed)
        {
            throw new JournalException(JournalException.Code.CLOSED, "journal is closed: dir=" + files.dir());
        }
    }

    void checkWritable()
    {
        checkOpen();
        if (null == writer)
        {
            throw new JournalException(JournalException.Code.CLOSED, "journal is read-only: dir=" + files.dir());
        }
    }

    /**
     * @return the sync agent under GROUP (drive it yourself when {@code startSyncAgent} is false), else null.
     */
    public JournalSyncAgent syncAgent()
    {
        return syncAgent;
    }

    /**
     * @return LSN of the oldest record held (the base of the oldest file).
     */
    public long startLsn()
    {
        return files.startLsn();
    }

    /**
     * @return every byte below is claimed by an appender (for a read-only journal: the end found on open).
     */
    public long tailLsn()
    {
        return null == writer ? recoveredLsn : writer.tailLsn();
    }

    /**
     * @return every record below is completely written.
     */
    public long completeLsn()
    {
        return advanceCompleteLsn();
    }

    /**
     * @return every record below is on stable storage per the sync policy.
     */
    public long durableLsn()
    {
        if (null == writer || ctx.syncPolicy() == SyncPolicy.NONE)
        {
            return advanceCompleteLsn();
        }
        return durableLsn.get();
    }

    /**
     * @return the end of intact records found when the journal was opened.
     */
    public long recoveredLsn()
    {
        return recoveredLsn;
    }

    /**
     * @return when opening found the journal's end at a damaged frame rather than at unwritten space, what the damage
     * was (file and LSN); null otherwise. A writable journal has already cut it off; a read-only one reports it.
     */
    public JournalException recoveryDamage()
    {
        return recoveryDamage;
    }

    /**
     * @return damaged frames met by readers since open.
     */
    public long corruptFrames()
    {
        return corruptFrames.get();
    }

    /**
     * @return the length of every journal file, header included.
     */
    public long fileLength()
    {
        return files.fileLength();
    }

    /**
     * @return bytes of records one file holds.
     */
    public long fileCapacity()
    {
        return files.capacity();
    }

    /**
     * @return the number of journal files held.
     */
    public int fileCount()
    {
        return files.fileCount();
    }

    /**
     * @return the journal's identity, the same on every member.
     */
    public long journalId()
    {
        return files.journalId();
    }

    /**
     * @return the mirror this journal belongs to.
     */
    public String mirrorName()
    {
        return files.mirrorName();
    }

    /**
     * @return the journal directory.
     */
    public Path dir()
    {
        return files.dir();
    }

    /**
     * @return the configuration the journal was opened with.
     */
    public JournalContext context()
    {
        return ctx;
    }

    /**
     * @return true once closed.
     */
    public boolean isClosed()
    {
        return isClosed;
    }

    /**
     * Stop the sync agent after a last force, then unmap the files. Stop appenders and readers first. Safe to call
     * twice.
     */
    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        CloseHelper.quietClose(syncRunner);
        CloseHelper.quietClose(tickingClock);
        if (null != writer && ctx.syncPolicy() != SyncPolicy.NONE)
        {
            forceTo(advanceCompleteLsn());
        }
        isClosed = true;
        files.close();
        LOG.debug("journal closed: dir={} durableLsn={}", files.dir(), durableLsn());
    }
}
