package io.jmirror.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalFileDescriptor;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.RecordDescriptor;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.agrona.concurrent.EpochClock;

/**
 * "N bytes of journal" for benchmarks that process journal bytes as a whole (compression ceilings, later shipping):
 * real jmirror frames, written through the journal API into a temporary journal and copied out of it.
 * <p>
 * Why real frames and not random or repeated bytes: a codec's speed and ratio depend on the data. Random bytes
 * make LZ4 and Zstd look slow and useless, a repeated pattern makes them look free; a journal is in between,
 * with mostly-zero headers, names and subscripts that repeat, and text values. The content imitates an
 * application: 1000 globals across three databases, a few of them hot; subscripts {@code (int, "name")}; values of
 * about 100 bytes of words and digits, often an update of the node's previous value; transactions of a few sets
 * with the odd kill. A fixed seed and a fixed clock make every run build the same bytes, so figures from two runs
 * compress the same input.
 */
final class JournalSample
{
    private static final long SEED = 0x4A4D_4952_524FL;
    /** 2024-05-01T08:00:00Z: a fixed clock keeps the frames' timestamps, and so the bytes, the same every run. */
    private static final long START_MS = 1_714_550_400_000L;
    /** Records per millisecond of the fixed clock: timestamps repeat as they do under load. */
    private static final int RECORDS_PER_MS = 50;
    private static final int GLOBAL_COUNT = 1000;
    /** The last record is sized to end the sample exactly; stop early enough that it has room for its header. */
    private static final int FILL_MIN = 256;
    private static final int MARKER_LENGTH = RecordDescriptor.alignedLength(RecordDescriptor.HEADER_LENGTH);

    private static final String[] DATABASES = {"USER", "CLINICAL", "BILLING"};
    private static final String[] STEMS = {"Patient", "Order", "Visit", "Encounter", "Lab", "Result", "Rx", "Allergy",
        "Vitals", "Note", "Claim", "Invoice", "Payment", "Audit", "Staff", "Ward", "Bed", "Appointment", "Referral",
        "Problem"};
    private static final String[] SUBSCRIPT_NAMES = {"name", "dob", "status", "address", "phone", "note", "code",
        "amount"};
    private static final String[] WORDS = {"Smith", "Jones", "Garcia", "Chen", "Okafor", "admitted", "discharged",
        "ward", "stable", "pending", "final", "glucose", "mg/dL", "mmHg", "cardiology", "oncology", "outpatient",
        "follow-up", "normal", "elevated", "Main St", "Springfield", "ICD10:E11.9", "ICD10:I10", "paid", "billed",
        "NDC:0002-8215", "daily", "twice", "reviewed", "by", "Dr", "the", "and", "of"};

    private JournalSample()
    {
    }

    /**
     * @param bytes how many bytes of journal.
     * @return a direct buffer, position 0, holding exactly {@code bytes} bytes of whole frames when {@code bytes} is
     * a multiple of 8 and at least {@value #FILL_MIN}; otherwise the largest whole-frame prefix that fits.
     */
    static ByteBuffer build(final int bytes)
    {
        if (bytes <= 0 || bytes > (256 << 20))
        {
            throw new IllegalArgumentException("bytes must be in (0, 256 MiB]: bytes=" + bytes);
        }
        final Path dir = TempDirs.create("jmirror-journal-sample");
        try
        {
            return build(dir, bytes & -RecordDescriptor.ALIGNMENT);
        }
        finally
        {
            TempDirs.delete(dir);
        }
    }

    private static ByteBuffer build(final Path dir, final int target)
    {
        final long[] clockCalls = new long[1];
        final EpochClock clock = () -> START_MS + clockCalls[0]++ / RECORDS_PER_MS;
        final long fileLength = Math.max(JournalFileDescriptor.MIN_FILE_LENGTH,
            (target + JournalFileDescriptor.HEADER_LENGTH + (64L * 1024) + 4095) & -4096L);
        try (Journal journal = Journal.open(new JournalContext()
            .journalDir(dir)
            .mirrorName("SAMPLE")
            .fileLength(fileLength)
            .syncPolicy(SyncPolicy.NONE)
            .epochClock(clock)))
        {
            final int written = write(journal.newAppender(), target);
            if (journal.tailLsn() - journal.startLsn() != written)
            {
                throw new IllegalStateException("sample length mismatch: written=" + written + " journal=" +
                    (journal.tailLsn() - journal.startLsn()));
            }
            final ByteBuffer[] copy = new ByteBuffer[1];
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                reader.pollBlock((block, lsn, length) -> copy[0] = ByteBuffer.allocateDirect(length).put(block).flip(),
                    Math.max(written, 1));
            }
            if (written > 0 && (null == copy[0] || copy[0].remaining() != written))
            {
                throw new IllegalStateException("sample not read back whole: written=" + written + " read=" +
                    (null == copy[0] ? 0 : copy[0].remaining()));
            }
            return null == copy[0] ? ByteBuffer.allocateDirect(0) : copy[0];
        }
    }

    /**
     * Appends records until the next would leave less than {@value #FILL_MIN} bytes, then one record sized to end
     * exactly at {@code target}.
     *
     * @return bytes of journal written.
     */
    private static int write(final JournalAppender appender, final int target)
    {
        final GlobalName[] globals = new GlobalName[GLOBAL_COUNT];
        for (int i = 0; i < GLOBAL_COUNT; i++)
        {
            final int generation = i / STEMS.length;
            globals[i] = GlobalName.of(DATABASES[i % DATABASES.length],
                STEMS[i % STEMS.length] + (0 == generation ? "" : Integer.toString(generation)));
        }

        final Random random = new Random(SEED);
        final SubscriptKey key = new SubscriptKey();
        final StringBuilder value = new StringBuilder(256);
        final String[] lastValues = new String[SUBSCRIPT_NAMES.length];
        long transactionId = 1;
        int nextRowId = 1;
        int used = 0;

        while (true)
        {
            if (used + MARKER_LENGTH + FILL_MIN > target)
            {
                break;
            }
            appender.tstart(++transactionId);
            used += MARKER_LENGTH;

            final int sets = 1 + random.nextInt(8);
            boolean full = false;
            for (int i = 0; i < sets && !full; i++)
            {
                // Skewed: low-numbered globals are hot, as a few tables take most writes.
                final GlobalName global = globals[random.nextInt(1 + random.nextInt(GLOBAL_COUNT))];
                final int rowId = random.nextInt(4) == 0 ? nextRowId++ : 1 + random.nextInt(nextRowId);
                final int field = random.nextInt(SUBSCRIPT_NAMES.length);
                key.clear().add(rowId).add(SUBSCRIPT_NAMES[field]);
                final boolean kill = random.nextInt(40) == 0;
                final byte[] bytes = kill ? null : nextValue(random, value, lastValues, field);
                final int length = frameLength(global, key, null == bytes ? 0 : bytes.length);
                if (used + length + MARKER_LENGTH + FILL_MIN > target)
                {
                    full = true;
                    break;
                }
                if (kill)
                {
                    appender.kill(transactionId, global, key);
                }
                else
                {
                    appender.set(transactionId, global, key, bytes);
                }
                used += length;
            }
            appender.tcommit(transactionId);
            used += MARKER_LENGTH;
            if (full)
            {
                break;
            }
        }

        return used + fill(appender, target - used, transactionId, globals[0], key, random, value);
    }

    /**
     * One last SET whose frame is exactly {@code gap} bytes, or markers when the gap is too small for a SET.
     */
    private static int fill(
        final JournalAppender appender,
        final int gap,
        final long transactionId,
        final GlobalName global,
        final SubscriptKey key,
        final Random random,
        final StringBuilder value)
    {
        key.clear().add(0).add("note");
        final int valueLength = gap - frameLength(global, key, 0);
        if (valueLength >= 0)
        {
            value.setLength(0);
            while (value.length() < valueLength)
            {
                value.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
            }
            value.setLength(valueLength);
            appender.set(transactionId, global, key, value.toString().getBytes(StandardCharsets.US_ASCII));
            return gap;
        }

        int filled = 0;
        while (filled + MARKER_LENGTH <= gap)
        {
            appender.tstart(transactionId + 1 + filled);
            filled += MARKER_LENGTH;
        }
        return filled;
    }

    private static byte[] nextValue(
        final Random random, final StringBuilder value, final String[] lastValues, final int field)
    {
        final String last = lastValues[field];
        value.setLength(0);
        if (null != last && random.nextInt(3) == 0)
        {
            // An update of a similar node: the previous value with one character changed.
            value.append(last);
            final int at = random.nextInt(value.length());
            value.setCharAt(at, (char)('0' + random.nextInt(10)));
        }
        else
        {
            final int length = 60 + random.nextInt(90);
            while (value.length() < length)
            {
                switch (random.nextInt(5))
                {
                    case 0 -> value.append(random.nextInt(100_000));
                    case 1 -> value.append("2024-").append(1 + random.nextInt(12)).append('-')
                        .append(1 + random.nextInt(28));
                    default -> value.append(WORDS[random.nextInt(WORDS.length)]);
                }
                value.append(random.nextInt(4) == 0 ? '^' : ' ');
            }
        }
        final String text = value.toString();
        lastValues[field] = text;
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static int frameLength(final GlobalName global, final SubscriptKey key, final int valueLength)
    {
        return RecordDescriptor.alignedLength((int)RecordDescriptor.frameLength(
            global.database().length(), global.global().length(), key.length(), valueLength));
    }
}
