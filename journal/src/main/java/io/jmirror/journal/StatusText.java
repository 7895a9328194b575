package io.jmirror.journal;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

import java.lang.invoke.VarHandle;

/**
 * One line of text in a status file, such as the last REJECT sent to a member or the last error, so that
 * {@code jmirror status} in another process can say why a member is DOWN, not only that it is. Agrona counters
 * hold 64-bit values, so the text goes in the counter's label, after the counter's own label and {@code ": "}
 * ({@code member=dr-1 lastReason: ROLE_MISMATCH: ...}), cut to what a label holds. The counter's value is a
 * sequence that is odd while the label is being rewritten (a seqlock): a reader in another process retries
 * rather than show half of one text and half of the next. The text is written rarely (on a refusal, an error, a
 * disconnect), never on a hot path.
 */
public final class StatusText implements AutoCloseable
{
    /** What separates the counter's own label from its text. */
    public static final String SEPARATOR = ": ";
    /** How often a reader retries while the text is being rewritten before it gives up. */
    private static final int READ_ATTEMPTS = 100;

    private final AtomicCounter counter;
    private final String prefix;

    /**
     * @param statusFile where the text lives.
     * @param type       a counter type of {@link StatusCounterType.Unit#TEXT}.
     * @param name       whose it is (a member's name; empty for the primary's own).
     */
    public StatusText(final StatusFile statusFile, final StatusCounterType type, final String name)
    {
        if (type.unit() != StatusCounterType.Unit.TEXT)
        {
            throw new JournalException(JournalException.Code.INVALID_CONFIG,
                "not a text counter: type=" + type + " unit=" + type.unit());
        }
        this.prefix = type.label(name, StatusCounterDescriptor.NO_WORKER) + SEPARATOR;
        this.counter = statusFile.newCounter(type, name);
        counter.updateLabel(prefix);
    }

    /**
     * Replace the text. Line breaks become spaces (the status shows one line a field); non-ASCII characters show as
     * {@code ?}.
     *
     * @param text the new text, null or empty for none.
     */
    public synchronized void set(final String text)
    {
        final String line = null == text ? "" : text.replace('\n', ' ').replace('\r', ' ');
        final long sequence = counter.get();
        counter.setRelease(sequence + 1);
        VarHandle.releaseFence(); // the odd sequence is seen before any byte of the new label
        counter.updateLabel(fit(prefix + line));
        counter.setRelease(sequence + 2);
    }

    /**
     * @return the text, empty when none was set.
     */
    public String get()
    {
        final String text = read(counter.label(), prefix);
        return null == text ? "" : text;
    }

    /**
     * Read a text counter of another process: consistent label, or null while it keeps changing.
     *
     * @param reader    the counters.
     * @param counterId the text counter.
     * @param prefix    its own label and {@link #SEPARATOR}.
     * @return the text, empty when none was set, null when no consistent read was possible.
     */
    public static String read(final CountersReader reader, final int counterId, final String prefix)
    {
        for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++)
        {
            final long before = reader.getCounterValue(counterId);
            final String label = reader.getCounterLabel(counterId);
            VarHandle.acquireFence(); // the label is read before the sequence is read again
            final long after = reader.getCounterValue(counterId);
            if (0 == (before & 1) && before == after)
            {
                return read(label, prefix);
            }
            Thread.onSpinWait();
        }
        return null;
    }

    private static String read(final String label, final String prefix)
    {
        return label.startsWith(prefix) ? label.substring(prefix.length()) : "";
    }

    private static String fit(final String label)
    {
        return label.length() <= CountersReader.MAX_LABEL_LENGTH ? label :
            label.substring(0, CountersReader.MAX_LABEL_LENGTH - 3) + "...";
    }

    /**
     * @return the counter holding the text.
     */
    public AtomicCounter counter()
    {
        return counter;
    }

    @Override
    public void close()
    {
        counter.close();
    }
}
