package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A bit flipped in data written long ago is found when it is read, reported with file and LSN, counted, and never
 * handed out as a record.
 */
class JournalCorruptionTest
{
    private static final long FILE_LENGTH = 64 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Flip");

    @TempDir
    Path dir;

    private List<Long> write(final int records)
    {
        final List<Long> lsns = new ArrayList<>();
        try (Journal journal = open())
        {
            final SubscriptKey key = new SubscriptKey();
            for (int i = 0; i < records; i++)
            {
                lsns.add(journal.appender().set(i, GLOBAL, key.clear().add(i), new byte[] {(byte)i, 2, 3, 4, 5}));
            }
        }
        return lsns;
    }

    private Journal open()
    {
        return Journal.open(new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).syncPolicy(SyncPolicy.NONE));
    }

    private void flipBit(final long lsn, final int frameOffset, final int bit) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(
            dir.resolve(JournalFileDescriptor.fileName(0)).toFile(), "rw"))
        {
            final long position = JournalFileDescriptor.HEADER_LENGTH + lsn + frameOffset;
            raf.seek(position);
            final int b = raf.read();
            raf.seek(position);
            raf.write(b ^ (1 << bit));
        }
    }

    @Test
    void aFlippedBitInOldDataIsReportedWithFileAndLsnAndNotDecoded() throws IOException
    {
        final List<Long> lsns = write(200);
        // Open first (recovery only checks the tail files, and this one is fine), then damage record 10.
        try (Journal journal = open())
        {
            final long damaged = lsns.get(10);
            flipBit(damaged, RecordDescriptor.HEADER_LENGTH + 7, 3);

            final List<Long> seen = new ArrayList<>();
            try (JournalReader reader = journal.reader(0))
            {
                final JournalException ex = assertThrows(JournalException.class, () ->
                {
                    while (reader.poll((record) -> seen.add(record.lsn()), 1000) > 0)
                    {
                        // read until the damage
                    }
                });
                assertEquals(JournalException.Code.CORRUPT_FRAME, ex.code());
                assertTrue(ex.getMessage().contains("bad CRC"), ex.getMessage());
                assertTrue(ex.getMessage().contains("file=" + JournalFileDescriptor.fileName(0)), ex.getMessage());
                assertTrue(ex.getMessage().contains("lsn=" + damaged), ex.getMessage());
                assertEquals(lsns.subList(0, 10), seen, "records before the damage are delivered, none after");
                assertEquals(damaged, reader.position(), "the reader stays at the damaged frame");
                assertEquals(1, journal.corruptFrames());

                assertThrows(JournalException.class, () -> reader.pollBlock((b, l, n) -> fail("no block"), 1 << 20));
                assertEquals(2, journal.corruptFrames());
            }

            try (JournalReader reader = journal.reader(lsns.get(11)))
            {
                final int[] count = new int[1];
                while (reader.poll((record) -> count[0]++, 1000) > 0)
                {
                    // records after the damage are still readable from their own LSN
                }
                assertEquals(189, count[0]);
            }
        }
    }

    @Test
    void randomBitFlipsAnywhereInAFrameAreAllCaught() throws IOException
    {
        final List<Long> lsns = write(50);
        final Random random = new Random(11);
        try (Journal journal = open())
        {
            for (int trial = 0; trial < 40; trial++)
            {
                final int index = random.nextInt(40);
                final long lsn = lsns.get(index);
                final int frameBytes = (int)(lsns.get(index + 1) - lsn);
                final int offset = random.nextInt(frameBytes);
                final int bit = random.nextInt(8);
                flipBit(lsn, offset, bit);
                try (JournalReader reader = journal.reader(lsn))
                {
                    final JournalException ex = assertThrows(JournalException.class,
                        () -> reader.poll((record) -> fail("damaged frame decoded: offset=" + offset + " bit=" + bit),
                        1), "flip at frame offset " + offset + " bit " + bit);
                    assertEquals(JournalException.Code.CORRUPT_FRAME, ex.code());
                    assertTrue(ex.getMessage().contains("lsn=" + lsn), ex.getMessage());
                }
                flipBit(lsn, offset, bit);
            }
            assertEquals(40, journal.corruptFrames());
        }
    }
}
