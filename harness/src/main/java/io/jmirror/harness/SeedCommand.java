package io.jmirror.harness;

import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.journal.Journal;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jmirror seed --from STORE --to DIR}: copies a member's RocksDB store, at its checkpointed applied LSN, into a
 * new member's directory, so the new member starts from that LSN instead of from the first record: the way to add a
 * member once the primary has purged its early journal files.
 */
@Command(name = "seed", mixinStandardHelpOptions = true,
    description = {"Seed a new member: copy a member's RocksDB store (a RocksDB checkpoint, hard-linked where it "
        + "can) at its checkpointed applied LSN into DIR/store. Start the new member with --dir DIR and an empty "
        + "journal: it receives the primary's journal from the oldest record the primary holds and applies from the "
        + "copy's LSN. The source member must be stopped (RocksDB lets one process open a store for writing).",
        "Exit code 0 when seeded, 2 on an error."})
final class SeedCommand implements Callable<Integer>
{
    @Option(names = "--from", required = true, paramLabel = "STORE", description = "The source member's RocksDB "
        + "store directory, or its node directory (then its store/ is used).")
    Path from;

    @Option(names = "--to", required = true, paramLabel = "DIR", description = "The new member's node directory; "
        + "the copy goes to DIR/store. It must hold no store and no journal yet.")
    Path to;

    private PrintStream out = System.out;

    SeedCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    @Override
    public Integer call() throws IOException
    {
        final Path source = Files.isDirectory(from.resolve(MemberStore.ROCKSDB_DIR)) &&
            !Files.exists(from.resolve("CURRENT")) ? from.resolve(MemberStore.ROCKSDB_DIR) : from;
        if (!Files.exists(source.resolve("CURRENT")))
        {
            throw new IllegalArgumentException("no RocksDB store in " + source + " (no CURRENT file)");
        }
        final Path destination = to.resolve(MemberStore.ROCKSDB_DIR);
        if (Files.exists(destination))
        {
            throw new IllegalArgumentException("the new member already has a store: " + destination);
        }
        if (Journal.exists(to.resolve("journal")))
        {
            throw new IllegalArgumentException("the new member already has a journal: " + to.resolve("journal") +
                " (a seeded member starts with none and receives the primary's)");
        }
        Files.createDirectories(to);
        try (RocksDbTarget store = RocksDbTarget.open(source))
        {
            final long lsn = store.recoveredLsn();
            if (lsn < 0)
            {
                throw new IllegalArgumentException("the store has no checkpointed applied LSN, so a member could not " +
                    "tell where to catch up from: store=" + source);
            }
            store.copyTo(destination);
            out.printf("seeded %s from %s at applied LSN %d: start the new member with --dir %s; it applies from LSN "
                + "%d once the primary sends its journal%n", destination, source, lsn, to, lsn);
            return 0;
        }
    }
}
