package io.jmirror.mirror;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The arbiter's records in one text file, {@code arbiter-state.txt}: written to a temporary file, forced, renamed
 * over the old one and the directory forced, so a crash leaves either the old state or the new, never a mix. Each
 * line is one mirror; the last line is the CRC32C of the lines before it, so a damaged file is refused by name
 * rather than read as a smaller epoch.
 * <pre>
 * jmirror-arbiter 1
 * mirror=CLINIC epoch=3 primary=node-b backup=node-a backupActive=true noFailover=false handedOver=false
 *   revoked=false revokedLsn=-1 starts=2@0,3@8192 backupJoined=false   (on the same line)
 * crc32c=1234567890
 * </pre>
 * {@code revokedLsn} came later; the format keeps its version, because a file without it still loads (a revoked
 * backup then stays revoked for the rest of the epoch, as every revoke did before) and an arbiter that does not know
 * it ignores it with the same safe result. {@code revokedLsn=max} is a revoke for the rest of the epoch.
 * {@code backupJoined} came later still: a file without it loads as false (no backup joined by promotion then).
 */
public final class FileArbiterStore implements ArbiterStore
{
    static final String FILE_NAME = "arbiter-state.txt";
    private static final String MAGIC = "jmirror-arbiter 1";
    private static final String NONE = "-";
    private static final String FOR_THE_EPOCH = "max";

    private final Path dir;
    private final Path file;

    /**
     * @param dir the arbiter's directory; created when missing.
     */
    public FileArbiterStore(final Path dir)
    {
        this.dir = dir;
        this.file = dir.resolve(FILE_NAME);
    }

    /**
     * @return the state file.
     */
    public Path file()
    {
        return file;
    }

    @Override
    public Map<String, ArbiterRecord> load()
    {
        final Map<String, ArbiterRecord> records = new TreeMap<>();
        if (!Files.exists(file))
        {
            return records;
        }
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read arbiter state: file=" + file + " reason=" + ex, ex);
        }
        if (lines.size() < 2 || !MAGIC.equals(lines.get(0)) || !lines.get(lines.size() - 1).startsWith("crc32c="))
        {
            throw damaged("not an arbiter state file");
        }
        final String body = String.join("\n", lines.subList(0, lines.size() - 1)) + "\n";
        final String stored = lines.get(lines.size() - 1).substring("crc32c=".length());
        if (!Long.toString(crc(body)).equals(stored))
        {
            throw damaged("checksum differs: stored=" + stored + " actual=" + crc(body));
        }
        for (int i = 1; i < lines.size() - 1; i++)
        {
            final ArbiterRecord record = parse(lines.get(i), i + 1);
            records.put(record.mirrorName(), record);
        }
        return records;
    }

    private ArbiterRecord parse(final String line, final int lineNumber)
    {
        final Map<String, String> fields = new TreeMap<>();
        for (final String pair : line.split(" "))
        {
            final int eq = pair.indexOf('=');
            if (eq <= 0)
            {
                throw damaged("bad field: line=" + lineNumber + " field=" + pair);
            }
            fields.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        try
        {
            final boolean revoked = Boolean.parseBoolean(require(fields, "revoked", lineNumber));
            final String revokedLsn = fields.get("revokedLsn");
            return new ArbiterRecord(
                require(fields, "mirror", lineNumber),
                Long.parseLong(require(fields, "epoch", lineNumber)),
                name(require(fields, "primary", lineNumber)),
                name(require(fields, "backup", lineNumber)),
                Boolean.parseBoolean(require(fields, "backupActive", lineNumber)),
                Boolean.parseBoolean(require(fields, "noFailover", lineNumber)),
                Boolean.parseBoolean(require(fields, "handedOver", lineNumber)),
                revoked,
                null != revokedLsn ? lsn(revokedLsn) :
                    (revoked ? ArbiterRecord.REVOKED_FOR_THE_EPOCH : ArbiterRecord.NO_REVOKE),
                starts(require(fields, "starts", lineNumber)),
                Boolean.parseBoolean(fields.getOrDefault("backupJoined", "false")));
        }
        catch (final NumberFormatException ex)
        {
            throw damaged("bad number: line=" + lineNumber + " reason=" + ex.getMessage());
        }
    }

    private static long lsn(final String text)
    {
        return FOR_THE_EPOCH.equals(text) ? ArbiterRecord.REVOKED_FOR_THE_EPOCH : Long.parseLong(text);
    }

    private static java.util.List<ArbiterRecord.Start> starts(final String text)
    {
        final java.util.List<ArbiterRecord.Start> starts = new java.util.ArrayList<>();
        if (!NONE.equals(text))
        {
            for (final String pair : text.split(","))
            {
                final int at = pair.indexOf('@');
                final boolean forced = pair.endsWith("!");
                starts.add(new ArbiterRecord.Start(Long.parseLong(pair.substring(0, at)),
                    Long.parseLong(pair.substring(at + 1, pair.length() - (forced ? 1 : 0))), forced));
            }
        }
        return java.util.List.copyOf(starts);
    }

    private String require(final Map<String, String> fields, final String key, final int lineNumber)
    {
        final String value = fields.get(key);
        if (null == value)
        {
            throw damaged("missing field: line=" + lineNumber + " field=" + key);
        }
        return value;
    }

    private static String name(final String value)
    {
        return NONE.equals(value) ? null : value;
    }

    @Override
    public void save(final Map<String, ArbiterRecord> records)
    {
        final StringBuilder body = new StringBuilder(MAGIC).append('\n');
        for (final ArbiterRecord record : records.values())
        {
            body.append("mirror=").append(checked(record.mirrorName()))
                .append(" epoch=").append(record.epoch())
                .append(" primary=").append(null == record.primary() ? NONE : checked(record.primary()))
                .append(" backup=").append(null == record.backup() ? NONE : checked(record.backup()))
                .append(" backupActive=").append(record.backupActive())
                .append(" noFailover=").append(record.noFailover())
                .append(" handedOver=").append(record.handedOver())
                .append(" revoked=").append(record.revoked())
                .append(" revokedLsn=").append(record.revokedLsn() == ArbiterRecord.REVOKED_FOR_THE_EPOCH ?
                    FOR_THE_EPOCH : Long.toString(record.revokedLsn()))
                .append(" starts=").append(record.starts().isEmpty() ? NONE : record.starts().stream()
                    .map((start) -> start.epoch() + "@" + start.lsn() + (start.forced() ? "!" : ""))
                    .collect(java.util.stream.Collectors.joining(",")))
                .append(" backupJoined=").append(record.backupJoined())
                .append('\n');
        }
        final String text = body + "crc32c=" + crc(body.toString()) + "\n";
        final Path tmp = dir.resolve(FILE_NAME + ".tmp");
        try
        {
            Files.createDirectories(dir);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING))
            {
                final ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining())
                {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ))
            {
                directory.force(true);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot persist arbiter state: file=" + file + " reason=" + ex, ex);
        }
    }

    private static String checked(final String name)
    {
        if (name.isEmpty() || name.equals(NONE) || name.chars().anyMatch((c) -> c <= ' ' || c == '='))
        {
            throw new IllegalArgumentException("a mirror or member name must be non-empty, without spaces or '=': " +
                "name=" + name);
        }
        return name;
    }

    private static long crc(final String text)
    {
        final CRC32C crc = new CRC32C();
        crc.update(text.getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    private IllegalStateException damaged(final String what)
    {
        return new IllegalStateException("arbiter state file is damaged, refusing to start from a guess: " + what +
            " file=" + file);
    }
}
