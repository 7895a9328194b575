package io.jmirror.journal;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.IdleStrategy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static io.jmirror.journal.JournalDefaults.*;

/**
 * Configuration of a {@link Journal}: fluent setters, then {@link #conclude()} checks every value and fails with a
 * message naming the bad setting.
 */
public final class JournalContext
{
    private Path journalDir;
    private String mirrorName = MIRROR_NAME_DEFAULT;
    private long journalId;
    private long startLsn;
    private long fileLength = FILE_LENGTH_DEFAULT;
    private int maxRecordLength = MAX_RECORD_LENGTH_DEFAULT;
    private boolean isMaxRecordLengthSet;
    private SyncPolicy syncPolicy = SYNC_POLICY_DEFAULT;
    private long groupSyncIntervalNs = GROUP_SYNC_INTERVAL_NS_DEFAULT;
    private long groupSyncBytes = GROUP_SYNC_BYTES_DEFAULT;
    private int retainMinFiles = RETAIN_MIN_FILES_DEFAULT;
    private long retainMs = RETAIN_MS_DEFAULT;
    private int recycleFiles = RECYCLE_FILES_DEFAULT;
    private boolean readOnly;
    private boolean startSyncAgent = true;
    private EpochClock epochClock;
    private Supplier<IdleStrategy> idleStrategySupplier = JournalContext::defaultIdleStrategy;
    private boolean isConcluded;

    /**
     * @return the back-off idle strategy used when none is configured: spin briefly, yield, then park up to 1 ms.
     */
    public static IdleStrategy defaultIdleStrategy()
    {
        return new BackoffIdleStrategy(
            10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
    }

    /**
     * Check every setting and fill in derived values. Called by {@link Journal#open(JournalContext)}.
     *
     * @return this.
     * @throws JournalException with code INVALID_CONFIG naming the setting that is wrong.
     */
    public JournalContext conclude()
    {
        if (isConcluded)
        {
            return this;
        }

        if (null == journalDir)
        {
            throw invalid("journalDir must be set");
        }
        if (null == mirrorName || mirrorName.isEmpty() ||
            mirrorName.getBytes(StandardCharsets.UTF_8).length > JournalFileDescriptor.MAX_MIRROR_NAME_LENGTH)
        {
            throw invalid("mirrorName must be 1.." + JournalFileDescriptor.MAX_MIRROR_NAME_LENGTH +
                " UTF-8 bytes: mirrorName=" + mirrorName);
        }
        if (fileLength < JournalFileDescriptor.MIN_FILE_LENGTH || fileLength > JournalFileDescriptor.MAX_FILE_LENGTH ||
            (fileLength % RecordDescriptor.ALIGNMENT) != 0)
        {
            throw invalid("fileLength must be a multiple of 8 in [" + JournalFileDescriptor.MIN_FILE_LENGTH + ", " +
                JournalFileDescriptor.MAX_FILE_LENGTH + "]: fileLength=" + fileLength);
        }
        final long capacity = JournalFileDescriptor.capacity(fileLength);
        if (!isMaxRecordLengthSet)
        {
            // Small files (tests, demos) get a default that still fits in one file.
            maxRecordLength = (int)Math.min(MAX_RECORD_LENGTH_DEFAULT, capacity);
        }
        if (maxRecordLength < RecordDescriptor.HEADER_LENGTH + 1 || maxRecordLength > capacity)
        {
            throw invalid("maxRecordLength must be in [" + (RecordDescriptor.HEADER_LENGTH + 1) + ", " + capacity +
                "] (a record must fit in one file): maxRecordLength=" + maxRecordLength + " fileLength=" + fileLength);
        }
        if (startLsn < 0 || startLsn % capacity != 0)
        {
            throw invalid("startLsn must be a file boundary, a multiple of fileLength - " +
                JournalFileDescriptor.HEADER_LENGTH + ": startLsn=" + startLsn + " fileLength=" + fileLength);
        }
        if (null == syncPolicy)
        {
            throw invalid("syncPolicy must be set");
        }
        if (groupSyncIntervalNs <= 0 || groupSyncBytes <= 0)
        {
            throw invalid("groupSyncIntervalNs and groupSyncBytes must be positive: groupSyncIntervalNs=" +
                groupSyncIntervalNs + " groupSyncBytes=" + groupSyncBytes);
        }
        if (recycleFiles < 0 || recycleFiles > 64)
        {
            throw invalid("recycleFiles must be in [0, 64]: recycleFiles=" + recycleFiles);
        }
        if (retainMinFiles < 1 || retainMs < 0)
        {
            throw invalid("retainMinFiles must be >= 1 and retainMs >= 0: retainMinFiles=" + retainMinFiles +
                " retainMs=" + retainMs);
        }
        if (null == idleStrategySupplier)
        {
            throw invalid("idleStrategySupplier must be set");
        }

        isConcluded = true;
        return this;
    }

    private static JournalException invalid(final String message)
    {
        return new JournalException(JournalException.Code.INVALID_CONFIG, message);
    }

    /**
     * @param journalDir directory holding the journal files; created if missing (unless read-only).
     * @return this.
     */
    public JournalContext journalDir(final Path journalDir)
    {
        this.journalDir = journalDir;
        return this;
    }

    /**
     * @return directory holding the journal files.
     */
    public Path journalDir()
    {
        return journalDir;
    }

    /**
     * @param mirrorName name of the mirror, written into every file header; a journal refuses files of another.
     * @return this.
     */
    public JournalContext mirrorName(final String mirrorName)
    {
        this.mirrorName = mirrorName;
        return this;
    }

    /**
     * @return name of the mirror.
     */
    public String mirrorName()
    {
        return mirrorName;
    }

    /**
     * @param journalId identity of the journal; 0 lets a new journal pick a random one. A member sets the
     *                  primary's, so its files are byte-identical.
     * @return this.
     */
    public JournalContext journalId(final long journalId)
    {
        this.journalId = journalId;
        return this;
    }

    /**
     * @return identity of the journal, 0 when it is to be chosen or read from existing files.
     */
    public long journalId()
    {
        return journalId;
    }

    /**
     * @param startLsn where a new journal starts (a file boundary of the primary's journal): a member that joins a
     *                 primary whose older files are purged starts at the primary's oldest LSN. Ignored when the
     *                 directory already holds journal files.
     * @return this.
     */
    public JournalContext startLsn(final long startLsn)
    {
        this.startLsn = startLsn;
        return this;
    }

    /**
     * @return where a new journal starts.
     */
    public long startLsn()
    {
        return startLsn;
    }

    /**
     * @param fileLength length at which journal files switch, header included. Existing files keep theirs.
     * @return this.
     */
    public JournalContext fileLength(final long fileLength)
    {
        this.fileLength = fileLength;
        return this;
    }

    /**
     * @return length at which journal files switch.
     */
    public long fileLength()
    {
        return fileLength;
    }

    /**
     * @param maxRecordLength largest frame, header included, an append may write. Defaults to 16 MiB, or the
     *                        capacity of one file when files are smaller.
     * @return this.
     */
    public JournalContext maxRecordLength(final int maxRecordLength)
    {
        this.maxRecordLength = maxRecordLength;
        this.isMaxRecordLengthSet = true;
        return this;
    }

    /**
     * @return largest frame an append may write.
     */
    public int maxRecordLength()
    {
        return maxRecordLength;
    }

    /**
     * @param syncPolicy when records reach stable storage.
     * @return this.
     */
    public JournalContext syncPolicy(final SyncPolicy syncPolicy)
    {
        this.syncPolicy = syncPolicy;
        return this;
    }

    /**
     * @return when records reach stable storage.
     */
    public SyncPolicy syncPolicy()
    {
        return syncPolicy;
    }

    /**
     * @param groupSyncIntervalNs under GROUP, the longest a complete record waits to be forced.
     * @return this.
     */
    public JournalContext groupSyncIntervalNs(final long groupSyncIntervalNs)
    {
        this.groupSyncIntervalNs = groupSyncIntervalNs;
        return this;
    }

    /**
     * @return under GROUP, the longest a complete record waits to be forced.
     */
    public long groupSyncIntervalNs()
    {
        return groupSyncIntervalNs;
    }

    /**
     * @param groupSyncBytes under GROUP, force as soon as this many bytes wait.
     * @return this.
     */
    public JournalContext groupSyncBytes(final long groupSyncBytes)
    {
        this.groupSyncBytes = groupSyncBytes;
        return this;
    }

    /**
     * @return under GROUP, force as soon as this many bytes wait.
     */
    public long groupSyncBytes()
    {
        return groupSyncBytes;
    }

    /**
     * @param retainMinFiles purge always keeps at least this many of the newest files.
     * @return this.
     */
    public JournalContext retainMinFiles(final int retainMinFiles)
    {
        this.retainMinFiles = retainMinFiles;
        return this;
    }

    /**
     * @return purge always keeps at least this many of the newest files.
     */
    public int retainMinFiles()
    {
        return retainMinFiles;
    }

    /**
     * @param retainMs purge keeps every file last written within this many milliseconds.
     * @return this.
     */
    public JournalContext retainMs(final long retainMs)
    {
        this.retainMs = retainMs;
        return this;
    }

    /**
     * @return purge keeps every file last written within this many milliseconds.
     */
    public long retainMs()
    {
        return retainMs;
    }

    /**
     * @param recycleFiles how many purged files are kept, renamed, to become later journal files instead of new ones
     *                     (their pages are usually still cached, so a steady writer touches no fresh page); 0 turns
     *                     reuse off.
     * @return this.
     */
    public JournalContext recycleFiles(final int recycleFiles)
    {
        this.recycleFiles = recycleFiles;
        return this;
    }

    /**
     * @return how many purged files are kept for reuse.
     */
    public int recycleFiles()
    {
        return recycleFiles;
    }

    /**
     * @param readOnly open existing files for reading only: no recovery writes, no appends (the dump tool).
     * @return this.
     */
    public JournalContext readOnly(final boolean readOnly)
    {
        this.readOnly = readOnly;
        return this;
    }

    /**
     * @return true when the journal is opened for reading only.
     */
    public boolean readOnly()
    {
        return readOnly;
    }

    /**
     * @param startSyncAgent under GROUP, run the sync agent on its own thread (true, the default) or leave it to
     *                       the caller to drive {@link Journal#syncAgent()} (tests, shared threading).
     * @return this.
     */
    public JournalContext startSyncAgent(final boolean startSyncAgent)
    {
        this.startSyncAgent = startSyncAgent;
        return this;
    }

    /**
     * @return whether GROUP sync runs on its own thread.
     */
    public boolean startSyncAgent()
    {
        return startSyncAgent;
    }

    /**
     * @param epochClock clock for record timestamps and retention. When none is set, retention reads the system
     *                   clock and timestamps come from a cached clock refreshed every millisecond, since reading the
     *                   system clock per append costs more than the rest of the append.
     * @return this.
     */
    public JournalContext epochClock(final EpochClock epochClock)
    {
        this.epochClock = epochClock;
        return this;
    }

    /**
     * @return clock for record timestamps and retention, null for the defaults.
     */
    public EpochClock epochClock()
    {
        return epochClock;
    }

    /**
     * @param idleStrategySupplier makes the idle strategy for the sync agent and for waits on new data.
     * @return this.
     */
    public JournalContext idleStrategySupplier(final Supplier<IdleStrategy> idleStrategySupplier)
    {
        this.idleStrategySupplier = idleStrategySupplier;
        return this;
    }

    /**
     * @return makes the idle strategy for the sync agent and for waits.
     */
    public Supplier<IdleStrategy> idleStrategySupplier()
    {
        return idleStrategySupplier;
    }
}
