package io.jmirror.mirror;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Operator requests to a running {@link MirrorNode}, through its directory, so that {@code jmirror operator DIR ...}
 * reaches a node in another process without a network port: the request is one line written to
 * {@value #REQUEST_FILE} (by rename, so the node never reads half of it), the node takes it on its next beat and
 * writes one line to {@value #ANSWER_FILE} saying what it did or why it refused.
 * <p>
 * Requests: {@code force WHY} (an isolated primary goes on without its backup, see
 * {@link MirrorNode#forceWithoutBackup}), {@code handover} (a planned switch to the ACTIVE backup), {@code promote}
 * (an async member asks to be promoted to primary, with data loss accepted), {@code promote-to-failover} (an async
 * member asks to become the backup while the backup slot is free, see {@link MirrorNode#promoteToFailover}).
 */
public final class OperatorRequests
{
    /** The pending request, in the node's directory. */
    public static final String REQUEST_FILE = "operator-request";

    /** The node's answer to the last request it took, in the node's directory. */
    public static final String ANSWER_FILE = "operator-answer";

    private OperatorRequests()
    {
    }

    /**
     * Leave a request for the node in {@code dir}, replacing the last answer.
     *
     * @param dir  the node's directory.
     * @param line the request.
     * @throws IOException if it cannot be written.
     */
    public static void submit(final Path dir, final String line) throws IOException
    {
        Files.deleteIfExists(dir.resolve(ANSWER_FILE));
        write(dir, REQUEST_FILE, line);
    }

    /**
     * Wait for the node's answer to the request {@link #submit} left.
     *
     * @param dir       the node's directory.
     * @param timeoutMs how long to wait.
     * @return the answer, or null when none came in time (the node is not running, or is stalled).
     * @throws IOException if the answer cannot be read.
     */
    public static String awaitAnswer(final Path dir, final long timeoutMs) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final Path answer = dir.resolve(ANSWER_FILE);
        while (!Files.exists(answer))
        {
            if (System.nanoTime() - deadline > 0)
            {
                return null;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return Files.readString(answer, StandardCharsets.UTF_8).trim();
    }

    /**
     * The node's side: take the pending request, if any.
     *
     * @param dir the node's directory.
     * @return the request line, or null when none is pending.
     * @throws IOException if it cannot be read or removed.
     */
    static String take(final Path dir) throws IOException
    {
        final Path request = dir.resolve(REQUEST_FILE);
        if (!Files.exists(request))
        {
            return null;
        }
        final String line = Files.readString(request, StandardCharsets.UTF_8).trim();
        Files.delete(request);
        return line;
    }

    /**
     * The node's side: answer the request it took.
     *
     * @param dir  the node's directory.
     * @param text what it did, or why it refused.
     * @throws IOException if it cannot be written.
     */
    static void answer(final Path dir, final String text) throws IOException
    {
        write(dir, ANSWER_FILE, text);
    }

    private static void write(final Path dir, final String name, final String line) throws IOException
    {
        final Path tmp = dir.resolve(name + ".tmp");
        Files.writeString(tmp, line + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
