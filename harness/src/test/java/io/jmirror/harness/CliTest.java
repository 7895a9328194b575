package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class CliTest
{
    @ParameterizedTest
    @ValueSource(strings = {"", "demo", "soak", "status", "check", "journal", "journal dump"})
    void everyCommandHasHelp(final String command)
    {
        final StringWriter text = new StringWriter();
        final CommandLine commandLine = JmirrorCli.commandLine();
        commandLine.setOut(new PrintWriter(text));
        final String[] words = command.isEmpty() ? new String[0] : command.split(" ");
        final String[] args = java.util.Arrays.copyOf(words, words.length + 1);
        args[words.length] = "--help";
        assertEquals(0, commandLine.execute(args), text.toString());
        assertTrue(text.toString().startsWith("Usage: jmirror"), text.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo --duration soon", "soak --fault flood=1s --duration 1s", "soak --value-size 2"})
    void badOptionsAreRefusedWithAReason(final String command)
    {
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = JmirrorCli.commandLine();
        commandLine.setErr(new PrintWriter(err));
        final int exit = commandLine.execute(command.split(" "));
        assertTrue(exit == 2, "exit " + exit + ": " + err);
        assertTrue(err.toString().contains("soon") || err.toString().contains("flood") ||
            err.toString().contains("--value-size"), err.toString());
    }
}
