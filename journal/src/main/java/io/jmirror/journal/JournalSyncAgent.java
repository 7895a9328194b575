package io.jmirror.journal;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The GROUP sync policy's agent: it follows the end of complete records and forces them to stable storage at most
 * every {@code groupSyncIntervalNs}, or sooner once {@code groupSyncBytes} are waiting, then publishes the new
 * durable LSN. One force serves every commit that arrived meanwhile.
 */
public final class JournalSyncAgent implements Agent
{
    private final Journal journal;
    private final long intervalNs;
    private final long bytes;
    private final NanoClock nanoClock;
    private long lastForceNs;
    private long forces;

    JournalSyncAgent(final Journal journal, final JournalContext ctx)
    {
        this(journal, ctx, SystemNanoClock.INSTANCE);
    }

    JournalSyncAgent(final Journal journal, final JournalContext ctx, final NanoClock nanoClock)
    {
        this.journal = journal;
        this.intervalNs = ctx.groupSyncIntervalNs();
        this.bytes = ctx.groupSyncBytes();
        this.nanoClock = nanoClock;
        this.lastForceNs = nanoClock.nanoTime();
    }

    @Override
    public int doWork()
    {
        final long complete = journal.advanceCompleteLsn();
        final long pending = complete - journal.durableLsn();
        if (pending <= 0)
        {
            return 0;
        }

        final long nowNs = nanoClock.nanoTime();
        if (pending >= bytes || nowNs - lastForceNs >= intervalNs)
        {
            journal.forceTo(complete);
            lastForceNs = nowNs;
            forces++;
            return 1;
        }
        return 0;
    }

    /**
     * @return how many forces this agent has made.
     */
    public long forces()
    {
        return forces;
    }

    @Override
    public void onClose()
    {
        journal.forceTo(journal.advanceCompleteLsn());
    }

    @Override
    public String roleName()
    {
        return "jmirror-journal-sync";
    }
}
