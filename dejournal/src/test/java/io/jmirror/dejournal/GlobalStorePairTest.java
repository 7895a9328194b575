package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Applying records two at a time ({@link GlobalStore#apply(JournalRecord, JournalRecord)}) leaves the store exactly
 * as applying them one by one: SETs of two globals done together, SETs of one global, KILLs, ZKILLs and big values
 * mixed, through leaf splits and merges.
 */
class GlobalStorePairTest
{
    @TempDir
    Path dir;

    @Test
    void pairsLeaveTheSameStoreAsOneByOne()
    {
        final long seed = new Random().nextInt(1 << 20);
        final Random random = new Random(seed);
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).fileLength(64L * 1024 * 1024)
            .syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = journal.newAppender();
            final GlobalName[] globals = {GlobalName.of("USER", "A"), GlobalName.of("USER", "B"),
                GlobalName.of("CLINICAL", "A"), GlobalName.of("USER", "Long")};
            final SubscriptKey key = new SubscriptKey();
            for (int i = 0; i < 60_000; i++)
            {
                final GlobalName global = globals[random.nextInt(globals.length)];
                key.clear().add(random.nextInt(3000));
                if (random.nextBoolean())
                {
                    key.add("s" + random.nextInt(20));
                }
                final int dice = random.nextInt(100);
                if (dice < 85)
                {
                    final int length = random.nextInt(50) == 0 ? 2000 + random.nextInt(3000) : random.nextInt(200);
                    final byte[] value = new byte[length];
                    random.nextBytes(value);
                    appender.set(i, global, key, value);
                }
                else if (dice < 93)
                {
                    appender.zkill(i, global, key);
                }
                else
                {
                    appender.kill(i, global, key.truncate(1));
                }
            }

            final List<JournalRecord> records = new ArrayList<>();
            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                while (reader.poll((record) -> records.add(
                    new JournalRecord().wrap(record.buffer(), record.offset(), record.lsn())), 1000) > 0)
                {
                    // read all
                }
            }

            final GlobalStore oneByOne = new GlobalStore();
            final GlobalStore paired = new GlobalStore();
            int i = 0;
            while (i < records.size())
            {
                // Runs of single records too, so pairs fall on every alignment.
                if (random.nextInt(5) == 0 || i + 1 == records.size())
                {
                    paired.apply(records.get(i));
                    oneByOne.apply(records.get(i));
                    i++;
                }
                else
                {
                    paired.apply(records.get(i), records.get(i + 1));
                    oneByOne.apply(records.get(i));
                    oneByOne.apply(records.get(i + 1));
                    i += 2;
                }
            }
            assertTrue(oneByOne.size() > 1000, "the workload builds big trees: size=" + oneByOne.size());
            assertEquals(oneByOne.digests(), paired.digests(), "seed=" + seed);
            assertTrue(GlobalStore.compare(oneByOne, paired).isEmpty(), "seed=" + seed);
            assertEquals(DataCheck.replay(journal, journal.completeLsn()).digests(), paired.digests(), "seed=" + seed);
        }
    }
}
