package io.jmirror.dejournal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordType;
import io.jmirror.journal.SubscriptCodec;
import io.jmirror.journal.SubscriptKey;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.rocksdb.Checkpoint;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.VectorMemTableConfig;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable {@link Target}: the nodes in a RocksDB database, one key per node in IRIS collation order (the layout
 * is in {@link RocksDbKeyDescriptor}), with the applied LSN of the last checkpoint beside them. A member that
 * restarts resumes from that LSN instead of replaying its whole journal.
 * <p>
 * <b>Durability: jmirror's journal is the log.</b> Writes skip RocksDB's write-ahead log, so until a flush they live
 * only in memtables. {@link #checkpoint} writes the applied LSN and then flushes the memtables to SST files, waiting
 * for the flush, so the LSN and the data it covers become durable in the same step. What a crash leaves is what the
 * flushes wrote, and RocksDB flushes memtables in write order, so it is a prefix of the writes. Every record below
 * the applied LSN was written before the LSN was (a worker's write returns before its sequence, from which the
 * dispatcher computes the applied LSN, moves past the record), so a durable LSN always comes with all the data below
 * it; data above it may be there too, when a full memtable was flushed between checkpoints or the store was closed
 * without a last checkpoint. After a crash the member reopens, {@link #recoveredLsn()} returns the last checkpointed
 * LSN and the dejournaler replays the journal from there. Replaying a record that is already applied is harmless:
 * values are absolute, and a node ends as the last record that touches it (SET, or a KILL or ZKILL that removes it)
 * left it, whether or not some records after the LSN were applied once before. The member's journal must therefore
 * keep every record from the recovered LSN on.
 * <p>
 * <b>Writes.</b> A worker's batch of records ({@link #beginBatch} to {@link #endBatch}) is gathered by its
 * {@link RocksDbWriter} and written with one {@code db.write} (more for a very large batch), sorted by key between
 * KILLs, before the worker's position moves past the records, so nothing waits in a batch when the dispatcher reads
 * the workers' positions. A record applied outside a worker's batch (a rollback, an undo, a primary's own writes) is
 * written before {@link #apply} returns. A worker owns its batch and its staging buffer, so a SET or ZKILL allocates
 * nothing on the Java heap. RocksDB itself is safe for concurrent writers (it queues them and one inserts a group of
 * writes into the memtable at a time), and the records of one (database, global) all come from one worker, in order.
 * <p>
 * <b>KILL is a range delete</b> ({@code WriteBatch.deleteRange}) of the node's key to its successor: one tombstone
 * whatever the subtree's size, no read on the apply path, and atomic with the rest of the call's batch. Deleting key
 * by key would read the subtree first and cost a write per node, so a KILL of a big global would stall its worker.
 * The price is paid by readers: range tombstones slow iterators that cross them until compaction drops them, so a
 * workload of very many KILLs of single nodes may prefer point deletes (measure before changing). A KILL allocates
 * its two bound keys.
 * <p>
 * <b>Digests are computed by a scan when asked</b> ({@link #digests()}), not kept as records apply. Keeping them
 * needs the old value on every SET and, for a KILL, every node it removes: a read per record, and a KILL that walks its
 * subtree, which gives up the range delete. A data check is rare next to applying, so it pays instead: a scan of the
 * store's nodes under one implicit snapshot, hashing each pair as {@link GlobalDigest#pairHash} does (over the
 * subscripts part of the key), so the digests equal a {@link GlobalStore}'s for the same contents.
 * <p>
 * <b>Reads</b> ({@link #get}, {@link #order}, {@link #orderChild}, {@link #query}, {@link #digests()}) run on any
 * thread while workers write; each sees the store at one instant, and globals advance independently, as on an IRIS
 * reporting member. {@link #readView()} gives one instant for many reads, and with isolated readers
 * ({@link DejournalContext#isolatedReaders(boolean)}) hides every transaction still open: see {@link RocksDbReadView}
 * and {@link OpenTransactionOverlay}. {@link #close()} releases every native handle, the views' snapshots too; call
 * it after the dejournaler that applies to this target is closed.
 */
public final class RocksDbTarget implements Target, StoreReader, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(RocksDbTarget.class);
    private static final byte[][][] NO_HIDDEN_NODES = {new byte[0][], new byte[0][]};
    static final Comparator<GlobalName> NAME_ORDER =
        Comparator.comparing(GlobalName::database).thenComparing(GlobalName::global);

    static
    {
        RocksDB.loadLibrary();
    }

    /**
     * Memtable size. Most of a write's cost is finding its place in the memtable's skip list, a cache miss per level
     * for keys that land all over it; a memtable of 16 MiB mostly stays in the last-level cache of the small machines
     * jmirror is measured on (32 MiB, shared by 2 cores) where RocksDB's 64 MiB default does not, and inserts ran
     * about 1.7 times as fast. Smaller ones flush so often that compaction takes the gain back.
     */
    static final long WRITE_BUFFER_BYTES = 16L * 1024 * 1024;

    /**
     * Memtables a store may hold, the one written and those waiting for their flush: with RocksDB's default of 2, a
     * full memtable whose predecessor was still flushing stopped every worker's write until the flush ended (a
     * checkpoint flushes too, each second); with 4 the workers wrote on, and inserts ran about 1.2 times as fast.
     * At most 64 MiB of memtables, half of RocksDB's default.
     */
    static final int WRITE_BUFFERS = 4;

    private final Path dir;
    private final Options options;
    private final WriteOptions writeOptions;
    private final FlushOptions flushOptions;
    private final RocksDB db;
    private final RocksDbWriter[] writers = new RocksDbWriter[DejournalContext.MAX_WORKERS];
    private final byte[] lsnBytes = new byte[RocksDbKeyDescriptor.APPLIED_LSN_LENGTH];
    private volatile long checkpointLsn;
    private volatile boolean isClosed;
    private final boolean isReadOnly;
    private final boolean isBulkLoad;
    /**
     * Null unless readers are isolated: then every transactional record goes through it. Volatile for reader
     * threads started before it was set; on x86 the workers' read of it is a plain load.
     */
    private volatile OpenTransactionOverlay overlay;
    private final Set<RocksDbReadView> views = ConcurrentHashMap.newKeySet();

    private RocksDbTarget(final Path dir, final boolean readOnly, final boolean bulkLoad)
    {
        this.dir = dir;
        this.isReadOnly = readOnly;
        this.isBulkLoad = bulkLoad;
        Options builtOptions = null;
        WriteOptions builtWriteOptions = null;
        FlushOptions builtFlushOptions = null;
        RocksDB opened = null;
        try
        {
            if (!readOnly)
            {
                Files.createDirectories(dir);
            }
            else if (!Files.isDirectory(dir))
            {
                throw new java.io.FileNotFoundException("no such store directory");
            }
            builtOptions = new Options().setCreateIfMissing(!readOnly).setWriteBufferSize(WRITE_BUFFER_BYTES)
                .setMaxWriteBufferNumber(WRITE_BUFFERS)
                // One writer at a time inserts a write group into the memtable, so each insert can start from the
                // previous one's place: see RocksDbWriter's sorted writes.
                .setAllowConcurrentMemtableWrite(false);
            if (bulkLoad)
            {
                // Unsorted memtables: an insert is an append, sorted once when the memtable is flushed.
                builtOptions.setMemTableConfig(new VectorMemTableConfig());
            }
            builtWriteOptions = new WriteOptions().setDisableWAL(true);
            builtFlushOptions = new FlushOptions().setWaitForFlush(true);
            opened = readOnly ? RocksDB.openReadOnly(builtOptions, dir.toString()) :
                RocksDB.open(builtOptions, dir.toString());
            final byte[] lsn = opened.get(RocksDbKeyDescriptor.APPLIED_LSN_KEY);
            this.checkpointLsn = null == lsn ? -1 : ByteBuffer.wrap(lsn).order(ByteOrder.BIG_ENDIAN).getLong();
        }
        catch (final Exception ex)
        {
            closeAll(opened, builtFlushOptions, builtWriteOptions, builtOptions);
            throw new DejournalException(DejournalException.Code.TARGET_FAILED,
                "cannot open the RocksDB store: dir=" + dir + " reason=" + ex, ex);
        }
        this.options = builtOptions;
        this.writeOptions = builtWriteOptions;
        this.flushOptions = builtFlushOptions;
        this.db = opened;
        LOG.info("RocksDB store opened: dir={} recoveredLsn={} readOnly={} bulkLoad={}", dir, checkpointLsn, readOnly,
            bulkLoad);
    }

    /**
     * Opens the store in {@code dir}, creating it if new.
     *
     * @param dir the store's directory, which only it uses.
     * @return the open store, at its last checkpoint.
     * @throws DejournalException TARGET_FAILED if RocksDB cannot open it (for example while another process has it).
     */
    public static RocksDbTarget open(final Path dir)
    {
        return new RocksDbTarget(Objects.requireNonNull(dir, "dir"), false, false);
    }

    /**
     * Opens the store in {@code dir}, creating it if new, for loading many records from one thread with nobody
     * reading until the load ends. Its memtables are unsorted vectors instead of skip lists, so a write appends
     * instead of searching its place among the memtable's nodes, and a memtable is sorted once, when it is flushed.
     * A read pays instead: while the memtable holds records, every read sorts a copy of it, which takes a large
     * fraction of a second, so do not read (nor isolate readers) until the last {@link #checkpoint}, which flushes.
     * The files on disk are the same as {@link #open}'s: open the store with {@link #open} afterwards to serve reads.
     * <p>
     * Since {@link #open}'s store sorts each write (see {@link RocksDbWriter}), this is faster only for one thread
     * writing straight into the target; through a dejournaler with two workers it was slower, so a restore uses
     * {@link #open} (figures in bench/results/rocksdb-apply.md).
     *
     * @param dir the store's directory, which only it uses.
     * @return the open store, at its last checkpoint.
     * @throws DejournalException TARGET_FAILED if RocksDB cannot open it.
     */
    public static RocksDbTarget openForBulkLoad(final Path dir)
    {
        return new RocksDbTarget(Objects.requireNonNull(dir, "dir"), false, true);
    }

    /**
     * @return whether this store was opened for a bulk load ({@link #openForBulkLoad}).
     */
    public boolean isBulkLoad()
    {
        return isBulkLoad;
    }

    /**
     * Opens an existing store for reading only, also while a member process has it open: a data check reads what
     * the store's files hold, which is the data of its last flush (each checkpoint flushes) with that checkpoint's
     * applied LSN as {@link #recoveredLsn()}. It applies nothing and checkpoints nothing.
     *
     * @param dir the store's directory.
     * @return the store, opened read-only.
     * @throws DejournalException TARGET_FAILED if there is no store there or RocksDB cannot open it.
     */
    public static RocksDbTarget openReadOnly(final Path dir)
    {
        return new RocksDbTarget(Objects.requireNonNull(dir, "dir"), true, false);
    }

    /**
     * Copies the store as it stands into {@code destination}, a new directory, as a RocksDB checkpoint (hard links
     * where it can, on the same file system): a consistent copy that holds a checkpointed applied LSN and every
     * record below it, from which a new member starts and catches up. Checkpoint this target first
     * ({@link #checkpoint}) so the copy's LSN is current; call it while no worker applies, so the copy holds nothing
     * above the LSN that a restart would not apply again anyway.
     *
     * @param destination a directory that must not exist yet.
     * @return the applied LSN the copy resumes from.
     * @throws DejournalException TARGET_FAILED naming both directories if RocksDB cannot make the copy.
     */
    public synchronized long copyTo(final Path destination)
    {
        checkWritable();
        try (Checkpoint checkpoint = Checkpoint.create(db))
        {
            // Writes skip RocksDB's log, so only flushed data is in the files the copy links.
            db.flush(flushOptions);
            checkpoint.createCheckpoint(destination.toString());
        }
        catch (final RocksDBException ex)
        {
            throw new DejournalException(DejournalException.Code.TARGET_FAILED, "RocksDB copy failed: dir=" + dir +
                " destination=" + destination + " status=" + ex.getMessage(), ex);
        }
        return checkpointLsn;
    }

    /**
     * @return whether this store was opened read-only.
     */
    public boolean isReadOnly()
    {
        return isReadOnly;
    }

    /**
     * @return the store's directory.
     */
    public Path dir()
    {
        return dir;
    }

    // ---------------------------------------------------------------------------------------------------- writes

    @Override
    public void apply(final JournalRecord record, final int worker)
    {
        checkOpen();
        final RocksDbWriter writer = writer(worker);
        try
        {
            add(writer, record);
            writer.writeIfDue();
        }
        catch (final RuntimeException ex)
        {
            writer.clearBatch();
            throw ex;
        }
    }

    @Override
    public void apply(final JournalRecord first, final JournalRecord second, final int worker)
    {
        checkOpen();
        final RocksDbWriter writer = writer(worker);
        try
        {
            add(writer, first);
            add(writer, second);
            writer.writeIfDue();
        }
        catch (final RuntimeException ex)
        {
            writer.clearBatch();
            throw ex;
        }
    }

    /**
     * A worker's batch: its records are gathered into one RocksDB write batch (or a few, see {@link RocksDbWriter})
     * until {@link #endBatch}.
     */
    @Override
    public void beginBatch(final int worker)
    {
        checkOpen();
        writer(worker).beginGathering();
    }

    /**
     * Writes what the worker gathered since {@link #beginBatch}.
     */
    @Override
    public void endBatch(final int worker)
    {
        checkOpen();
        writer(worker).write();
    }

    private void add(final RocksDbWriter writer, final JournalRecord record)
    {
        final OpenTransactionOverlay overlay = this.overlay;
        if (null != overlay && record.transactionId() != 0)
        {
            if (!record.hasBeforeImage())
            {
                // The overlay reads the node's current value from the store: records gathered before this one may
                // have changed it, so they go in first.
                writer.writeGathered();
            }
            // The entry goes in before the write that holds the record.
            overlay.beforeWrite(record);
        }
        writer.add(record);
    }

    /**
     * With isolated readers, a TCOMMIT or TROLLBACK (which reaches the target once every record before it is applied)
     * shows the transaction's nodes to the views taken from then on.
     */
    @Override
    public void onTransactionMarker(final JournalRecord record)
    {
        final OpenTransactionOverlay overlay = this.overlay;
        if (null != overlay && record.type() != RecordType.TSTART)
        {
            overlay.onTransactionEnd(record.transactionId());
        }
    }

    /**
     * Makes {@link #readView()} hide open transactions from now on; the dejournaler calls it when
     * {@link DejournalContext#isolatedReaders()} is set, before its workers start. Transactions whose records were
     * applied before this call are not hidden.
     */
    synchronized void isolateReaders()
    {
        checkWritable();
        if (isBulkLoad)
        {
            throw new DejournalException(DejournalException.Code.TARGET_FAILED, "readers cannot be isolated on a " +
                "store opened for a bulk load, which nobody reads until the load ends: dir=" + dir);
        }
        if (null == overlay)
        {
            overlay = new OpenTransactionOverlay(db);
        }
    }

    /**
     * @return whether {@link #readView()} hides open transactions.
     */
    public boolean isIsolatingReaders()
    {
        return null != overlay;
    }

    /**
     * @return the overlay of open transactions, null unless readers are isolated; for tests.
     */
    OpenTransactionOverlay overlay()
    {
        return overlay;
    }

    /**
     * Writes the applied LSN and flushes the memtables, waiting until both are on disk, so that a restart finds
     * this LSN with every record below it applied. See the class description for why that holds without RocksDB's
     * write-ahead log.
     *
     * @throws DejournalException TARGET_FAILED if RocksDB fails; the previous checkpoint stays the recovered LSN.
     */
    @Override
    public synchronized void checkpoint(final long appliedLsn)
    {
        checkWritable();
        try
        {
            for (int i = 0; i < lsnBytes.length; i++)
            {
                lsnBytes[i] = (byte)(appliedLsn >>> (8 * (lsnBytes.length - 1 - i)));
            }
            db.put(writeOptions, RocksDbKeyDescriptor.APPLIED_LSN_KEY, lsnBytes);
            db.flush(flushOptions);
        }
        catch (final RocksDBException ex)
        {
            throw new DejournalException(DejournalException.Code.TARGET_FAILED, "RocksDB checkpoint failed: dir=" +
                dir + " appliedLsn=" + appliedLsn + " status=" + ex.getMessage(), ex);
        }
        checkpointLsn = appliedLsn;
    }

    /**
     * @return the applied LSN of the last checkpoint, durable in the store; -1 if it never had one.
     */
    @Override
    public long recoveredLsn()
    {
        return checkpointLsn;
    }

    /**
     * @return true: the store resumes at its last checkpoint after a restart, a crash too.
     */
    @Override
    public boolean isDurable()
    {
        return true;
    }

    private void checkWritable()
    {
        checkOpen();
        if (isReadOnly)
        {
            throw new DejournalException(DejournalException.Code.TARGET_FAILED,
                "RocksDB store is open read-only: dir=" + dir);
        }
    }

    private RocksDbWriter writer(final int worker)
    {
        final RocksDbWriter writer = worker >= 0 && worker < writers.length ? writers[worker] : null;
        return null != writer ? writer : newWriter(worker);
    }

    /**
     * The first call of a worker creates its writer; the monitor publishes it to {@link #close()}.
     */
    private synchronized RocksDbWriter newWriter(final int worker)
    {
        checkWritable();
        if (worker < 0 || worker >= writers.length)
        {
            throw new IllegalArgumentException("worker must be in [0, " + writers.length + "): worker=" + worker);
        }
        if (null == writers[worker])
        {
            writers[worker] = new RocksDbWriter(db, writeOptions, dir, !isBulkLoad);
        }
        return writers[worker];
    }

    // ---------------------------------------------------------------------------------------------------- reads

    /**
     * A view of the store at this instant, the same for every read through it and across globals. With isolated
     * readers ({@link DejournalContext#isolatedReaders(boolean)}) it shows no part of a transaction still open:
     * see {@link RocksDbReadView}. Close it when done; it holds a RocksDB snapshot.
     *
     * @return a new view.
     */
    public RocksDbReadView readView()
    {
        final OpenTransactionOverlay overlay = this.overlay;
        synchronized (views)
        {
            // Under the views' monitor, so close() cannot close the database between the check and the snapshot.
            checkOpen();
            final RocksDbReadView view;
            if (null == overlay)
            {
                view = new RocksDbReadView(this, db, db.getSnapshot(), NO_HIDDEN_NODES);
            }
            else
            {
                // Copy first, then snapshot, under the lock that adding and removing entries hold: see
                // OpenTransactionOverlay for why no transaction can show in part.
                synchronized (overlay.lock())
                {
                    final byte[][][] hidden = overlay.copy();
                    view = new RocksDbReadView(this, db, db.getSnapshot(), hidden);
                }
            }
            views.add(view);
            return view;
        }
    }

    /**
     * A view's close: its snapshot goes back to RocksDB, unless the target closed already.
     */
    void release(final RocksDbReadView view, final Snapshot snapshot)
    {
        synchronized (views)
        {
            if (views.remove(view) && !isClosed)
            {
                db.releaseSnapshot(snapshot);
            }
        }
    }

    /**
     * @return a copy of the node's value, or null if the node has none.
     */
    @Override
    public byte[] get(
        final String database, final String global, final DirectBuffer key, final int keyOffset,
        final int keyLength)
    {
        checkOpen();
        final byte[] names = names(database, global);
        final byte[] full = new byte[names.length + keyLength];
        System.arraycopy(names, 0, full, 0, names.length);
        key.getBytes(keyOffset, full, names.length, keyLength);
        try
        {
            return db.get(full);
        }
        catch (final RocksDBException ex)
        {
            throw readFailed(ex);
        }
    }

    /**
     * IRIS {@code $ORDER}, as {@link GlobalStore#order(String, String, SubscriptKey, int)}: the next ({@code 1}) or
     * previous ({@code -1}) sibling of {@code key} that has a value or descendants.
     *
     * @return a new key for the sibling, or null at the end.
     * @throws IllegalArgumentException for the root key or a direction other than 1 and -1.
     */
    public SubscriptKey order(final String database, final String global, final SubscriptKey key, final int direction)
    {
        final byte[] subscripts = key.toByteArray();
        final int depth = GlobalTree.orderDepth(subscripts, direction);
        final byte[] names = names(database, global);
        final byte[] full = concat(names, subscripts);
        final int parentLength = names.length + SubscriptCodec.prefixLength(key.buffer(), 0, key.length(), depth - 1);
        checkOpen();
        try (RocksIterator it = db.newIterator())
        {
            if (direction > 0)
            {
                it.seek(RocksDbKeyDescriptor.successor(full, full.length));
            }
            else
            {
                it.seekForPrev(full);
                if (it.isValid() && Arrays.equals(it.key(), full))
                {
                    it.prev();
                }
            }
            return sibling(it.isValid() ? it.key() : null, full, parentLength, names.length, depth);
        }
    }

    /**
     * IRIS {@code $ORDER(^G(parent,""), direction)}, as
     * {@link GlobalStore#orderChild(String, String, SubscriptKey, int)}: the first ({@code 1}) or last ({@code -1})
     * subscript under {@code parent}; the root key gives the global's first level.
     *
     * @return a new key for the child, or null when it has none.
     * @throws IllegalArgumentException for a direction other than 1 and -1.
     */
    public SubscriptKey orderChild(
        final String database, final String global, final SubscriptKey parent, final int direction)
    {
        final byte[] subscripts = parent.toByteArray();
        final int depth = GlobalTree.orderChildDepth(subscripts, direction);
        final byte[] names = names(database, global);
        final byte[] full = concat(names, subscripts);
        checkOpen();
        try (RocksIterator it = db.newIterator())
        {
            if (direction > 0)
            {
                it.seek(full);
                if (it.isValid() && Arrays.equals(it.key(), full))
                {
                    it.next();
                }
            }
            else
            {
                final byte[] end = RocksDbKeyDescriptor.successor(full, full.length);
                it.seekForPrev(end);
                if (it.isValid() && Arrays.equals(it.key(), end))
                {
                    it.prev();
                }
            }
            return sibling(it.isValid() ? it.key() : null, full, full.length, names.length, depth);
        }
    }

    /**
     * @return the key found cut to {@code depth} subscripts when it lies strictly under the parent whose full key is
     * the first {@code parentLength} bytes of {@code full}, else null (also when nothing was found).
     */
    static SubscriptKey sibling(
        final byte[] found, final byte[] full, final int parentLength, final int namesLength, final int depth)
    {
        if (null == found || found.length <= parentLength ||
            !RocksDbKeyDescriptor.startsWith(found, full, parentLength))
        {
            return null;
        }
        final UnsafeBuffer view = new UnsafeBuffer(found, namesLength, found.length - namesLength);
        return new SubscriptKey().set(view, 0, SubscriptCodec.prefixLength(view, 0, view.capacity(), depth));
    }

    /**
     * Visits the node {@code prefix} (if it has a value) and all its descendants in collation order, as
     * {@link GlobalStore#query(String, String, SubscriptKey, GlobalStore.NodeVisitor)} does; the root key visits the
     * whole global. The walk sees the store as it was when it started.
     */
    public void query(
        final String database, final String global, final SubscriptKey prefix, final GlobalStore.NodeVisitor visitor)
    {
        final byte[] names = names(database, global);
        final byte[] full = concat(names, prefix.toByteArray());
        final UnsafeBuffer keyView = new UnsafeBuffer(0, 0);
        final UnsafeBuffer valueView = new UnsafeBuffer(0, 0);
        checkOpen();
        try (RocksIterator it = db.newIterator())
        {
            for (it.seek(full); it.isValid(); it.next())
            {
                final byte[] key = it.key();
                if (!RocksDbKeyDescriptor.startsWith(key, full, full.length))
                {
                    return;
                }
                final byte[] value = it.value();
                keyView.wrap(key);
                valueView.wrap(value);
                if (!visitor.onNode(keyView, names.length, key.length - names.length, valueView, 0, value.length))
                {
                    return;
                }
            }
        }
    }

    /**
     * @return the global's digest, by a scan of its nodes; {@link GlobalDigest#EMPTY} if it has none.
     */
    public GlobalDigest digest(final String database, final String global)
    {
        final byte[] names = names(database, global);
        final DigestSum sum = new DigestSum();
        checkOpen();
        try (RocksIterator it = db.newIterator())
        {
            for (it.seek(names); it.isValid(); it.next())
            {
                final byte[] key = it.key();
                if (!RocksDbKeyDescriptor.startsWith(key, names, names.length))
                {
                    break;
                }
                sum.add(key, names.length, it.value());
            }
        }
        return sum.digest();
    }

    /**
     * The digest of every global that has nodes, by database then global name, from one scan of the whole store
     * under one snapshot: equal to {@link GlobalStore#digests()} for the same contents.
     */
    @Override
    public Map<GlobalName, GlobalDigest> digests()
    {
        final Map<GlobalName, GlobalDigest> digests = new TreeMap<>(NAME_ORDER);
        checkOpen();
        try (RocksIterator it = db.newIterator())
        {
            byte[] names = null;
            DigestSum sum = null;
            for (it.seek(RocksDbKeyDescriptor.FIRST_NODE_KEY); it.isValid(); it.next())
            {
                final byte[] key = it.key();
                if (null == names || !RocksDbKeyDescriptor.startsWith(key, names, names.length))
                {
                    if (null != sum)
                    {
                        digests.put(name(names), sum.digest());
                    }
                    names = Arrays.copyOf(key, RocksDbKeyDescriptor.subscriptsOffset(key, key.length));
                    sum = new DigestSum();
                }
                sum.add(key, names.length, it.value());
            }
            if (null != sum)
            {
                digests.put(name(names), sum.digest());
            }
        }
        return new LinkedHashMap<>(digests);
    }

    /**
     * @return the globals that have at least one node, by database then global name.
     */
    public List<GlobalName> globals()
    {
        return new ArrayList<>(digests().keySet());
    }

    static GlobalName name(final byte[] names)
    {
        final int globalOffset = RocksDbKeyDescriptor.globalOffset(names);
        return GlobalName.of(RocksDbKeyDescriptor.name(names, 0, globalOffset),
            RocksDbKeyDescriptor.name(names, globalOffset, names.length));
    }

    /**
     * Count, sum and xor of pair hashes, as {@link GlobalDigest} defines them.
     */
    static final class DigestSum
    {
        private long count;
        private long sum;
        private long xor;

        void add(final byte[] key, final int subscriptsOffset, final byte[] value)
        {
            final long hash = GlobalDigest.xxh64(value, 0, value.length,
                GlobalDigest.xxh64(key, subscriptsOffset, key.length - subscriptsOffset, GlobalDigest.KEY_SEED));
            count++;
            sum += hash;
            xor ^= hash;
        }

        GlobalDigest digest()
        {
            return new GlobalDigest(count, sum, xor);
        }
    }

    static byte[] names(final String database, final String global)
    {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(global, "global");
        return RocksDbKeyDescriptor.names(database, global.startsWith("^") ? global.substring(1) : global);
    }

    static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    DejournalException readFailed(final RocksDBException ex)
    {
        return new DejournalException(DejournalException.Code.TARGET_FAILED, "RocksDB read failed: dir=" + dir +
            " status=" + ex.getMessage(), ex);
    }

    private void checkOpen()
    {
        if (isClosed)
        {
            throw new DejournalException(DejournalException.Code.CLOSED, "RocksDB store is closed: dir=" + dir);
        }
    }

    // ---------------------------------------------------------------------------------------------------- close

    /**
     * Releases the workers' batches, the database and its options. It writes no checkpoint: data applied since the
     * last one is flushed by RocksDB as it closes, and a restart replays it from the last checkpoint. Safe to call
     * twice.
     */
    @Override
    public synchronized void close()
    {
        if (isClosed)
        {
            return;
        }
        synchronized (views)
        {
            // A snapshot must go back before its database closes; the views find the target closed.
            for (final RocksDbReadView view : views)
            {
                view.close();
            }
            isClosed = true;
        }
        for (int i = 0; i < writers.length; i++)
        {
            if (null != writers[i])
            {
                writers[i].close();
                writers[i] = null;
            }
        }
        closeAll(db, flushOptions, writeOptions, options);
        LOG.info("RocksDB store closed: dir={} checkpointLsn={}", dir, checkpointLsn);
    }

    private static void closeAll(final AutoCloseable... closeables)
    {
        for (final AutoCloseable closeable : closeables)
        {
            if (null != closeable)
            {
                try
                {
                    closeable.close();
                }
                catch (final Exception ex)
                {
                    LOG.warn("closing a RocksDB handle failed", ex);
                }
            }
        }
    }
}
