package io.jmirror.harness;

import io.jmirror.dejournal.DejournalState;
import io.jmirror.journal.StatusCounter;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.StatusFile;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.Receiver;
import io.jmirror.shipper.RejectReason;
import io.jmirror.shipper.TransferStatus;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        "Counters are grouped by whose they are: the primary, each configured member (connected or not), a "
            + "member's receiver and dejournaler, and each dejournal worker.",
        "States are shown by name: transferStatus (CONNECTING, CATCHUP, ACTIVE, TROUBLE, CLOSED, DOWN), linkState "
            + "and the dejournal state (STARTING, CAUGHT_UP, BEHIND, PAUSED, FAILED, CLOSED).",
        "A member that is DOWN shows when it was last seen, the last REJECT reason (lastReject) and its text or the "
            + "link error (lastReason); a member's own status shows why its link last went down (lastError)."})
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

    /**
     * Print the counters grouped by whose they are (the primary, each member, each worker), one field a line.
     */
    static void print(final List<StatusCounter> counters, final PrintStream out)
    {
        final Map<String, List<StatusCounter>> groups = new LinkedHashMap<>();
        for (final StatusCounter counter : counters)
        {
            groups.computeIfAbsent(group(counter), (key) -> new ArrayList<>()).add(counter);
        }
        for (final Map.Entry<String, List<StatusCounter>> group : groups.entrySet())
        {
            out.println(group.getKey());
            for (final StatusCounter counter : group.getValue())
            {
                out.printf("  %-24s %s%n", null == counter.type() ? counter.label() : counter.type().field(),
                    render(counter));
            }
        }
    }

    private static String group(final StatusCounter counter)
    {
        final StatusCounterType type = counter.type();
        if (null == type)
        {
            return "other";
        }
        switch (type.scope())
        {
            case PRIMARY:
                return "primary";
            case WORKER:
                return "worker " + counter.name() + "/" + counter.workerIndex();
            default:
                return type.scope().word() + " " + counter.name();
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
        if (counter.type().unit() == StatusCounterType.Unit.TEXT)
        {
            return null == counter.text() ? "(being rewritten)" : counter.text().isEmpty() ? "-" : counter.text();
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
            case NODE_ROLE:
                final io.jmirror.mirror.MirrorNode.Role[] roles = io.jmirror.mirror.MirrorNode.Role.values();
                return value >= 0 && value < roles.length ? roles[(int)value].name() : "UNKNOWN(" + value + ")";
            case MEMBER_ROLE:
                return name(MemberRole.fromCode((int)value), value);
            case MEMBER_LAST_REJECT:
                return 0 == value ? "-" : name(RejectReason.fromCode((int)value), value);
            case PRIMARY_FENCED_EPOCH:
                return 0 == value ? "not fenced" : "FENCED by epoch " + value;
            default:
                return render(counter.type().unit(), value);
        }
    }

    private static String render(final StatusCounterType.Unit unit, final long value)
    {
        switch (unit)
        {
            case BYTES:
                return String.format("%,d B", value);
            case BYTES_PER_SECOND:
                return String.format("%,d B/s", value);
            case PER_SECOND:
                return String.format("%,d /s", value);
            case MS:
                return value < 0 ? "-" : String.format("%,d ms", value);
            case FLAG:
                return 0 == value ? "no" : "yes";
            case TIME_MS:
                return 0 == value ? "never" : Instant.ofEpochMilli(value).atZone(ZoneId.systemDefault())
                    .toLocalTime().truncatedTo(ChronoUnit.SECONDS) + " (" +
                    Math.max(0, (System.currentTimeMillis() - value) / 1000) + "s ago)";
            default:
                return String.format("%,d", value);
        }
    }

    private static String name(final Enum<?> state, final long value)
    {
        return null == state ? "UNKNOWN(" + value + ")" : state.name();
    }
}
