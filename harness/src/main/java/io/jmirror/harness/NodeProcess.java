package io.jmirror.harness;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A node (primary or member) running as its own JVM, started from this process's class path, controlled over its
 * stdin/stdout ({@link NodeControl}). Its stderr (the engine's log) goes to a file. {@link #kill()} is kill -9.
 */
final class NodeProcess implements AutoCloseable
{
    private static final String ADD_EXPORTS = "java.base/jdk.internal.misc=ALL-UNNAMED";

    private final String name;
    private final List<String> command;
    private final Path logFile;
    private volatile Process process;
    private volatile BufferedWriter stdin;
    private volatile BlockingQueue<String> answers;
    /**
     * Set once the running JVM said {@code @ready}. Until then {@link #call} refuses: its answer and the
     * {@code @ready} line would come through the same queue, and whichever thread polled first could take the other's
     * (a status query during a restart once took {@code @ready}, and the restart failed on the query's answer).
     */
    private volatile boolean isReady;

    NodeProcess(final String name, final List<String> nodeArgs, final Path logFile, final String maxHeap)
    {
        this.name = name;
        this.logFile = logFile;
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + maxHeap);
        cmd.add("--add-exports");
        cmd.add(ADD_EXPORTS);
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(JmirrorCli.class.getName());
        cmd.add("node");
        cmd.addAll(nodeArgs);
        this.command = List.copyOf(cmd);
    }

    /**
     * Start the JVM and wait for its {@code @ready} line.
     *
     * @return the text after {@code @ready}.
     */
    String start(final Duration timeout)
    {
        isReady = false;
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        try
        {
            process = builder.start();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot start node " + name + ": " + ex, ex);
        }
        stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        answers = queue;
        final Process started = process;
        final Thread reader = new Thread(() -> pump(started, queue), "jmirror-node-" + name + "-stdout");
        reader.setDaemon(true);
        reader.start();
        final String ready = next(timeout, "start");
        if (!ready.startsWith("@ready"))
        {
            throw new IllegalStateException("node " + name + " did not start: " + ready + " (log: " + logFile + ")");
        }
        isReady = true;
        return ready.substring("@ready".length()).trim();
    }

    private static void pump(final Process process, final BlockingQueue<String> queue)
    {
        try (BufferedReader out = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = out.readLine()))
            {
                if (line.startsWith("@"))
                {
                    queue.add(line);
                }
            }
        }
        catch (final IOException ignore)
        {
            // the process ended; callers see it through the exit
        }
        queue.add("@exit");
    }

    /**
     * Send a command and collect its answer.
     *
     * @return the data lines, then the {@code @ok} line last.
     * @throws IllegalStateException on {@code @err}, on timeout, or when the node exits.
     */
    synchronized List<String> call(final String line, final Duration timeout)
    {
        if (!isAlive() || !isReady)
        {
            throw new IllegalStateException("node " + name + " is not running" + (isAlive() ? " yet" : "") +
                ": cannot send '" + line + "'");
        }
        try
        {
            stdin.write(line);
            stdin.newLine();
            stdin.flush();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("node " + name + " stopped reading commands: " + ex, ex);
        }
        final List<String> lines = new ArrayList<>();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final String answer = next(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), line);
            lines.add(answer);
            if (answer.startsWith("@ok"))
            {
                return lines;
            }
            if (answer.startsWith("@err"))
            {
                throw new IllegalStateException("node " + name + " refused '" + line + "': " + answer.substring(5));
            }
        }
    }

    /**
     * @return the value of {@code key=value} in an answer line, or null.
     */
    static String field(final String line, final String key)
    {
        for (final String token : line.split(" "))
        {
            if (token.startsWith(key + "="))
            {
                return token.substring(key.length() + 1);
            }
        }
        return null;
    }

    private String next(final Duration timeout, final String what)
    {
        try
        {
            final String answer = answers.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (null == answer)
            {
                throw new IllegalStateException("node " + name + " did not answer '" + what + "' within " +
                    DurationConverter.format(timeout) + " (log: " + logFile + ")");
            }
            if ("@exit".equals(answer))
            {
                throw new IllegalStateException("node " + name + " exited during '" + what + "' (log: " + logFile +
                    ")");
            }
            return answer;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for node " + name, ex);
        }
    }

    boolean isAlive()
    {
        return null != process && process.isAlive();
    }

    String name()
    {
        return name;
    }

    Path logFile()
    {
        return logFile;
    }

    /**
     * Send a signal by name ({@code STOP}, {@code CONT}) with the system's {@code kill}: SIGSTOP freezes the node as
     * a stalled VM would, SIGCONT lets it go on.
     */
    void signal(final String signal)
    {
        if (!isAlive())
        {
            throw new IllegalStateException("node " + name + " is not running: cannot send SIG" + signal);
        }
        try
        {
            final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0)
            {
                kill.destroyForcibly();
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed for node " + name);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot run kill -" + signal + " for node " + name + ": " + ex, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending SIG" + signal + " to node " + name, ex);
        }
    }

    /**
     * kill -9: no shutdown hooks, no flushing, as a crash.
     */
    void kill()
    {
        if (null != process)
        {
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(10));
        }
    }

    /**
     * Ask the node to stop; kill it if it does not within the timeout.
     */
    void stop(final Duration timeout)
    {
        if (!isAlive())
        {
            return;
        }
        try
        {
            stdin.write("stop");
            stdin.newLine();
            stdin.flush();
            stdin.close();
        }
        catch (final IOException ignore)
        {
            // already gone: the wait below sees it
        }
        if (!waitFor(timeout))
        {
            kill();
        }
    }

    private boolean waitFor(final Duration timeout)
    {
        try
        {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close()
    {
        stop(Duration.ofSeconds(15));
    }
}
