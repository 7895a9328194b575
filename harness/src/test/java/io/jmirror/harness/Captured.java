package io.jmirror.harness;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What a command printed, kept for assertions and echoed to the test's own output so a failing run can be read.
 */
final class Captured
{
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream stream;

    Captured()
    {
        final PrintStream echo = System.out;
        stream = new PrintStream(new OutputStream()
        {
            @Override
            public void write(final int b)
            {
                bytes.write(b);
                echo.write(b);
            }

            @Override
            public void write(final byte[] b, final int off, final int len)
            {
                bytes.write(b, off, len);
                echo.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8);
    }

    PrintStream stream()
    {
        return stream;
    }

    String text()
    {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    String lastLine()
    {
        final String[] lines = text().trim().split("\n");
        return lines[lines.length - 1];
    }
}
