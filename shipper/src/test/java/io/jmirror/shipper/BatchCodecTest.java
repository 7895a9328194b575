package io.jmirror.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Round trips through {@link BatchCompressor} and {@link BatchDecompressor} for every codec, the ways a payload off
 * the network can be wrong (each must be a CODEC error, never a crash or partial data), and {@link CompressionMode}.
 * Random inputs use fixed seeds, printed in assertion messages so a failure can be replayed.
 */
final class BatchCodecTest
{
    private static final int MAX_RAW = 1 << 20;
    private static final long SEED = 0x5EED_0001L;

    @TempDir
    Path tmp;

    private BatchCompressor compressor;
    private BatchDecompressor decompressor;

    @BeforeEach
    void open()
    {
        compressor = new BatchCompressor(MAX_RAW);
        decompressor = new BatchDecompressor(MAX_RAW);
    }

    @AfterEach
    void close()
    {
        compressor.close();
        decompressor.close();
    }

    // ---------------------------------------------------------------- round trips

    @ParameterizedTest
    @EnumSource(Codec.class)
    void roundTripsRealJournalBlocksReadStraightFromTheMapping(final Codec codec)
    {
        try (Journal journal = openJournal(tmp.resolve("journal")))
        {
            writeRecords(journal, 3000, SEED);
            int blocks = 0;
            long bytes = 0;
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                final int[] delivered = new int[1];
                while ((delivered[0] = reader.pollBlock((block, lsn, length) ->
                    assertRoundTrip(codec, block, "lsn=" + lsn), 64 * 1024)) > 0)
                {
                    blocks++;
                    bytes += delivered[0];
                }
            }
            assertTrue(blocks > 5, "blocks=" + blocks);
            assertEquals(journal.tailLsn() - journal.startLsn(), bytes);
        }
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void roundTripsEmptyInput(final Codec codec)
    {
        assertRoundTrip(codec, ByteBuffer.allocateDirect(0), "empty buffer");
        final ByteBuffer larger = randomDirect(100, SEED);
        larger.position(40).limit(40);
        assertRoundTrip(codec, larger, "empty slice at position 40");
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void roundTripsIncompressibleInputUpToTheMaximum(final Codec codec)
    {
        assertRoundTrip(codec, randomDirect(4096, SEED), "random 4 KiB");
        assertRoundTrip(codec, randomDirect(MAX_RAW, SEED + 1), "random at maxRawLength");
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void roundTripsOneMebibyteOfJournal(final Codec codec)
    {
        final ByteBuffer journalBytes = journalSample(tmp.resolve("journal"), MAX_RAW);
        assertTrue(journalBytes.remaining() > MAX_RAW - 64 * 1024, "length=" + journalBytes.remaining());
        assertRoundTrip(codec, journalBytes, "1 MiB of journal");
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void roundTripsASliceAtANonZeroPositionAndLeavesInputsUntouched(final Codec codec)
    {
        final ByteBuffer larger = ByteBuffer.allocateDirect(20_000);
        final ByteBuffer text = text(20_000, SEED);
        larger.put(text).clear();
        larger.position(1234).limit(17_777);
        assertRoundTrip(codec, larger, "slice [1234, 17777)");

        // A slice() has its own zero, but its base address is inside the larger buffer.
        larger.position(3001).limit(9000);
        final ByteBuffer slice = larger.slice();
        slice.position(7).limit(5000);
        assertRoundTrip(codec, slice, "slice of slice [7, 5000)");
    }

    @Test
    void noneIsZeroCopyInBothDirections()
    {
        final ByteBuffer src = text(1000, SEED);
        assertSame(src, compressor.compress(Codec.NONE, 0, src));
        assertSame(src, decompressor.decompress(Codec.NONE, src, 1000));
    }

    @Test
    void switchesZstdLevelsBetweenBatches()
    {
        final ByteBuffer src = text(200_000, SEED);
        final int level1 = compressor.compress(Codec.ZSTD, 1, src).remaining();
        final int level19 = compressor.compress(Codec.ZSTD, 19, src).remaining();
        final int level1Again = compressor.compress(Codec.ZSTD, 1, src).remaining();
        assertTrue(level19 < level1, "level1=" + level1 + " level19=" + level19);
        assertEquals(level1, level1Again);
        assertRoundTrip(Codec.ZSTD, src, "after level switches");
    }

    /**
     * Compresses, decompresses through a payload copied to a non-zero position of a larger direct buffer (as a
     * receiver's frame buffer holds it), and checks the bytes and that no input moved.
     */
    private void assertRoundTrip(final Codec codec, final ByteBuffer src, final String what)
    {
        final int position = src.position();
        final int limit = src.limit();
        final String context = "codec=" + codec + " " + what + " rawLength=" + (limit - position);

        final ByteBuffer compressed = compressor.compress(codec, 1, src);
        assertEquals(position, src.position(), context);
        assertEquals(limit, src.limit(), context);
        assertTrue(compressed.remaining() <= compressor.maxPayloadLength(), context);

        final ByteBuffer frame = ByteBuffer.allocateDirect(compressed.remaining() + 100);
        frame.position(37);
        frame.put(compressed.duplicate());
        frame.limit(frame.position()).position(37);
        final int rawLength = limit - position;

        final ByteBuffer decoded = decompressor.decompress(codec, frame, rawLength);
        assertEquals(37, frame.position(), context);
        assertEquals(37 + compressed.remaining(), frame.limit(), context);
        assertEquals(rawLength, decoded.remaining(), context);
        assertEquals(-1, decoded.mismatch(src), context);
        assertEquals(position, src.position(), context);
        assertEquals(limit, src.limit(), context);
    }

    // ---------------------------------------------------------------- malformed payloads

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"LZ4", "ZSTD"})
    void randomBytesAreRejected(final Codec codec)
    {
        final Random random = new Random(SEED);
        for (int i = 0; i < 2000; i++)
        {
            final ByteBuffer payload = randomDirect(4 + random.nextInt(300), random.nextLong());
            if (codec == Codec.ZSTD && (i & 1) == 0)
            {
                // zstd's magic number (0xFD2FB528, little-endian), so the bytes reach the frame decoder.
                payload.put(0, (byte)0x28).put(1, (byte)0xB5).put(2, (byte)0x2F).put(3, (byte)0xFD);
            }
            final int rawLength = random.nextInt(4096);
            assertCodecErrorOrExactLength(codec, payload, rawLength, "seed=" + SEED + " i=" + i);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"LZ4", "ZSTD"})
    void everyTruncationIsRejected(final Codec codec)
    {
        final ByteBuffer src = text(3000, SEED);
        final ByteBuffer payload = copy(compressor.compress(codec, 1, src));
        for (int length = 0; length < payload.remaining(); length++)
        {
            final ByteBuffer truncated = payload.duplicate().limit(length);
            final ShipperException ex = assertThrows(ShipperException.class,
                () -> decompressor.decompress(codec, truncated, 3000), "truncated to " + length);
            assertEquals(ShipperException.Code.CODEC, ex.code());
            assertTrue(ex.getMessage().contains("codec=" + codec), ex.getMessage());
            assertTrue(ex.getMessage().contains("rawLength=3000"), ex.getMessage());
            assertTrue(ex.getMessage().contains("payloadLength=" + length), ex.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void aWrongRawLengthIsRejected(final Codec codec)
    {
        final ByteBuffer src = text(5000, SEED);
        final ByteBuffer payload = copy(compressor.compress(codec, 1, src));
        for (final int rawLength : new int[] {0, 1, 4999, 5001, 10_000, MAX_RAW})
        {
            assertCodecError(codec, payload, rawLength, "rawLength=" + rawLength);
        }
        assertEquals(-1, decompressor.decompress(codec, payload, 5000).mismatch(src));
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void aRawLengthOutOfRangeIsRejectedBeforeDecoding(final Codec codec)
    {
        final ByteBuffer payload = copy(compressor.compress(codec, 1, text(100, SEED)));
        for (final int rawLength : new int[] {-1, Integer.MIN_VALUE, MAX_RAW + 1, Integer.MAX_VALUE})
        {
            final ShipperException ex = assertCodecError(codec, payload, rawLength, "rawLength=" + rawLength);
            assertTrue(ex.getMessage().contains("maxRawLength=" + MAX_RAW), ex.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = {"LZ4", "ZSTD"})
    void garbledPayloadsNeverCrashOrReturnAWrongLength(final Codec codec)
    {
        // Neither block format carries a checksum (the BATCH frame's CRC32C does), so a flipped literal can decode
        // to other bytes of the right length; everything else must be a CODEC error.
        final ByteBuffer src = text(20_000, SEED);
        final ByteBuffer valid = copy(compressor.compress(codec, 1, src));
        final Random random = new Random(SEED);
        for (int i = 0; i < 3000; i++)
        {
            final ByteBuffer garbled = copy(valid);
            final int flips = 1 + random.nextInt(8);
            for (int f = 0; f < flips; f++)
            {
                final int at = random.nextInt(garbled.remaining());
                garbled.put(at, (byte)random.nextInt(256));
            }
            assertCodecErrorOrExactLength(codec, garbled, 20_000, "seed=" + SEED + " i=" + i);
        }
    }

    @Test
    void anUnknownCodecIsACodecError()
    {
        final ShipperException ex = assertThrows(ShipperException.class,
            () -> decompressor.decompress(null, text(10, SEED), 10));
        assertEquals(ShipperException.Code.CODEC, ex.code());
        assertTrue(ex.getMessage().contains("codec=null"), ex.getMessage());
    }

    private ShipperException assertCodecError(
        final Codec codec, final ByteBuffer payload, final int rawLength, final String what)
    {
        final int position = payload.position();
        final int limit = payload.limit();
        final ShipperException ex = assertThrows(ShipperException.class,
            () -> decompressor.decompress(codec, payload, rawLength), "codec=" + codec + " " + what);
        assertEquals(ShipperException.Code.CODEC, ex.code(), ex.getMessage());
        assertTrue(ex.getMessage().contains("codec=" + codec + " rawLength=" + rawLength + " payloadLength=" +
            (limit - position)), ex.getMessage());
        assertEquals(position, payload.position());
        assertEquals(limit, payload.limit());
        return ex;
    }

    private void assertCodecErrorOrExactLength(
        final Codec codec, final ByteBuffer payload, final int rawLength, final String what)
    {
        try
        {
            final ByteBuffer decoded = decompressor.decompress(codec, payload, rawLength);
            assertEquals(rawLength, decoded.remaining(), what);
        }
        catch (final ShipperException ex)
        {
            assertEquals(ShipperException.Code.CODEC, ex.code(), what + " " + ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            fail("not a ShipperException: codec=" + codec + " " + what, ex);
        }
    }

    // ---------------------------------------------------------------- compressor and decompressor misuse

    @Test
    void aBatchOverTheMaximumIsRejectedByTheCompressor()
    {
        try (BatchCompressor small = new BatchCompressor(100))
        {
            for (final Codec codec : Codec.values())
            {
                final ShipperException ex = assertThrows(ShipperException.class,
                    () -> small.compress(codec, 1, text(101, SEED)));
                assertEquals(ShipperException.Code.CODEC, ex.code());
                assertTrue(ex.getMessage().contains("rawLength=101 maxRawLength=100"), ex.getMessage());
            }
            assertEquals(100, small.compress(Codec.NONE, 1, text(100, SEED)).remaining());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 23, 100})
    void aZstdLevelOutOfRangeIsRejectedByTheCompressor(final int level)
    {
        final ShipperException ex = assertThrows(ShipperException.class,
            () -> compressor.compress(Codec.ZSTD, level, text(100, SEED)));
        assertEquals(ShipperException.Code.INVALID_CONFIG, ex.code());
        assertTrue(ex.getMessage().contains("zstdLevel=" + level), ex.getMessage());
    }

    @Test
    void heapBuffersAreRefusedForNativeCodecs()
    {
        final ByteBuffer heap = ByteBuffer.wrap(new byte[100]);
        assertThrows(IllegalArgumentException.class, () -> compressor.compress(Codec.LZ4, 1, heap));
        assertThrows(IllegalArgumentException.class, () -> compressor.compress(Codec.ZSTD, 1, heap));
        assertThrows(IllegalArgumentException.class, () -> decompressor.decompress(Codec.LZ4, heap, 100));
        assertThrows(IllegalArgumentException.class, () -> decompressor.decompress(Codec.ZSTD, heap, 100));
        assertSame(heap, compressor.compress(Codec.NONE, 1, heap));
    }

    @Test
    void closeIsSafeTwiceAndUseAfterCloseIsAClosedError()
    {
        compressor.close();
        compressor.close();
        decompressor.close();
        decompressor.close();
        assertTrue(compressor.isClosed());
        assertTrue(decompressor.isClosed());
        assertEquals(ShipperException.Code.CLOSED, assertThrows(ShipperException.class,
            () -> compressor.compress(Codec.ZSTD, 1, text(10, SEED))).code());
        assertEquals(ShipperException.Code.CLOSED, assertThrows(ShipperException.class,
            () -> decompressor.decompress(Codec.ZSTD, text(10, SEED), 10)).code());
    }

    @Test
    void negativeMaximumsAreInvalidConfig()
    {
        assertEquals(ShipperException.Code.INVALID_CONFIG,
            assertThrows(ShipperException.class, () -> new BatchCompressor(-1)).code());
        assertEquals(ShipperException.Code.INVALID_CONFIG,
            assertThrows(ShipperException.class, () -> new BatchDecompressor(-1)).code());
        assertEquals(ShipperException.Code.INVALID_CONFIG,
            assertThrows(ShipperException.class, () -> new BatchCompressor(Integer.MAX_VALUE)).code());
    }

    @Test
    void theOutputBufferHoldsTheWorstCaseOfBothCodecs()
    {
        assertTrue(compressor.maxPayloadLength() > MAX_RAW, "maxPayloadLength=" + compressor.maxPayloadLength());
        assertEquals(MAX_RAW, compressor.maxRawLength());
        assertEquals(MAX_RAW, decompressor.maxRawLength());
    }

    // ---------------------------------------------------------------- ratios

    @Test
    void journalCompressesAndTheRatiosAreReported()
    {
        final ByteBuffer journalBytes = journalSample(tmp.resolve("journal"), MAX_RAW);
        final int rawLength = journalBytes.remaining();
        final int lz4Length = compressor.compress(Codec.LZ4, 1, journalBytes).remaining();
        final int zstd1Length = compressor.compress(Codec.ZSTD, 1, journalBytes).remaining();
        final double lz4Ratio = (double)rawLength / lz4Length;
        final double zstd1Ratio = (double)rawLength / zstd1Length;
        System.out.printf("journal sample compression: rawLength=%d lz4=%d (ratio %.2f) zstd1=%d (ratio %.2f)%n",
            rawLength, lz4Length, lz4Ratio, zstd1Length, zstd1Ratio);

        // Headers are mostly zeros and names repeat: anything near 1 means the codec is not being applied.
        assertTrue(lz4Ratio > 2.0, "lz4Ratio=" + lz4Ratio);
        assertTrue(zstd1Ratio > lz4Ratio, "lz4Ratio=" + lz4Ratio + " zstd1Ratio=" + zstd1Ratio);
    }

    // ---------------------------------------------------------------- CompressionMode

    @Test
    void systemSelectedGivesLz4ToTheBackupAndZstdToAsyncs()
    {
        final CompressionMode system = CompressionMode.systemSelected();
        assertEquals(Codec.LZ4, system.codecFor(MemberRole.BACKUP));
        assertEquals(Codec.ZSTD, system.codecFor(MemberRole.DR_ASYNC));
        assertEquals(Codec.ZSTD, system.codecFor(MemberRole.REPORTING_ASYNC));
        assertEquals(1, system.zstdLevel());
    }

    @Test
    void fixedModesGiveTheirCodecToEveryRole()
    {
        for (final MemberRole role : MemberRole.values())
        {
            assertEquals(Codec.NONE, CompressionMode.none().codecFor(role));
            assertEquals(Codec.LZ4, CompressionMode.lz4().codecFor(role));
            assertEquals(Codec.ZSTD, CompressionMode.zstd(7).codecFor(role));
        }
        assertEquals(7, CompressionMode.zstd(7).zstdLevel());
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "lz4", "zstd:1", "zstd:5", "zstd:22", "system"})
    void parseReadsWhatToStringWrites(final String text)
    {
        final CompressionMode mode = CompressionMode.parse(text);
        assertEquals(text, mode.toString());
        assertEquals(mode, CompressionMode.parse(mode.toString()));
        assertEquals(mode.hashCode(), CompressionMode.parse(mode.toString()).hashCode());
    }

    @Test
    void parseIgnoresCaseAndBlanksAndDefaultsTheZstdLevel()
    {
        assertEquals(CompressionMode.lz4(), CompressionMode.parse(" LZ4 "));
        assertEquals(CompressionMode.systemSelected(), CompressionMode.parse("System"));
        assertEquals(CompressionMode.zstd(1), CompressionMode.parse("ZSTD"));
        assertEquals(CompressionMode.zstd(9), CompressionMode.parse("Zstd:9"));
        assertEquals(CompressionMode.none(), CompressionMode.parse("NONE"));
        assertFalse(CompressionMode.zstd(3).equals(CompressionMode.zstd(4)));
        assertFalse(CompressionMode.lz4().equals(CompressionMode.systemSelected()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "lz5", "zstd:", "zstd:0", "zstd:23", "zstd:-1", "zstd:x", "gzip", "zstd5", "lz4:1"})
    void parseRejectsBadTextNamingIt(final String text)
    {
        final ShipperException ex = assertThrows(ShipperException.class, () -> CompressionMode.parse(text));
        assertEquals(ShipperException.Code.INVALID_CONFIG, ex.code());
        assertTrue(ex.getMessage().contains("\"" + text + "\""), ex.getMessage());
        assertTrue(ex.getMessage().contains("zstd:LEVEL"), ex.getMessage());
    }

    @Test
    void parseRejectsNull()
    {
        assertEquals(ShipperException.Code.INVALID_CONFIG,
            assertThrows(ShipperException.class, () -> CompressionMode.parse(null)).code());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -3, 23})
    void zstdLevelsOutOfRangeAreInvalidConfig(final int level)
    {
        final ShipperException ex = assertThrows(ShipperException.class, () -> CompressionMode.zstd(level));
        assertEquals(ShipperException.Code.INVALID_CONFIG, ex.code());
        assertTrue(ex.getMessage().contains("zstdLevel=" + level), ex.getMessage());
    }

    // ---------------------------------------------------------------- inputs

    private static Journal openJournal(final Path dir)
    {
        // A fixed clock keeps the frames, and so the reported ratios, the same every run.
        return Journal.open(new JournalContext().journalDir(dir).fileLength(8L * 1024 * 1024).mirrorName("M")
            .syncPolicy(SyncPolicy.NONE).epochClock(() -> 1_714_550_400_000L));
    }

    /**
     * Records as an application writes them: a few globals, (int, "name") subscripts, text values with digits
     * and repeated words, some empty (kills), some a few KiB, a few binary, and transaction markers.
     */
    private static void writeRecords(final Journal journal, final int records, final long seed)
    {
        final String[] globals = {"Patient", "Order", "Visit", "Lab", "Billing", "Audit"};
        final String[] words = {"admitted", "ward", "discharged", "stable", "glucose", "mg/dL", "pending", "Smith",
            "Jones", "cardiology", "outpatient", "follow-up", "normal", "elevated"};
        final GlobalName[] names = new GlobalName[globals.length * 2];
        for (int i = 0; i < names.length; i++)
        {
            names[i] = GlobalName.of(i < globals.length ? "CLINICAL" : "USER", globals[i % globals.length]);
        }
        final JournalAppender appender = journal.newAppender();
        final SubscriptKey key = new SubscriptKey();
        final Random random = new Random(seed);
        final StringBuilder value = new StringBuilder();
        long transactionId = 1;
        for (int i = 0; i < records; i++)
        {
            final GlobalName global = names[random.nextInt(names.length)];
            key.clear().add(random.nextInt(5000)).add("name");
            final int kind = random.nextInt(100);
            if (kind < 5)
            {
                appender.kill(transactionId, global, key);
            }
            else if (kind < 10)
            {
                appender.tstart(++transactionId);
            }
            else if (kind < 15)
            {
                appender.tcommit(transactionId);
            }
            else if (kind < 18)
            {
                final byte[] binary = new byte[random.nextInt(600)];
                random.nextBytes(binary);
                appender.set(transactionId, global, key, binary);
            }
            else
            {
                final int length = kind < 22 ? 1000 + random.nextInt(4000) : 20 + random.nextInt(180);
                value.setLength(0);
                while (value.length() < length)
                {
                    value.append(words[random.nextInt(words.length)]).append(' ').append(random.nextInt(1000))
                        .append(random.nextBoolean() ? "^" : " ");
                }
                value.setLength(length);
                appender.set(transactionId, global, key, value.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * @return a direct copy of the journal's first block of at most {@code bytes} bytes (whole frames).
     */
    private static ByteBuffer journalSample(final Path dir, final int bytes)
    {
        try (Journal journal = openJournal(dir))
        {
            writeRecords(journal, (bytes / 150) + 1000, SEED);
            final ByteBuffer copy = ByteBuffer.allocateDirect(bytes);
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                reader.pollBlock((block, lsn, length) -> copy.put(block), bytes);
            }
            return copy.flip();
        }
    }

    private static ByteBuffer randomDirect(final int length, final long seed)
    {
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return ByteBuffer.allocateDirect(length).put(bytes).flip();
    }

    private static ByteBuffer text(final int length, final long seed)
    {
        final Random random = new Random(seed);
        final ByteBuffer buffer = ByteBuffer.allocateDirect(length);
        final String[] words = {"^Patient", "(42,\"name\")", "Smith", "ward 7", "glucose", "pending", "2024-05-01"};
        while (buffer.hasRemaining())
        {
            final byte[] word = (words[random.nextInt(words.length)] + random.nextInt(100) + ' ')
                .getBytes(StandardCharsets.UTF_8);
            buffer.put(word, 0, Math.min(word.length, buffer.remaining()));
        }
        return buffer.flip();
    }

    private static ByteBuffer copy(final ByteBuffer src)
    {
        final ByteBuffer copy = ByteBuffer.allocateDirect(src.remaining());
        copy.put(src.duplicate());
        return copy.flip();
    }
}
