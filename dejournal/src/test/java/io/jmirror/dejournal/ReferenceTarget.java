package io.jmirror.dejournal;

import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordType;
import io.jmirror.journal.SubscriptCodec;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A plain, obviously-correct target for tests: per (database, global) a sorted map of encoded key to value with
 * IRIS SET/KILL/ZKILL semantics. It also checks per-node order: each value starts with the node's version (a
 * long), which must only increase within one run, and it counts checkpoints.
 */
public class ReferenceTarget implements Target
{
    final Map<String, ConcurrentSkipListMap<byte[], byte[]>> globals = new ConcurrentHashMap<>();
    public final AtomicLong orderViolations = new AtomicLong();
    final AtomicLong applied = new AtomicLong();
    final AtomicLong markers = new AtomicLong();
    volatile long checkpointLsn = -1;
    private final Map<Integer, Map<String, Long>> lastVersionByWorker = new ConcurrentHashMap<>();

    @Override
    public void apply(final JournalRecord record, final int worker)
    {
        final String global = record.database() + ":" + record.global();
        final ConcurrentSkipListMap<byte[], byte[]> map =
            globals.computeIfAbsent(global, (name) -> new ConcurrentSkipListMap<>(Arrays::compareUnsigned));
        final byte[] key = record.key();
        applyTo(map, record.type(), key, record.type() == RecordType.SET ? record.value() : null);
        if (record.type() == RecordType.SET && record.valueLength() >= 8)
        {
            final long version = record.buffer().getLong(record.valueOffset(), java.nio.ByteOrder.BIG_ENDIAN);
            final Map<String, Long> last = lastVersionByWorker.computeIfAbsent(worker, (w) -> new HashMap<>());
            final String node = global + Arrays.toString(key);
            final Long previous = last.put(node, version);
            if (null != previous && previous >= version)
            {
                orderViolations.incrementAndGet();
            }
        }
        applied.incrementAndGet();
    }

    static void applyTo(final NavigableMap<byte[], byte[]> map, final RecordType type, final byte[] key,
        final byte[] value)
    {
        switch (type)
        {
            case SET:
                map.put(key, value);
                break;
            case ZKILL:
                map.remove(key);
                break;
            case KILL:
                final UnsafeBuffer ancestor = new UnsafeBuffer(key);
                final NavigableMap<byte[], byte[]> tail = map.tailMap(key, true);
                for (final java.util.Iterator<byte[]> it = tail.keySet().iterator(); it.hasNext(); )
                {
                    final byte[] candidate = it.next();
                    if (!SubscriptCodec.isSelfOrDescendant(ancestor, 0, key.length, new UnsafeBuffer(candidate), 0,
                        candidate.length))
                    {
                        break;
                    }
                    it.remove();
                }
                break;
            default:
                break;
        }
    }

    @Override
    public void onTransactionMarker(final JournalRecord record)
    {
        markers.incrementAndGet();
    }

    @Override
    public void checkpoint(final long appliedLsn)
    {
        checkpointLsn = appliedLsn;
    }

    @Override
    public long recoveredLsn()
    {
        return checkpointLsn;
    }

    /** A new run after a restart: order is checked from here on. */
    void restarted()
    {
        lastVersionByWorker.clear();
    }

    /** Contents as comparable text. */
    public Map<String, Map<String, String>> contents()
    {
        final Map<String, Map<String, String>> out = new TreeMap<>();
        for (final Map.Entry<String, ConcurrentSkipListMap<byte[], byte[]>> global : globals.entrySet())
        {
            if (global.getValue().isEmpty())
            {
                continue;
            }
            final Map<String, String> nodes = new TreeMap<>();
            for (final Map.Entry<byte[], byte[]> node : global.getValue().entrySet())
            {
                final StringBuilder key = new StringBuilder();
                SubscriptCodec.format(new UnsafeBuffer(node.getKey()), 0, node.getKey().length, key);
                nodes.put(key.toString(), Arrays.toString(node.getValue()));
            }
            out.put(global.getKey(), nodes);
        }
        return out;
    }
}
