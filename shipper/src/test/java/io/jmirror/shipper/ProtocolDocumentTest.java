package io.jmirror.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md and the code say the same thing: the version, every frame type's code and every REJECT reason's.
 */
class ProtocolDocumentTest
{
    /** "3 INCOMPATIBLE_VERSION", "7 STALE_EPOCH": a code and an upper-case name. */
    private static final Pattern CODE_AND_NAME = Pattern.compile("\\b(\\d+) ([A-Z][A-Z_]+[A-Z])\\b");

    private static String document() throws IOException
    {
        return Files.readString(Path.of("PROTOCOL.md"), StandardCharsets.UTF_8);
    }

    /**
     * @return the codes and names listed in the paragraph that starts with {@code heading}.
     */
    static Map<Integer, String> listed(final String document, final String heading)
    {
        final int start = document.indexOf("\n" + heading);
        assertTrue(start >= 0, "PROTOCOL.md has no paragraph starting '" + heading + "'");
        final int end = document.indexOf("\n\n", start + 1);
        final Matcher matcher = CODE_AND_NAME.matcher(document.substring(start, end < 0 ? document.length() : end));
        final Map<Integer, String> listed = new TreeMap<>();
        while (matcher.find())
        {
            listed.put(Integer.parseInt(matcher.group(1)), matcher.group(2));
        }
        return listed;
    }

    @Test
    void theDocumentNamesThisVersion() throws IOException
    {
        assertTrue(document().startsWith("# jmirror shipping protocol, version " + ProtocolDescriptor.VERSION + "\n"));
    }

    @Test
    void everyFrameTypeIsDocumentedWithItsCode() throws IOException
    {
        final Map<Integer, String> code = new TreeMap<>();
        for (int type = 1; type < 64; type++)
        {
            if (!ProtocolDescriptor.typeName(type).startsWith("UNKNOWN"))
            {
                code.put(type, ProtocolDescriptor.typeName(type));
            }
        }
        assertEquals(code, listed(document(), "Types: "));
        for (final String name : code.values())
        {
            assertTrue(document().contains("\n## " + name + " ("), "no section for " + name);
        }
    }

    @Test
    void everyRejectReasonIsDocumentedWithItsCode() throws IOException
    {
        final Map<Integer, String> code = new TreeMap<>();
        for (final RejectReason reason : RejectReason.values())
        {
            code.put(reason.code(), reason.name());
        }
        assertEquals(code, listed(document(), "Reasons: "));
    }

    @Test
    void aListThatDisagreesIsCaught()
    {
        final String drifted = "x\nReasons: 1 UNKNOWN_MEMBER, 2 WRONG_MIRROR, 4 INCOMPATIBLE_VERSION.\n\nmore";
        final Map<Integer, String> listed = listed(drifted, "Reasons: ");
        assertEquals(Map.of(1, "UNKNOWN_MEMBER", 2, "WRONG_MIRROR", 4, "INCOMPATIBLE_VERSION"), listed);
        assertTrue(!listed.equals(Map.of(1, "UNKNOWN_MEMBER", 2, "WRONG_MIRROR", 3, "INCOMPATIBLE_VERSION")),
            "a code moved in the document must not compare equal to the code's");
    }
}
