package io.jmirror.harness;

import io.jmirror.mirror.OperatorRequests;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jmirror operator NODE_DIR force|handover|promote [--to-failover]}: an operator request to a running failover
 * node, through its directory ({@link OperatorRequests}); prints the node's answer.
 */
@Command(name = "operator", mixinStandardHelpOptions = true,
    description = {"Send an operator request to a running failover node through its directory and print its answer.",
        "force: a primary that lost both backup and arbiter goes on without its backup for the rest of the epoch "
            + "(commits it acknowledges alone are lost if the backup takes over meanwhile; the arbiter records the "
            + "epoch as forced when it hears of it). handover: planned switch to the ACTIVE backup. promote: an async "
            + "member asks to become primary, granted only with both failover members lost. promote --to-failover: "
            + "an async member asks to become the backup (failover member) of the primary it follows, granted only "
            + "while the backup slot is free (no backup, or one the arbiter has lost for the QoS timeout); the "
            + "member it replaces follows as an async member if it comes back.",
        "Exit code 0 when the node did it, 1 when it refused, 2 when no answer came (the node is not running)."})
final class OperatorCommand implements Callable<Integer>
{
    /**
     * The requests a node takes.
     */
    enum Action
    {
        force, handover, promote
    }

    @Parameters(index = "0", paramLabel = "NODE_DIR", description = "The node's directory (its --dir).")
    Path dir;

    @Parameters(index = "1", paramLabel = "ACTION", description = "force, handover or promote.")
    Action action;

    @Option(names = "--why", paramLabel = "TEXT", description = "For force: the operator's reason, logged by the node.")
    String why = "";

    @Option(names = "--to-failover", description = "For promote: to failover member (backup), not to primary.")
    boolean toFailover;

    @Option(names = "--wait", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "How long to wait for the node's answer (default: ${DEFAULT-VALUE}).", defaultValue = "10s")
    Duration wait;

    private PrintStream out = System.out;

    OperatorCommand output(final PrintStream out)
    {
        this.out = out;
        return this;
    }

    @Override
    public Integer call() throws IOException
    {
        if (!Files.isDirectory(dir))
        {
            throw new IllegalArgumentException("no node directory: " + dir);
        }
        if (toFailover && action != Action.promote)
        {
            throw new IllegalArgumentException("--to-failover goes with promote only: action=" + action);
        }
        final String line = action == Action.force && !why.isBlank() ? "force " + why.replace('\n', ' ') :
            (toFailover ? "promote-to-failover" : action.name());
        OperatorRequests.submit(dir, line);
        final String answer = OperatorRequests.awaitAnswer(dir, wait.toMillis());
        if (null == answer)
        {
            out.println("no answer from the node in " + dir + " within " + wait.toMillis() + " ms: is it running? " +
                "(the request stays in " + dir.resolve(OperatorRequests.REQUEST_FILE) + " until a node takes it)");
            return 2;
        }
        out.println(answer);
        return answer.startsWith("refused") ? 1 : 0;
    }
}
