package io.jmirror.journal;

import java.util.concurrent.TimeUnit;

/**
 * Default values of {@link JournalContext}, in one place so docs and code agree.
 */
public final class JournalDefaults
{
    /** Journal files switch at 256 MiB. */
    public static final long FILE_LENGTH_DEFAULT = 256L * 1024 * 1024;
    /** A single record may be up to 16 MiB. */
    public static final int MAX_RECORD_LENGTH_DEFAULT = 16 * 1024 * 1024;
    /** Group sync is the default: one force serves many commits. */
    public static final SyncPolicy SYNC_POLICY_DEFAULT = SyncPolicy.GROUP;
    /** Force at most every millisecond under GROUP. */
    public static final long GROUP_SYNC_INTERVAL_NS_DEFAULT = TimeUnit.MICROSECONDS.toNanos(1000);
    /** ...or as soon as 4 MiB are waiting. */
    public static final long GROUP_SYNC_BYTES_DEFAULT = 4L * 1024 * 1024;
    /** Purge always keeps at least this many files. */
    public static final int RETAIN_MIN_FILES_DEFAULT = 2;
    /** Purge keeps files written within this many milliseconds (a day). */
    public static final long RETAIN_MS_DEFAULT = TimeUnit.HOURS.toMillis(24);
    /** Purge keeps up to this many files, renamed, for reuse as later journal files. */
    public static final int RECYCLE_FILES_DEFAULT = 2;
    /** Mirror name used when none is given. */
    public static final String MIRROR_NAME_DEFAULT = "MIRROR";

    private JournalDefaults()
    {
    }
}
