package io.jmirror.harness;

import io.jmirror.dejournal.DejournalState;
import io.jmirror.journal.StatusCounter;
import io.jmirror.journal.StatusFile;
import io.jmirror.shipper.Receiver;
import io.jmirror.shipper.RejectReason;
import io.jmirror.shipper.TransferStatus;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jmirror status DIR}: a primary's or member's counters, read from its status file from outside the process.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Print the counters of a running primary or member, read from the status file "
        + "(" + StatusFile.FILE_NAME + ") in its status directory.",
        "States are shown by name: transferStatus (CONNECTING, CATCHUP, ACTIVE, TROUBLE, CLOSED), linkState and "
            + "the dejournal state (STARTING, CAUGHT_UP, BEHIND, PAUSED, FAILED, CLOSED)."})
final class StatusCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "DIR", description = "The node's status directory.")
    Path dir;

    @Option(names = "--watch", description = "Refresh until interrupted.")
    boolean watch;

    @Option(names = "--interval", defaultValue = "1s", converter = DurationConverter.class,
        description = "Refresh interval with --watch (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--count", defaultValue = "0", description = "With --watch, stop after this many refreshes "
        + "(default: until interrupted).")
    int count;

    private PrintStream out = System.out;

    StatusCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    @Override
    public Integer call() throws Exception
    {
        if (!Files.exists(dir.resolve(StatusFile.FILE_NAME)))
        {
            throw new IllegalArgumentException("no status file in " + dir + ": expected " +
                dir.resolve(StatusFile.FILE_NAME) + " (a node writes it in its status directory)");
        }
        int printed = 0;
        do
        {
            if (printed > 0)
            {
                Thread.sleep(interval.toMillis());
                out.println();
            }
            try (StatusFile file = StatusFile.openReadOnly(dir))
            {
                out.println("status of " + dir + " at " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS));
                print(file.counters(), out);
            }
            out.flush();
            printed++;
        }
        while (watch && (count == 0 || printed < count));
        return 0;
    }

    static void print(final List<StatusCounter> counters, final PrintStream out)
    {
        int width = 0;
        for (final StatusCounter counter : counters)
        {
            width = Math.max(width, counter.label().length());
        }
        for (final StatusCounter counter : counters)
        {
            out.printf("  %-" + width + "s  %s%n", counter.label(), render(counter));
        }
    }

    /**
     * @return the value as an operator reads it, by the counter's type: states by name, the rest as numbers.
     */
    static String render(final StatusCounter counter)
    {
        final long value = counter.value();
        if (null == counter.type())
        {
            return String.format("%,d", value);
        }
        switch (counter.type())
        {
            case MEMBER_TRANSFER_STATUS:
                return name(TransferStatus.fromOrdinal(value), value);
            case RECEIVER_LINK_STATE:
                final Receiver.State[] states = Receiver.State.values();
                return value >= 0 && value < states.length ? states[(int)value].name() : "UNKNOWN(" + value + ")";
            case DEJOURNAL_STATE:
                return name(DejournalState.fromOrdinal(value), value);
            case MEMBER_LAST_REJECT:
                return 0 == value ? "-" : name(RejectReason.fromCode((int)value), value);
            default:
                return String.format("%,d", value);
        }
    }

    private static String name(final Enum<?> state, final long value)
    {
        return null == state ? "UNKNOWN(" + value + ")" : state.name();
    }
}
