package io.jmirror.harness.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingExampleTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theMemberHoldsWhatThePrimaryJournaled()
    {
        assertEquals("Smith,Jo", EmbeddingExample.run(dir));
    }

    @Test
    void readmeShowsTheExampleAsCompiled() throws IOException
    {
        final Path root = Paths.get("").toAbsolutePath().getParent();
        final String source = Files.readString(
            Paths.get("src/test/java/io/jmirror/harness/example/EmbeddingExample.java"));
        final String readme = Files.readString(root.resolve("README.md"));
        final String example = source.substring(
            source.indexOf('\n', source.indexOf("README-EXAMPLE-START")) + 1,
            source.lastIndexOf('\n', source.indexOf("README-EXAMPLE-END")));
        for (final String line : example.split("\n"))
        {
            assertTrue(readme.contains(line.substring(Math.min(8, line.length()))),
                "README lacks the example line: " + line.trim());
        }
    }
}
