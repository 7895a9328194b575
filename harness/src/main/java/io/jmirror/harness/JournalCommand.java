package io.jmirror.harness;

import io.jmirror.journal.JournalDump;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jmirror journal dump}: the journal's dump tool.
 */
@Command(name = "journal", mixinStandardHelpOptions = true, description = "Journal tools.",
    subcommands = JournalCommand.Dump.class)
final class JournalCommand
{
    /**
     * Prints records one per line: LSN, type, transaction, time, database, global, subscripts, value.
     */
    @Command(name = "dump", mixinStandardHelpOptions = true,
        description = {"Print a journal's records, one per line, with the file header first.",
            "A torn or corrupt record is reported with its file and LSN, and the dump stops there."})
    static final class Dump implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "PATH", description = "A journal directory or one journal file.")
        Path path;

        @Option(names = "--from", defaultValue = "-1", description = "First LSN (default: the oldest held).")
        long from;

        @Option(names = "--to", defaultValue = "-1", description = "Stop before this LSN (default: the end).")
        long to;

        @Option(names = "--limit", defaultValue = "-1", description = "Most records to print (default: all).")
        long limit;

        @Override
        public Integer call()
        {
            final List<String> args = new ArrayList<>(List.of(path.toString()));
            if (from >= 0)
            {
                args.addAll(List.of("--from", String.valueOf(from)));
            }
            if (to >= 0)
            {
                args.addAll(List.of("--to", String.valueOf(to)));
            }
            if (limit >= 0)
            {
                args.addAll(List.of("--limit", String.valueOf(limit)));
            }
            return JournalDump.run(args.toArray(new String[0]), System.out, System.err);
        }
    }
}
