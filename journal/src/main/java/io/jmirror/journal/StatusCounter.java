package io.jmirror.journal;

/**
 * One status counter as read, decoded by its type id and key ({@link StatusCounterDescriptor}).
 *
 * @param typeId      its type id.
 * @param type        its type, null for a type id this version does not know.
 * @param name        whose it is: a member's name, empty for the primary's own.
 * @param workerIndex the worker's index for a worker counter, else {@link StatusCounterDescriptor#NO_WORKER}.
 * @param value       its value when read.
 * @param label       its label, for humans.
 * @param text        the text of a {@link StatusCounterType.Unit#TEXT} counter ({@link StatusText}), else null.
 */
public record StatusCounter(int typeId, StatusCounterType type, String name, int workerIndex, long value,
    String label, String text)
{
    /**
     * A counter that holds a number, not text.
     */
    public StatusCounter(final int typeId, final StatusCounterType type, final String name, final int workerIndex,
        final long value, final String label)
    {
        this(typeId, type, name, workerIndex, value, label, null);
    }
}
