package io.jmirror.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A line of text in the status file (why a member is DOWN, the last error) reads whole from another process.
 */
class StatusTextTest
{
    @TempDir
    Path dir;

    @Test
    void aReaderInAnotherProcessReadsTheTextByTypeAndKey()
    {
        try (StatusFile file = StatusFile.create(dir, 8))
        {
            final StatusText reason = new StatusText(file, StatusCounterType.MEMBER_LAST_REASON, "dr-1");
            file.newCounter(StatusCounterType.MEMBER_BYTES_RAW, "dr-1").setRelease(42);
            try (StatusFile view = StatusFile.openReadOnly(dir))
            {
                assertEquals("", view.counters().get(0).text(), "no text before the first");
                reason.set("ROLE_MISMATCH: member dr-1 asked for BACKUP\nbut is DR_ASYNC");
                final StatusCounter counter = view.counters().get(0);
                assertEquals(StatusCounterType.MEMBER_LAST_REASON, counter.type());
                assertEquals("dr-1", counter.name());
                assertEquals("ROLE_MISMATCH: member dr-1 asked for BACKUP but is DR_ASYNC", counter.text());
                assertEquals(2, counter.value(), "the sequence moved by two: one rewrite, finished");
                assertNull(view.counters().get(1).text(), "a counter that holds a number has no text");
            }
            assertEquals("ROLE_MISMATCH: member dr-1 asked for BACKUP but is DR_ASYNC", reason.get());
        }
    }

    @Test
    void aLongTextIsCutToWhatALabelHolds()
    {
        try (StatusFile file = StatusFile.create(null, 4))
        {
            final StatusText text = new StatusText(file, StatusCounterType.RECEIVER_LAST_ERROR, "backup");
            text.set("x".repeat(5000));
            final String read = file.counters().get(0).text();
            assertEquals(CountersReader.MAX_LABEL_LENGTH,
                "receiver=backup lastError: ".length() + read.length());
            assertTrue(read.endsWith("..."), read);
        }
    }

    @Test
    void aTextBeingRewrittenIsNotRead()
    {
        try (StatusFile file = StatusFile.create(null, 4))
        {
            final StatusText text = new StatusText(file, StatusCounterType.DEJOURNAL_LAST_ERROR, "dr-1");
            text.set("first");
            text.counter().setRelease(3); // a writer stopped half way through, as a reader could catch it
            assertNull(file.counters().get(0).text(), "odd sequence: the label may be half written");
            text.counter().setRelease(4);
            assertEquals("first", file.counters().get(0).text());
        }
    }

    @Test
    void onlyATextTypeHoldsText()
    {
        try (StatusFile file = StatusFile.create(null, 4))
        {
            final JournalException ex = assertThrows(JournalException.class,
                () -> new StatusText(file, StatusCounterType.MEMBER_LAST_REJECT, "dr-1"));
            assertTrue(ex.getMessage().contains("not a text counter: type=MEMBER_LAST_REJECT"), ex.getMessage());
        }
    }

    @Test
    void aReaderNeverSeesHalfOfOneTextAndHalfOfTheNext() throws InterruptedException
    {
        final String a = "a".repeat(300);
        final String b = "b".repeat(150);
        try (StatusFile file = StatusFile.create(dir, 4); StatusFile view = StatusFile.openReadOnly(dir))
        {
            final StatusText text = new StatusText(file, StatusCounterType.MEMBER_LAST_REASON, "backup");
            text.set(a);
            final AtomicBoolean stop = new AtomicBoolean();
            final Thread writer = new Thread(() ->
            {
                for (long i = 0; !stop.get(); i++)
                {
                    text.set(0 == (i & 1) ? b : a);
                }
            });
            writer.start();
            try
            {
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                int reads = 0;
                while (System.nanoTime() - deadline < 0)
                {
                    final String read = view.counters().get(0).text();
                    if (null != read)
                    {
                        assertTrue(read.equals(a) || read.equals(b), "torn read: " + read);
                        reads++;
                    }
                }
                assertTrue(reads > 0, "no consistent read in 300 ms");
            }
            finally
            {
                stop.set(true);
                writer.join(TimeUnit.SECONDS.toMillis(10));
            }
        }
    }
}
