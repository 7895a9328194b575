package io.jmirror.journal;

/**
 * When appended records reach stable storage.
 */
public enum SyncPolicy
{
    /** Leave flushing to the operating system's page cache; the durable LSN follows the end of complete records. */
    NONE,
    /**
     * A dedicated agent forces the files at most every {@code groupSyncIntervalNs} or once {@code groupSyncBytes}
     * have accumulated, whichever comes first. Many commits share one force. The default.
     */
    GROUP,
    /** Every TCOMMIT, and every {@code awaitDurable}, forces the journal on the calling thread before returning. */
    EVERY_COMMIT
}
