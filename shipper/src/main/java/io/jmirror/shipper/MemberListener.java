package io.jmirror.shipper;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Accepts member connections on the primary's listening socket and hands each to a new {@link MemberSession}. A
 * connection is only a candidate until its session has checked its HELLO (and certificate, with TLS).
 */
final class MemberListener implements Agent
{
    private final Primary primary;
    private final ServerSocketChannel server;
    private final LinkIdleStrategy linkIdle;

    /**
     * @param idle the listener runner's idle strategy; a {@link LinkIdleStrategy} is set to block until a member
     *             connects (and at most {@link ShipperDefaults#LISTENER_MAX_BLOCK_NS}, so the journal position
     *             counters stay fresh: waking every millisecond cost ~5% of a core on 2 cores, a timed wake-up costing
     *             tens of µs on these virtual machines, plus walking frames the sessions had not read yet).
     */
    MemberListener(final Primary primary, final ServerSocketChannel server, final IdleStrategy idle)
    {
        this.primary = primary;
        this.server = server;
        this.linkIdle = idle instanceof LinkIdleStrategy ? (LinkIdleStrategy)idle : null;
        if (null != linkIdle)
        {
            linkIdle.guard(new LinkIdleStrategy.BlockGuard()
            {
                @Override
                public int beforeBlock()
                {
                    return SelectionKey.OP_ACCEPT;
                }

                @Override
                public void afterBlock()
                {
                }
            });
            linkIdle.register(server);
        }
    }

    @Override
    public int doWork() throws IOException
    {
        primary.publishJournalPosition();
        int work = 0;
        SocketChannel channel;
        while (null != (channel = server.accept()))
        {
            primary.onAccepted(channel);
            work++;
        }
        return work;
    }

    @Override
    public void onClose()
    {
        if (null != linkIdle)
        {
            linkIdle.close();
        }
    }

    @Override
    public String roleName()
    {
        return "jmirror-primary-listener";
    }
}
