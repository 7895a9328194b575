package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class JournalDumpTest
{
    @TempDir
    Path dir;

    private long[] write()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).fileLength(8192)
            .syncPolicy(SyncPolicy.NONE).mirrorName("CLINIC")))
        {
            final GlobalName patient = GlobalName.of("USER", "Patient");
            final SubscriptKey key = new SubscriptKey();
            final long[] lsns = new long[5];
            lsns[0] = journal.appender().tstart(9);
            lsns[1] = journal.appender().set(9, patient, key.clear().add(42).add("name"),
                "Smith \"Jr\"".getBytes(StandardCharsets.UTF_8));
            lsns[2] = journal.appender().set(
                9, patient, key.clear().add(42).add("photo"), new byte[] {0, 1, 2, (byte)255});
            lsns[3] = journal.appender().kill(9, patient, key.clear().add(41));
            lsns[4] = journal.appender().tcommit(9);
            return lsns;
        }
    }

    private static String run(final String... args)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final int status = JournalDump.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8),
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return status + "\n" + bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void showsEpochsAndBeforeImages()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).fileLength(8192)
            .syncPolicy(SyncPolicy.NONE).mirrorName("CLINIC")))
        {
            final GlobalName patient = GlobalName.of("USER", "Patient");
            final BeforeImage before = new BeforeImage();
            journal.startEpoch(4, "backup-1");
            final JournalAppender appender = journal.appender();
            appender.tstart(3);
            appender.set(3, patient, SubscriptKey.of(1), "new".getBytes(StandardCharsets.UTF_8),
                before.value("old".getBytes(StandardCharsets.UTF_8)));
            appender.set(3, patient, SubscriptKey.of(2), "new".getBytes(StandardCharsets.UTF_8), before.undefined());
            appender.kill(3, patient, SubscriptKey.of(5), before.nodes()
                .node(SubscriptKey.of(5, "a"), "x".getBytes(StandardCharsets.UTF_8)));
            appender.tcommit(3);
        }
        final String out = run(dir.toString());
        assertTrue(out.contains("epoch=4"), out);
        assertTrue(out.contains("epoch 4 start=0 member=backup-1"), out);
        assertTrue(out.contains("EPOCH_START txn=0"), out);
        assertTrue(out.contains("^Patient(1) = \"new\" was=\"old\""), out);
        assertTrue(out.contains("^Patient(2) = \"new\" was=undefined"), out);
        assertTrue(out.contains("^Patient(5) was=[(5,\"a\"):\"x\"]"), out);
    }

    @Test
    void dumpsEveryRecordReadably()
    {
        final long[] lsns = write();
        final String out = run(dir.toString());
        assertTrue(out.startsWith("0\n"), out);
        assertTrue(out.contains("mirror=CLINIC"), out);
        assertTrue(out.contains("TSTART"), out);
        assertTrue(out.contains("USER ^Patient(42,\"name\") = \"Smith \"\"Jr\"\"\""), out);
        assertTrue(out.contains("^Patient(42,\"photo\") = 0x000102ff"), out);
        assertTrue(out.contains("KILL      txn=9"), out);
        assertTrue(out.contains("USER ^Patient(41)"), out);
        assertTrue(out.contains(String.format("%14d TCOMMIT", lsns[4])), out);
        assertTrue(out.contains("records=5"), out);
    }

    @Test
    void dumpsAnLsnRangeAndAFile()
    {
        final long[] lsns = write();
        final String range = run(dir.toString(), "--from", Long.toString(lsns[1]), "--to", Long.toString(lsns[3]));
        assertTrue(range.contains("records=2"), range);
        assertFalse(range.contains("TSTART"), range);

        final String file = run(dir.resolve(JournalFileDescriptor.fileName(0)).toString(), "--limit", "1");
        assertTrue(file.contains("records=1"), file);
    }

    @Test
    void aDamagedFrameStopsTheDumpWithItsLsn() throws IOException
    {
        final long[] lsns = write();
        try (RandomAccessFile raf = new RandomAccessFile(
            dir.resolve(JournalFileDescriptor.fileName(0)).toFile(), "rw"))
        {
            raf.seek(JournalFileDescriptor.HEADER_LENGTH + lsns[2] + RecordDescriptor.HEADER_LENGTH + 2);
            raf.write(0x55);
        }
        final String out = run(dir.toString());
        assertTrue(out.startsWith("2\n"), out);
        assertTrue(out.contains("lsn=" + lsns[2]), out);
        assertTrue(out.contains("records=2"), out);
    }

    @Test
    void badUsageIsExplained()
    {
        assertTrue(run().startsWith("1\n"));
        assertTrue(run(dir.resolve("nothing-here").toString()).contains("does not exist"));
    }
}
