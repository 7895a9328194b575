package io.jmirror.shipper;

import org.agrona.concurrent.Agent;

import java.io.IOException;
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

    MemberListener(final Primary primary, final ServerSocketChannel server)
    {
        this.primary = primary;
        this.server = server;
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
    public String roleName()
    {
        return "jmirror-primary-listener";
    }
}
