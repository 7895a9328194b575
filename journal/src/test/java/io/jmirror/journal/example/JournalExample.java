package io.jmirror.journal.example;

import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The README's journal example, compiled and run by {@code JournalExampleTest} so it cannot go stale.
 */
public final class JournalExample
{
    private JournalExample()
    {
    }

    /**
     * Journal a small transaction, wait until it is durable, and read it back.
     *
     * @param dir an empty or existing journal directory.
     * @return the records read back, one line each.
     */
    public static List<String> run(final Path dir)
    {
        final List<String> lines = new ArrayList<>();
        // README-EXAMPLE-START
        try (Journal journal = Journal.open(new JournalContext()
            .journalDir(dir)                       // the directory alone is enough to reopen it
            .mirrorName("CLINIC")
            .syncPolicy(SyncPolicy.GROUP)))        // the default: one force serves many commits
        {
            final JournalAppender appender = journal.newAppender();   // one per thread; appends are lock-free
            final GlobalName patient = GlobalName.of("USER", "Patient");
            final SubscriptKey key = new SubscriptKey();     // reusable, encodes in IRIS collation order

            final BeforeImage before = new BeforeImage();    // reusable: what each change replaced

            appender.tstart(1);
            appender.set(1, patient, key.clear().add(42).add("name"), "Smith".getBytes(StandardCharsets.UTF_8),
                before.value("Jones".getBytes(StandardCharsets.UTF_8)));   // the node held "Jones" (null: no value)
            appender.kill(1, patient, key.clear().add(41), before.nodes()   // a KILL lists the nodes it removes
                .node(SubscriptKey.of(41, "name"), "Brown".getBytes(StandardCharsets.UTF_8)));
            final long commitLsn = appender.tcommit(1);
            journal.awaitDurable(commitLsn);                 // on stable storage per the sync policy

            try (JournalReader reader = journal.reader(journal.startLsn()))
            {
                reader.poll((record) -> lines.add(record.toString()), 100);   // flyweight, no copy
            }
        }
        // README-EXAMPLE-END
        return lines;
    }
}
