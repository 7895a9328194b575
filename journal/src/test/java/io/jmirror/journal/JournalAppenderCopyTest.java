package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An append copies names, key and value with plain stores after one bounds check: every length from 0 to past the
 * short-copy limit, from heap and direct buffers and from an offset into them, comes back byte for byte, and no copy
 * writes past its field into the next one or the next frame.
 */
class JournalAppenderCopyTest
{
    @TempDir
    Path dir;

    @Test
    void everyFieldLengthFromHeapAndDirectBuffersComesBackWhole()
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final List<byte[]> keys = new ArrayList<>();
        final List<byte[]> values = new ArrayList<>();
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = journal.newAppender();
            final UnsafeBuffer heap = new UnsafeBuffer(new byte[256]);
            final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
            for (int keyLength = 1; keyLength <= 41; keyLength++)
            {
                for (int valueLength = 0; valueLength <= 70; valueLength += 1 + random.nextInt(3))
                {
                    final UnsafeBuffer keySource = random.nextBoolean() ? heap : direct;
                    final UnsafeBuffer valueSource = keySource == heap ? direct : heap;
                    final byte[] key = bytes(random, keyLength);
                    final byte[] value = bytes(random, valueLength);
                    final int keyOffset = random.nextInt(9);
                    final int valueOffset = 100 + random.nextInt(9);
                    keySource.putBytes(keyOffset, key);
                    valueSource.putBytes(valueOffset, value);
                    final GlobalName global = GlobalName.of("DB" + "X".repeat(random.nextInt(12)),
                        "G" + "y".repeat(random.nextInt(20)));
                    appender.append(RecordType.SET, 0, global, keySource, keyOffset, keyLength,
                        valueSource, valueOffset, valueLength);
                    keys.add(key);
                    values.add(value);
                }
            }

            final int[] index = {0};
            try (JournalReader reader = journal.reader(0))
            {
                while (reader.poll((record) ->
                {
                    final int i = index[0]++;
                    final byte[] key = new byte[record.keyLength()];
                    record.buffer().getBytes(record.keyOffset(), key);
                    assertArrayEquals(keys.get(i), key, "key of record " + i + " seed=" + seed);
                    assertArrayEquals(values.get(i), record.value(), "value of record " + i + " seed=" + seed);
                    assertTrue(record.global().startsWith("G"), "global of record " + i + " seed=" + seed);
                }, 100) > 0)
                {
                }
            }
            assertEquals(keys.size(), index[0], "every record read back, its checksum good: seed=" + seed);
            assertEquals(0, journal.corruptFrames());
        }
    }

    private static byte[] bytes(final Random random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        // non-zero, so a byte written past a field shows in the next one or in the next frame's length
        for (int i = 0; i < length; i++)
        {
            bytes[i] = 0 == bytes[i] ? 1 : bytes[i];
        }
        return Arrays.copyOf(bytes, length);
    }
}
