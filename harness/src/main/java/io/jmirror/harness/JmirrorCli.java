package io.jmirror.harness;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jmirror} command: {@code demo}, {@code soak}, {@code status}, {@code check}, {@code journal dump} and
 * {@code arbiter}.
 * Run it as {@code java -jar harness/target/jmirror.jar <command>}.
 */
@Command(name = "jmirror", mixinStandardHelpOptions = true, version = "jmirror 0.1.0-SNAPSHOT",
    description = "Journal mirroring: ship a primary's journal to members and apply it there in parallel.",
    subcommands = {DemoCommand.class, SoakCommand.class, StatusCommand.class, CheckCommand.class,
        JournalCommand.class, NodeCommand.class, ArbiterCommand.class, TakeoverTimeCommand.class,
        CatchupTimeCommand.class, RestoreCommand.class,
        io.jmirror.harness.sim.SimulateCommand.class,
        SeedCommand.class, OperatorCommand.class,
        CommandLine.HelpCommand.class})
public final class JmirrorCli implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Entry point of the runnable jar.
     *
     * @param args a command and its options.
     */
    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    /**
     * Run a command without exiting, as tests and embedders do.
     *
     * @return the exit code: 0 on success or PASS, 1 on FAIL or a difference, 2 on a usage or runtime error.
     */
    public static int execute(final String... args)
    {
        return commandLine().execute(args);
    }

    static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(new JmirrorCli());
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            final PrintWriter err = cmd.getErr();
            err.println("jmirror " + cmd.getCommandName() + ": " + (null == ex.getMessage() ? ex : ex.getMessage()));
            err.flush();
            return 2;
        });
        return commandLine;
    }

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
