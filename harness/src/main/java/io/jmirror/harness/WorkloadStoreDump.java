package io.jmirror.harness;

import io.jmirror.dejournal.StoreReader;
import io.jmirror.journal.SubscriptCodec;
import io.jmirror.journal.SubscriptKey;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The failover workload's globals of one store, written to a file ({@code A txn value}, {@code M txn value},
 * {@code D k value}, one node a line) so the soak can check them against the history without sending them through
 * the node's control pipe.
 */
final class WorkloadStoreDump
{
    private WorkloadStoreDump()
    {
    }

    /**
     * @return nodes written.
     */
    static long write(final StoreReader store, final Path file)
    {
        final long[] count = {0};
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            for (final String[] global : new String[][] {{"A", "Acked"}, {"M", "Mirror"}, {"D", "Data"}})
            {
                store.query("USER", global[1], new SubscriptKey(), (key, keyOffset, keyLength, value, valueOffset,
                    valueLength) ->
                {
                    final List<Object> subscripts = SubscriptCodec.decode(key, keyOffset, keyLength);
                    final byte[] bytes = new byte[valueLength];
                    value.getBytes(valueOffset, bytes);
                    try
                    {
                        out.write(global[0] + " " + subscripts.get(0) + " " +
                            new String(bytes, StandardCharsets.UTF_8) + "\n");
                    }
                    catch (final IOException ex)
                    {
                        throw new UncheckedIOException(ex);
                    }
                    count[0]++;
                    return true;
                });
            }
        }
        catch (final IOException | UncheckedIOException ex)
        {
            throw new IllegalStateException("cannot write the store dump: file=" + file + ": " + ex, ex);
        }
        return count[0];
    }

    /**
     * @throws IllegalArgumentException naming the file and line of a malformed line.
     */
    static WorkloadHistoryChecker.State read(final Path file) throws IOException
    {
        final Map<Long, byte[]> acked = new HashMap<>();
        final Map<Long, byte[]> mirror = new HashMap<>();
        final Map<Long, byte[]> data = new HashMap<>();
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++)
        {
            final String[] fields = lines.get(i).split(" ", 3);
            if (fields.length != 3)
            {
                throw new IllegalArgumentException("malformed store dump line: file=" + file + " line=" + (i + 1));
            }
            final Map<Long, byte[]> target = switch (fields[0])
            {
                case "A" -> acked;
                case "M" -> mirror;
                case "D" -> data;
                default -> throw new IllegalArgumentException("malformed store dump line: file=" + file + " line=" +
                    (i + 1));
            };
            target.put(Long.parseLong(fields[1]), fields[2].getBytes(StandardCharsets.UTF_8));
        }
        return new WorkloadHistoryChecker.State(acked, mirror, data);
    }
}
