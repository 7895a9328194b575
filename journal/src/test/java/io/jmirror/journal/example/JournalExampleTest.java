package io.jmirror.journal.example;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class JournalExampleTest
{
    @TempDir
    Path dir;

    @Test
    void exampleJournalsAndReadsBack()
    {
        final List<String> lines = JournalExample.run(dir);
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("type=TSTART"), lines.get(0));
        assertTrue(lines.get(1).contains("^Patient(42,\"name\")"), lines.get(1));
        assertTrue(lines.get(2).contains("type=KILL"), lines.get(2));
        assertTrue(lines.get(3).contains("type=TCOMMIT"), lines.get(3));
    }

    @Test
    void readmeShowsTheExampleAsCompiled() throws IOException
    {
        final Path root = Paths.get("").toAbsolutePath().getParent();
        final String source = Files.readString(
            Paths.get("src/test/java/io/jmirror/journal/example/JournalExample.java"));
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
