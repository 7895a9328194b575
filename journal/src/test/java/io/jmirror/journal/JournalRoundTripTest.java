package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class JournalRoundTripTest
{
    private static final GlobalName PATIENT = GlobalName.of("USER", "Patient");

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

    private Journal open(final int maxRecordLength)
    {
        journal = Journal.open(new JournalContext()
            .journalDir(dir)
            .fileLength(4L * 1024 * 1024)
            .maxRecordLength(maxRecordLength)
            .syncPolicy(SyncPolicy.NONE));
        return journal;
    }

    private static List<Snapshot> readAll(final Journal journal, final long from)
    {
        final List<Snapshot> out = new ArrayList<>();
        try (JournalReader reader = journal.reader(from))
        {
            while (reader.poll((record) -> out.add(new Snapshot(record)), 100) > 0)
            {
                // drain
            }
        }
        return out;
    }

    @Test
    void everyRecordTypeRoundTripsWithItsFields()
    {
        open(64 * 1024);
        final JournalAppender writer = journal.newAppender();
        final SubscriptKey key = new SubscriptKey();

        final long l0 = writer.tstart(7);
        final long l1 = writer.set(
            7, PATIENT, key.clear().add(42).add("name"), "Smith".getBytes(StandardCharsets.UTF_8));
        final long l2 = writer.kill(7, PATIENT, key.clear().add(42));
        final long l3 = writer.zkill(7, PATIENT, key.clear().add(43));
        final long l4 = writer.tcommit(7);
        final long l5 = writer.tstart(8);
        final long l6 = writer.trollback(8);

        final List<Snapshot> records = readAll(journal, 0);
        assertEquals(7, records.size());
        final long[] lsns = {l0, l1, l2, l3, l4, l5, l6};
        final RecordType[] types = {RecordType.TSTART, RecordType.SET, RecordType.KILL, RecordType.ZKILL,
            RecordType.TCOMMIT, RecordType.TSTART, RecordType.TROLLBACK};
        for (int i = 0; i < records.size(); i++)
        {
            assertEquals(lsns[i], records.get(i).lsn, "lsn of record " + i);
            assertEquals(types[i], records.get(i).type, "type of record " + i);
        }
        assertEquals(0, l0);
        assertTrue(l1 > l0 && l1 % RecordDescriptor.ALIGNMENT == 0);

        final Snapshot set = records.get(1);
        assertEquals(7, set.txn);
        assertEquals("USER", set.database);
        assertEquals("Patient", set.global);
        assertEquals("^Patient(42,\"name\")", set.node);
        assertEquals("Smith", new String(set.value, StandardCharsets.UTF_8));
        assertEquals("^Patient(42)", records.get(2).node);
        assertEquals("^Patient(43)", records.get(3).node);
        assertEquals(8, records.get(6).txn);
        assertEquals(0, records.get(0).database.length());
    }

    @Test
    void emptyValueAndRootNode()
    {
        open(64 * 1024);
        final long lsn = journal.appender().set(0, PATIENT, new SubscriptKey(), new byte[0]);
        final Snapshot record = readAll(journal, lsn).get(0);
        assertEquals(0, record.value.length);
        assertEquals("^Patient", record.node);
    }

    @Test
    void recordOfExactlyMaximumLengthIsWrittenAndOneByteMoreIsRefused()
    {
        final int max = 128 * 1024;
        open(max);
        final SubscriptKey key = new SubscriptKey().add("k");
        final int overhead = RecordDescriptor.HEADER_LENGTH + 4 + 7 + key.length();
        final byte[] value = new byte[max - overhead];
        Arrays.fill(value, (byte)'v');
        value[value.length - 1] = 'z';

        final long lsn = journal.appender().set(1, PATIENT, key, value);
        final long tailAfterMax = journal.tailLsn();

        final JournalException ex = assertThrows(JournalException.class,
            () -> journal.appender().set(2, PATIENT, key, new byte[max - overhead + 1]));
        assertEquals(JournalException.Code.RECORD_TOO_LARGE, ex.code());
        assertTrue(ex.getMessage().contains("maxRecordLength=" + max), ex.getMessage());
        assertEquals(tailAfterMax, journal.tailLsn(), "a refused append claims nothing");

        final List<Snapshot> records = readAll(journal, 0);
        assertEquals(1, records.size());
        assertEquals(lsn, records.get(0).lsn);
        assertArrayEquals(value, records.get(0).value);
    }

    @Test
    void unicodeAndNumericSubscriptsRoundTripInCollationOrder()
    {
        open(64 * 1024);
        final Object[][] nodes = {
            {new BigDecimal("-1E30")}, {-2L}, {new BigDecimal("-1.5")}, {-1L}, {new BigDecimal("-0.5")}, {0L},
            {new BigDecimal("0.001")}, {new BigDecimal("0.5")}, {1L}, {new BigDecimal("1.5")}, {2L}, {10L},
            {new BigDecimal("123456789012345678901234567890")}, {" "}, {"042"}, {"Abc"}, {"abc"},
            {"é"}, {"日本語", 5L}, {"\uD83D\uDE00 emoji"},
        };
        final SubscriptKey key = new SubscriptKey();
        final GlobalName unicodeGlobal = GlobalName.of("CLINICAL", "Données");
        for (final Object[] node : nodes)
        {
            key.clear();
            for (final Object subscript : node)
            {
                if (subscript instanceof Long)
                {
                    key.add((Long)subscript);
                }
                else if (subscript instanceof BigDecimal)
                {
                    key.add((BigDecimal)subscript);
                }
                else
                {
                    key.add((String)subscript);
                }
            }
            journal.appender().set(0, unicodeGlobal, key, new UnsafeBuffer(new byte[] {1}), 0, 1);
        }

        final List<Snapshot> records = readAll(journal, 0);
        assertEquals(nodes.length, records.size());
        for (int i = 0; i < nodes.length; i++)
        {
            assertEquals("Données", records.get(i).global);
            final List<Object> decoded = SubscriptCodec.decode(
                new UnsafeBuffer(records.get(i).key), 0, records.get(i).key.length);
            assertEquals(nodes[i].length, decoded.size(), "subscripts of node " + i);
            for (int j = 0; j < nodes[i].length; j++)
            {
                final Object expected = nodes[i][j];
                final Object actual = decoded.get(j);
                if (expected instanceof BigDecimal)
                {
                    assertEquals(0, ((BigDecimal)expected).compareTo(new BigDecimal(actual.toString())),
                        "node " + i + " expected " + expected + " got " + actual);
                }
                else
                {
                    assertEquals(expected, actual, "node " + i);
                }
            }
            if (i > 0)
            {
                final byte[] previous = records.get(i - 1).key;
                final byte[] current = records.get(i).key;
                assertTrue(Arrays.compareUnsigned(previous, current) < 0,
                    "collation: node " + (i - 1) + " must sort before node " + i);
            }
        }
    }

    @Test
    void journalReopensFromItsDirectoryAlone()
    {
        open(64 * 1024);
        final SubscriptKey key = new SubscriptKey();
        for (int i = 0; i < 1000; i++)
        {
            journal.appender().set(i, PATIENT, key.clear().add(i), ("v" + i).getBytes(StandardCharsets.UTF_8));
        }
        final long tail = journal.tailLsn();
        final long journalId = journal.journalId();
        journal.close();

        journal = Journal.open(new JournalContext().journalDir(dir).syncPolicy(SyncPolicy.NONE));
        assertEquals(tail, journal.recoveredLsn());
        assertEquals(journalId, journal.journalId());
        assertEquals(4L * 1024 * 1024 - JournalFileDescriptor.HEADER_LENGTH, journal.fileCapacity(),
            "the file length comes from the files, not the context");
        final List<Snapshot> records = readAll(journal, 0);
        assertEquals(1000, records.size());
        assertEquals("v999", new String(records.get(999).value, StandardCharsets.UTF_8));

        final long next = journal.appender().set(1000, PATIENT, key.clear().add(1000), new byte[] {1});
        assertEquals(tail, next, "appends continue at the recovered end");
    }

    @Test
    void readerRejectsAnLsnBeyondTheEnd()
    {
        open(64 * 1024);
        journal.appender().tstart(1);
        final JournalException ex = assertThrows(JournalException.class, () -> journal.reader(4096));
        assertEquals(JournalException.Code.LSN_OUT_OF_RANGE, ex.code());
    }

    static final class Snapshot
    {
        final long lsn;
        final RecordType type;
        final long txn;
        final String database;
        final String global;
        final String node;
        final byte[] key;
        final byte[] value;

        Snapshot(final JournalRecord record)
        {
            lsn = record.lsn();
            type = record.type();
            txn = record.transactionId();
            database = record.database();
            global = record.global();
            node = record.type().isNodeRecord() ? record.appendNode(new StringBuilder()).toString() : "";
            key = record.key();
            value = record.value();
        }
    }
}
