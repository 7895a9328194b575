package io.jmirror.journal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A registered user of the journal (a member session, a dejournaler, a reader) and the lowest LSN it still needs.
 * Purge never deletes a file holding an LSN at or above any registered consumer's position.
 */
public final class JournalConsumer implements AutoCloseable
{
    private static final VarHandle POSITION;

    static
    {
        try
        {
            POSITION = MethodHandles.lookup().findVarHandle(JournalConsumer.class, "position", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final String name;
    private final Journal journal;
    @SuppressWarnings("unused")
    private long position;
    private volatile boolean isClosed;

    JournalConsumer(final String name, final Journal journal, final long position)
    {
        this.name = name;
        this.journal = journal;
        this.position = position;
    }

    /**
     * @return the consumer's name, for logs and status.
     */
    public String name()
    {
        return name;
    }

    /**
     * @return the lowest LSN this consumer still needs.
     */
    public long position()
    {
        return (long)POSITION.getAcquire(this);
    }

    /**
     * Move the lowest LSN this consumer still needs. Positions normally only grow; a consumer that moves back
     * must then check the LSN is still held (a reader's seek does).
     *
     * @param lsn lowest LSN still needed.
     */
    public void position(final long lsn)
    {
        POSITION.setRelease(this, lsn);
    }

    /**
     * @return true once closed.
     */
    public boolean isClosed()
    {
        return isClosed;
    }

    /**
     * Unregister: the journal may purge what only this consumer needed.
     */
    @Override
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            journal.unregister(this);
        }
    }

    @Override
    public String toString()
    {
        return "JournalConsumer{name=" + name + ", position=" + position() + "}";
    }
}
