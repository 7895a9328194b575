package io.jmirror.journal;

/**
 * Receives records from a {@link JournalReader}, one flyweight at a time.
 */
@FunctionalInterface
public interface RecordHandler
{
    /**
     * @param record a complete, checked record; valid only during the call.
     */
    void onRecord(JournalRecord record);
}
