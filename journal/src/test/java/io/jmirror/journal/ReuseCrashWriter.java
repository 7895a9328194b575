package io.jmirror.journal;

import java.nio.file.Path;
import java.util.Random;

/**
 * The writer process of {@link JournalReuseTest#aKilledWriterLeavesEveryDurableRecordAndNothingStale}: appends
 * numbered records of random sizes into a journal that reuses its files, purging as it goes, and prints each
 * sequence number once it is durable, until it is killed (or a minute passes, so it never outlives its test).
 */
public final class ReuseCrashWriter
{
    static final long FILE_LENGTH = 64 * 1024;
    static final GlobalName GLOBAL = GlobalName.of("USER", "Reuse");

    private ReuseCrashWriter()
    {
    }

    static JournalContext context(final Path dir)
    {
        return new JournalContext().journalDir(dir).fileLength(FILE_LENGTH).syncPolicy(SyncPolicy.GROUP)
            .retainMinFiles(1).retainMs(0).recycleFiles(2);
    }

    public static void main(final String[] args)
    {
        final long deadline = System.nanoTime() + 60_000_000_000L;
        final Random random = new Random(Long.parseLong(args[1]));
        try (Journal journal = Journal.open(context(Path.of(args[0]))))
        {
            final JournalAppender appender = journal.newAppender();
            final SubscriptKey key = new SubscriptKey();
            for (long seq = 1; System.nanoTime() < deadline; seq++)
            {
                final long lsn = appender.set(0, GLOBAL, key.clear().add(seq),
                    JournalReuseTest.value(seq, 16 + random.nextInt(700)));
                if (seq % 16 == 0)
                {
                    journal.awaitDurable(lsn);
                    System.out.println("durable " + seq + " recycled " + journal.recycledFileCount());
                    System.out.flush();
                    journal.purge();
                }
            }
        }
    }
}
