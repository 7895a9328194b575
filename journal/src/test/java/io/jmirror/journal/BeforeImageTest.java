package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Before-images: what a SET, KILL or ZKILL inside a transaction replaced, journaled with it so any member can roll
 * the transaction back from the journal alone.
 */
class BeforeImageTest
{
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Patient");

    @TempDir
    Path tmp;

    private Journal open()
    {
        return Journal.open(new JournalContext().journalDir(tmp.resolve("j")).fileLength(64 * 1024)
            .syncPolicy(SyncPolicy.NONE));
    }

    private static List<String> read(final Journal journal)
    {
        final List<String> seen = new ArrayList<>();
        try (JournalReader reader = journal.reader(journal.startLsn()))
        {
            while (reader.poll((record) -> seen.add(describe(record)), 100) > 0)
            {
            }
        }
        return seen;
    }

    private static String describe(final JournalRecord record)
    {
        final StringBuilder out = new StringBuilder().append(record.type()).append(' ');
        switch (record.beforeImageKind())
        {
            case 0:
                out.append("none");
                break;
            case BeforeImageDescriptor.KIND_UNDEFINED:
                out.append("undefined");
                break;
            case BeforeImageDescriptor.KIND_VALUE:
                out.append("value=").append(new String(record.beforeValue(), StandardCharsets.UTF_8));
                break;
            case BeforeImageDescriptor.KIND_NODES:
                out.append("nodes=");
                record.forEachBeforeNode((buffer, keyOffset, keyLength, valueOffset, valueLength) ->
                {
                    final StringBuilder node = new StringBuilder();
                    SubscriptCodec.format(buffer, keyOffset, keyLength, node);
                    out.append(node).append(':').append(buffer.getStringWithoutLengthUtf8(valueOffset, valueLength))
                        .append(';');
                });
                break;
            default:
                out.append("kind=").append(record.beforeImageKind());
        }
        return out.toString();
    }

    @Test
    void beforeImagesRoundTripForEveryRecordTypeInsideATransaction()
    {
        try (Journal journal = open())
        {
            final JournalAppender appender = journal.newAppender();
            final BeforeImage before = new BeforeImage();
            final SubscriptKey key = SubscriptKey.of(42, "name");
            appender.tstart(7);
            appender.set(7, GLOBAL, key, bytes("Jones"), before.value(bytes("Smith")));
            appender.set(7, GLOBAL, SubscriptKey.of(43), bytes("new"), before.undefined());
            appender.set(7, GLOBAL, SubscriptKey.of(44), bytes("x"), before.value(new byte[0]));
            appender.zkill(7, GLOBAL, key, before.value(bytes("Jones")));
            appender.zkill(7, GLOBAL, SubscriptKey.of(45), before.undefined());
            appender.kill(7, GLOBAL, SubscriptKey.of(42), before.nodes()
                .node(SubscriptKey.of(42), bytes("top"))
                .node(SubscriptKey.of(42, "age"), bytes("61")));
            appender.kill(7, GLOBAL, SubscriptKey.of(99), before.nodes());
            appender.tcommit(7);

            assertEquals(List.of(
                "TSTART none",
                "SET value=Smith",
                "SET undefined",
                "SET value=",
                "ZKILL value=Jones",
                "ZKILL undefined",
                "KILL nodes=(42):top;(42,\"age\"):61;",
                "KILL nodes=",
                "TCOMMIT none"), read(journal));
        }
    }

    @Test
    void outsideATransactionNoBeforeImageIsJournaledAndTheRecordStaysAsSmall()
    {
        try (Journal journal = open())
        {
            final JournalAppender appender = journal.newAppender();
            final SubscriptKey key = SubscriptKey.of(1);
            final long plain = appender.set(0, GLOBAL, key, bytes("v"));
            final long withImage = appender.set(0, GLOBAL, key, bytes("v"), new BeforeImage().value(bytes("old")));
            final long next = appender.kill(0, GLOBAL, key, new BeforeImage().nodes().node(key, bytes("v")));
            assertEquals(withImage - plain, next - withImage, "SET frame sizes with and without the image");
            assertEquals(List.of("SET none", "SET none", "KILL none"), read(journal));
        }
    }

    @Test
    void aBeforeImageOfTheWrongKindIsRefusedAndNothingIsWritten()
    {
        try (Journal journal = open())
        {
            final JournalAppender appender = journal.newAppender();
            final long tail = journal.tailLsn();
            final SubscriptKey key = SubscriptKey.of(1);
            final IllegalArgumentException kill = assertThrows(IllegalArgumentException.class,
                () -> appender.kill(3, GLOBAL, key, new BeforeImage().value(bytes("v"))));
            assertTrue(kill.getMessage().contains("KILL's before-image lists nodes"), kill.getMessage());
            final IllegalArgumentException set = assertThrows(IllegalArgumentException.class,
                () -> appender.set(3, GLOBAL, key, bytes("v"), new BeforeImage().nodes()));
            assertTrue(set.getMessage().contains("only a KILL's before-image lists nodes"), set.getMessage());
            assertThrows(IllegalStateException.class, () -> new BeforeImage().node(key, bytes("v")));
            assertEquals(tail, journal.tailLsn());
        }
    }

    @Test
    void aDamagedBeforeImageIsReportedEvenWithAGoodChecksum() throws Exception
    {
        final long lsn;
        try (Journal journal = open())
        {
            lsn = journal.newAppender().kill(5, GLOBAL, SubscriptKey.of(1),
                new BeforeImage().nodes().node(SubscriptKey.of(1, 2), bytes("value")));
        }
        // make the node's key length run past the image, then fix the checksum so only the structure is wrong
        final Path file = tmp.resolve("j").resolve(JournalFileDescriptor.fileName(0));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            final int frameOffset = (int)(JournalFileDescriptor.HEADER_LENGTH + lsn);
            final byte[] frame = new byte[256];
            raf.seek(frameOffset);
            raf.readFully(frame);
            final UnsafeBuffer buffer = new UnsafeBuffer(frame);
            final int length = buffer.getInt(RecordDescriptor.FRAME_LENGTH_OFFSET);
            final int imageOffset = length - buffer.getInt(RecordDescriptor.BEFORE_IMAGE_LENGTH_OFFSET);
            buffer.putInt(imageOffset + BeforeImageDescriptor.NODES_OFFSET, 1000);
            final CRC32C crc = new CRC32C();
            crc.update(frame, RecordDescriptor.CHECKSUM_START_OFFSET,
                RecordDescriptor.alignedLength(length) - RecordDescriptor.CHECKSUM_START_OFFSET);
            buffer.putInt(RecordDescriptor.CHECKSUM_OFFSET, (int)crc.getValue());
            raf.seek(frameOffset);
            raf.write(frame);
        }
        try (Journal journal = Journal.openReadOnly(tmp.resolve("j")))
        {
            assertNotNull(journal.recoveryDamage());
            assertTrue(journal.recoveryDamage().getMessage().contains("bad before-image"),
                journal.recoveryDamage().getMessage());
            assertTrue(journal.recoveryDamage().getMessage().contains("lsn=" + lsn),
                journal.recoveryDamage().getMessage());
        }
    }

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
