package io.jmirror.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * What a report needs to say about the machine and the command, so that its numbers can be re-run and
 * judged: a figure from 2 cores and a figure from 16 are not the same claim.
 */
final class SystemInfo
{
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

    private SystemInfo()
    {
    }

    /**
     * The JVM's own command line, quoted so it can be pasted into a shell.
     *
     * @param mainClass used, with the class path, when the OS does not tell the JVM its command line.
     * @param args      the main method's arguments, for the same fallback.
     * @return e.g. {@code /usr/lib/jvm/.../java -cp bench/target/benchmarks.jar io.jmirror.bench.BenchRunner --quick}.
     */
    static String commandLine(final String mainClass, final List<String> args)
    {
        final ProcessHandle.Info info = ProcessHandle.current().info();
        final Optional<String> command = info.command();
        final Optional<String[]> arguments = info.arguments();
        final List<String> words = new ArrayList<>();
        if (command.isPresent() && arguments.isPresent())
        {
            words.add(command.get());
            words.addAll(List.of(arguments.get()));
        }
        else
        {
            words.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            words.add("-cp");
            words.add(System.getProperty("java.class.path"));
            words.add(mainClass);
            words.addAll(args);
        }

        final StringBuilder sb = new StringBuilder();
        for (final String word : words)
        {
            if (sb.length() > 0)
            {
                sb.append(' ');
            }
            sb.append(SHELL_SAFE.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    /**
     * @return the output of {@code java -version} of the JVM the forks use (JMH forks this JVM's
     *         {@code java.home}), or the version properties if it cannot be run.
     */
    static String javaVersion()
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final String output = run(java, "-version");
        if (null != output)
        {
            return output;
        }
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") +
            " (" + System.getProperty("java.vendor") + ")";
    }

    /**
     * @return the output of {@code nproc}, or the JVM's count of available processors if it cannot be run.
     */
    static String nproc()
    {
        final String output = run("nproc");
        return null != output ? output.strip() : Integer.toString(Runtime.getRuntime().availableProcessors());
    }

    private static String run(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0)
            {
                process.destroy();
                return null;
            }
            return output;
        }
        catch (final IOException ex)
        {
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
