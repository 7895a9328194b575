package io.jmirror.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The node side of the control channel between {@code demo}/{@code soak} and the node processes they start: one
 * command per line on stdin, answered on stdout by lines starting {@code @}, the last of which is {@code @ok ...} or
 * {@code @err ...}. Logging goes to stderr, so stdout carries only answers. When stdin closes (the controlling
 * process died), the node stops: no node outlives the run that started it.
 */
final class NodeControl
{
    /**
     * Handles one command.
     */
    interface Handler
    {
        /**
         * @param command the command word.
         * @param args    the rest of the line, possibly empty.
         * @param out     where to print data lines ({@code @...}) before the result.
         * @return the text after {@code @ok}, or null for a command this node does not know.
         * @throws Exception answered as {@code @err} with its message.
         */
        String handle(String command, String args, PrintStream out) throws Exception;
    }

    private NodeControl()
    {
    }

    /**
     * Announce readiness, then serve commands until {@code stop} or the end of stdin.
     */
    static void serve(final String ready, final Handler handler, final PrintStream out) throws IOException
    {
        out.println("@ready " + ready);
        out.flush();
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while (null != (line = in.readLine()))
        {
            final String trimmed = line.trim();
            if (trimmed.isEmpty())
            {
                continue;
            }
            final int space = trimmed.indexOf(' ');
            final String command = space < 0 ? trimmed : trimmed.substring(0, space);
            final String args = space < 0 ? "" : trimmed.substring(space + 1).trim();
            if ("stop".equals(command))
            {
                return;
            }
            try
            {
                final String result = handler.handle(command, args, out);
                out.println(null == result ? "@err unknown command: " + command : "@ok " + result);
            }
            catch (final Exception ex)
            {
                out.println("@err " + command + " failed: " + ex);
            }
            out.flush();
        }
    }
}
