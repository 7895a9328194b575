package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class JournalFileSwitchTest
{
    private static final long FILE_LENGTH = 8192;
    private static final long CAPACITY = FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH;
    private static final GlobalName GLOBAL = GlobalName.of("DB", "G");

    @TempDir
    Path dir;
    private Journal journal;

    @AfterEach
    void close()
    {
        if (null != journal)
        {
            journal.close();
        }
    }

    private Journal open()
    {
        journal = Journal.open(new JournalContext()
            .journalDir(dir).fileLength(FILE_LENGTH).maxRecordLength(4096).syncPolicy(SyncPolicy.NONE));
        return journal;
    }

    /** Value length that makes a SET of GLOBAL with an empty key exactly {@code frameLength} bytes. */
    private static int valueLengthFor(final int frameLength)
    {
        return frameLength - RecordDescriptor.HEADER_LENGTH - 2 - 1;
    }

    private long append(final int frameLength)
    {
        final int valueLength = valueLengthFor(frameLength);
        return journal.appender().set(0, GLOBAL, new SubscriptKey(), new UnsafeBuffer(new byte[valueLength]), 0,
            valueLength);
    }

    private List<Long> lsns()
    {
        final List<Long> lsns = new ArrayList<>();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) -> lsns.add(record.lsn()), 100) > 0)
            {
                // drain
            }
        }
        return lsns;
    }

    @Test
    void recordsThatExactlyFillAFileLeaveNoPadding()
    {
        open();
        final int frame = (int)(CAPACITY / 4);
        assertEquals(0, frame % RecordDescriptor.ALIGNMENT);
        for (int i = 0; i < 4; i++)
        {
            assertEquals((long)i * frame, append(frame));
        }
        assertEquals(CAPACITY, journal.tailLsn());
        assertEquals(1, journal.fileCount(), "the next file is created only when needed");
        assertEquals(CAPACITY, append(64), "the next record starts the second file");
        assertEquals(2, journal.fileCount());
        assertTrue(Files.exists(dir.resolve(JournalFileDescriptor.fileName(CAPACITY))));
        assertEquals(List.of(0L, (long)frame, 2L * frame, 3L * frame, CAPACITY), lsns());
    }

    @Test
    void aRecordThatJustOverflowsMovesToTheNextFileBehindPadding() throws Exception
    {
        open();
        final long first = append(4000);
        final long second = append(4000);
        final long remaining = CAPACITY - journal.tailLsn();
        assertTrue(remaining > 0 && remaining <= 64, "set-up leaves a small gap: remaining=" + remaining);
        final long overflow = append((int)remaining + 8);
        assertEquals(CAPACITY, overflow, "the record that does not fit starts the next file");
        assertEquals(List.of(first, second, overflow), lsns());

        // The padding frame is in the bytes, as the shipper will send them.
        final List<Long> blockStarts = new ArrayList<>();
        final List<Integer> blockLengths = new ArrayList<>();
        try (JournalReader reader = journal.reader(0))
        {
            while (reader.pollBlock((ByteBuffer block, long lsn, int length) ->
            {
                blockStarts.add(lsn);
                blockLengths.add(length);
            }, 1 << 20) > 0)
            {
                // drain
            }
        }
        assertEquals(List.of(0L, CAPACITY), blockStarts);
        assertEquals((int)CAPACITY, blockLengths.get(0), "first block runs to the file end, padding included");

        journal.close();
        open();
        assertEquals(List.of(first, second, overflow), lsns(), "padding survives a reopen");
    }

    @Test
    void onePaddingFrameOfEightBytesIsEnough()
    {
        open();
        append((int)CAPACITY - 8 - 4000);
        append(4000);
        assertEquals(CAPACITY - 8, journal.tailLsn());
        final long next = append(64);
        assertEquals(CAPACITY, next);
        assertEquals(3, lsns().size());
    }

    @Test
    void blocksRespectTheirMaximumAndStayInOneFile()
    {
        open();
        final List<Long> expectedLsns = new ArrayList<>();
        for (int i = 0; i < 20; i++)
        {
            expectedLsns.add(append(1000));
        }
        long position = 0;
        final List<long[]> blocks = new ArrayList<>();
        try (JournalReader reader = journal.reader(0))
        {
            while (reader.pollBlock((block, lsn, length) ->
            {
                assertEquals(length, block.remaining());
                blocks.add(new long[] {lsn, length});
            }, 3000) > 0)
            {
                // drain
            }
            position = reader.position();
        }
        long expectedStart = 0;
        for (final long[] block : blocks)
        {
            assertEquals(expectedStart, block[0], "blocks are contiguous");
            assertTrue(block[1] <= 3000 || block[1] == 1000, "block within maximum: " + block[1]);
            assertEquals(block[0] / CAPACITY, (block[0] + block[1] - 1) / CAPACITY, "block within one file");
            expectedStart = block[0] + block[1];
        }
        assertEquals(journal.tailLsn(), position);
    }
}
