package io.jmirror.harness;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The history of a failover workload's transactions, one line per event, as a Jepsen client keeps it. A failover node
 * appends to its own file with one write per line and no buffering of its own, so a kill -9 loses no line it wrote:
 * the page cache keeps it. A transaction that was invoked and has no outcome line was cut off by the kill: its outcome
 * is indeterminate.
 * <pre>
 *   INVOKE node epoch txn
 *   OK node epoch txn lsn timeMs latencyUs     acknowledged: awaitCommitted said committed
 *   ROLLED_BACK node epoch txn                 the application rolled it back (undo journaled, TROLLBACK)
 *   FAILED node epoch txn                      it failed before its TCOMMIT was journaled
 *   INDETERMINATE node epoch txn               TCOMMIT journaled, but no acknowledgement (timeout, failover)
 * </pre>
 * Every transaction {@code t} sets {@code ^Acked(t)} and {@code ^Mirror(t)} to {@link #value(long)} and
 * {@code ^Data(t % DATA_KEYS)} to the same value, so the checker knows the exact bytes an acknowledged commit left.
 */
final class WorkloadHistory implements AutoCloseable
{
    /** The nodes of {@code ^Data}: later transactions overwrite earlier ones, which shows the order they applied in. */
    static final int DATA_KEYS = 256;

    /**
     * What became of a transaction, as its client saw it.
     */
    enum Outcome
    {
        /** Invoked; no outcome recorded (the process died). */
        INVOKED,
        OK,
        ROLLED_BACK,
        FAILED,
        INDETERMINATE
    }

    /**
     * One transaction and its outcome.
     *
     * @param node      the node that ran it (the primary of {@code epoch}).
     * @param epoch     the epoch it ran in.
     * @param txn       its id.
     * @param outcome   what became of it.
     * @param lsn       its TCOMMIT's LSN when acknowledged, else -1.
     * @param timeMs    wall-clock time of the acknowledgement, else -1.
     * @param latencyUs how long {@code awaitCommitted} took, else -1.
     */
    record Op(String node, long epoch, long txn, Outcome outcome, long lsn, long timeMs, long latencyUs)
    {
    }

    private final FileChannel channel;

    private WorkloadHistory(final FileChannel channel)
    {
        this.channel = channel;
    }

    /**
     * @param file the history file; appended to, so a restarted node goes on where it was killed.
     */
    static WorkloadHistory append(final Path file) throws IOException
    {
        return new WorkloadHistory(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND));
    }

    /**
     * @return the exact bytes transaction {@code txn} writes.
     */
    static byte[] value(final long txn)
    {
        final String text = "txn=" + txn + ";check=" + Long.toHexString(txn * 0x9E3779B97F4A7C15L);
        return text.getBytes(StandardCharsets.UTF_8);
    }

    void invoke(final String node, final long epoch, final long txn)
    {
        write("INVOKE " + node + " " + epoch + " " + txn);
    }

    void ok(final String node, final long epoch, final long txn, final long lsn, final long latencyUs)
    {
        write("OK " + node + " " + epoch + " " + txn + " " + lsn + " " + System.currentTimeMillis() + " " + latencyUs);
    }

    void outcome(final Outcome outcome, final String node, final long epoch, final long txn)
    {
        write(outcome.name() + " " + node + " " + epoch + " " + txn);
    }

    private void write(final String line)
    {
        final ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        try
        {
            while (bytes.hasRemaining())
            {
                channel.write(bytes);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot write the workload history: line='" + line + "': " + ex, ex);
        }
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }

    /**
     * Read histories: the last outcome of each transaction wins; a line cut short by a kill (no newline) is ignored.
     *
     * @return every transaction, in the order first seen.
     * @throws IllegalArgumentException naming the file and line of a malformed line.
     */
    static List<Op> read(final List<Path> files) throws IOException
    {
        final Map<Long, Op> ops = new LinkedHashMap<>();
        for (final Path file : files)
        {
            if (!Files.exists(file))
            {
                continue;
            }
            final String text = Files.readString(file, StandardCharsets.UTF_8);
            final int end = text.lastIndexOf('\n');
            if (end < 0)
            {
                continue;
            }
            final String[] lines = text.substring(0, end).split("\n");
            for (int i = 0; i < lines.length; i++)
            {
                final Op op = parse(lines[i], file, i + 1);
                final Op before = ops.get(op.txn());
                if (null == before || op.outcome() != Outcome.INVOKED)
                {
                    ops.put(op.txn(), op);
                }
            }
        }
        return new ArrayList<>(ops.values());
    }

    /**
     * @return the highest transaction id in the file, or 0.
     */
    static long lastTxn(final Path file) throws IOException
    {
        return read(List.of(file)).stream().mapToLong(Op::txn).max().orElse(0);
    }

    static Op parse(final String line, final Path file, final int lineNumber)
    {
        final String[] fields = line.split(" ");
        try
        {
            final Outcome outcome = "INVOKE".equals(fields[0]) ? Outcome.INVOKED : Outcome.valueOf(fields[0]);
            final String node = fields[1];
            final long epoch = Long.parseLong(fields[2]);
            final long txn = Long.parseLong(fields[3]);
            if (outcome == Outcome.OK)
            {
                return new Op(node, epoch, txn, outcome, Long.parseLong(fields[4]), Long.parseLong(fields[5]),
                    Long.parseLong(fields[6]));
            }
            return new Op(node, epoch, txn, outcome, -1, -1, -1);
        }
        catch (final RuntimeException ex)
        {
            throw new IllegalArgumentException("malformed history line: file=" + file + " line=" + lineNumber +
                " text='" + line + "': " + ex.getMessage(), ex);
        }
    }
}
