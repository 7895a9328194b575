package io.jmirror.journal;

import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;

/**
 * Prints a journal's records readably, one per line, like a journal view: LSN, type, transaction, time, database,
 * node and a value preview. Works on a whole journal directory, on one file, or on an LSN range, and opens the
 * journal read-only so it is safe beside a running member.
 * <pre>
 * java -cp ... io.jmirror.journal.JournalDump &lt;journal dir | journal file&gt; [--from LSN] [--to LSN] [--limit N]
 * </pre>
 * Exit status: 0 when every record in range was read, 2 when a damaged frame stopped the dump, 1 on bad usage.
 */
public final class JournalDump
{
    /** Longest value preview, in characters. */
    static final int PREVIEW_CHARS = 48;

    private JournalDump()
    {
    }

    /**
     * Command-line entry point.
     *
     * @param args see the class comment.
     */
    public static void main(final String[] args)
    {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Parse arguments and dump.
     *
     * @return the exit status.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        Path path = null;
        long from = -1;
        long to = Long.MAX_VALUE;
        long limit = Long.MAX_VALUE;
        try
        {
            for (int i = 0; i < args.length; i++)
            {
                switch (args[i])
                {
                    case "--from":
                        from = Long.parseLong(args[++i]);
                        break;
                    case "--to":
                        to = Long.parseLong(args[++i]);
                        break;
                    case "--limit":
                        limit = Long.parseLong(args[++i]);
                        break;
                    case "-h":
                    case "--help":
                        usage(out);
                        return 0;
                    default:
                        if (null != path || args[i].startsWith("--"))
                        {
                            throw new IllegalArgumentException("unexpected argument: " + args[i]);
                        }
                        path = Paths.get(args[i]);
                }
            }
            if (null == path)
            {
                throw new IllegalArgumentException("a journal directory or file is required");
            }
        }
        catch (final RuntimeException ex)
        {
            err.println("journal dump: " + ex.getMessage());
            usage(err);
            return 1;
        }

        try
        {
            return dump(path, from, to, limit, out);
        }
        catch (final JournalException ex)
        {
            err.println("journal dump: " + ex.getMessage());
            return ex.code() == JournalException.Code.CORRUPT_FRAME ? 2 : 1;
        }
    }

    private static void usage(final PrintStream out)
    {
        out.println("usage: journal dump <journal dir | journal file> [--from LSN] [--to LSN] [--limit N]");
    }

    /**
     * Dump records with LSN in {@code [from, to)} of a directory, or of one file when {@code path} names a file.
     *
     * @param from first LSN, or -1 for the start of the journal or file.
     * @return 0 when the range was read completely, 2 when a damaged frame stopped it.
     */
    public static int dump(final Path path, final long from, final long to, final long limit, final PrintStream out)
    {
        final boolean isFile = Files.isRegularFile(path);
        final Path dir = isFile ? path.toAbsolutePath().getParent() : path;
        try (Journal journal = Journal.openReadOnly(dir))
        {
            long start = Math.max(from, journal.startLsn());
            long end = Math.min(to, journal.tailLsn());
            if (isFile)
            {
                final long base = JournalFileDescriptor.parseBaseLsn(path);
                if (base < 0)
                {
                    throw new JournalException(
                        JournalException.Code.INVALID_LAYOUT, "not a journal file: file=" + path);
                }
                start = Math.max(start, base);
                end = Math.min(end, base + journal.fileCapacity());
            }
            out.printf("journal dir=%s mirror=%s journalId=%d format=%d startLsn=%d endLsn=%d files=%d epoch=%d%n",
                dir, journal.mirrorName(), journal.journalId(), JournalFileDescriptor.FORMAT_VERSION,
                journal.startLsn(), journal.tailLsn(), journal.fileCount(), journal.epoch());
            for (final EpochStart epoch : journal.epochHistory())
            {
                out.printf("epoch %d start=%s member=%s%n", epoch.epoch(),
                    epoch.lsn() == EpochStart.PURGED ? "purged" : Long.toString(epoch.lsn()), epoch.memberName());
            }
            out.printf("range from=%d to=%d%n", start, end);

            final long[] printed = {0};
            final long rangeEnd = end;
            final StringBuilder line = new StringBuilder(256);
            try (JournalReader reader = journal.reader(start))
            {
                while (printed[0] < limit && reader.position() < rangeEnd)
                {
                    final int read = reader.poll((record) ->
                    {
                        if (record.lsn() < rangeEnd && printed[0] < limit)
                        {
                            line.setLength(0);
                            out.println(format(record, line));
                            printed[0]++;
                        }
                    }, 1);
                    if (0 == read && !reader.hasData())
                    {
                        break;
                    }
                }
            }
            catch (final JournalException ex)
            {
                if (ex.code() == JournalException.Code.CORRUPT_FRAME)
                {
                    out.println("!! " + ex.getMessage());
                    out.printf("records=%d (stopped at a damaged frame)%n", printed[0]);
                    return 2;
                }
                throw ex;
            }
            final JournalException damage = journal.recoveryDamage();
            if (null != damage && rangeEnd == journal.tailLsn())
            {
                out.println("!! " + damage.getMessage());
                out.printf("records=%d (stopped at a damaged frame)%n", printed[0]);
                return 2;
            }
            out.printf("records=%d%n", printed[0]);
            return 0;
        }
    }

    /**
     * One record as a line: {@code LSN TYPE txn=N time DB ^Global(subs) = "value"}.
     */
    static StringBuilder format(final JournalRecord record, final StringBuilder out)
    {
        out.append(String.format("%14d %-9s txn=%-6d %s", record.lsn(), record.type(), record.transactionId(),
            Instant.ofEpochMilli(record.timestamp())));
        final RecordType type = record.type();
        if (type.isNodeRecord())
        {
            out.append(' ').append(record.database()).append(' ');
            record.appendNode(out);
            if (type == RecordType.SET)
            {
                out.append(" = ");
                preview(record.value(), out);
            }
            appendBeforeImage(record, out);
        }
        else if (type == RecordType.EPOCH_START)
        {
            out.append(" epoch=").append(record.epoch()).append(" member=").append(record.epochMember());
        }
        return out;
    }

    /**
     * {@code was=<old value>}, {@code was=undefined} or {@code was=[(sub):value ...]} for a KILL.
     */
    private static void appendBeforeImage(final JournalRecord record, final StringBuilder out)
    {
        switch (record.beforeImageKind())
        {
            case BeforeImageDescriptor.KIND_UNDEFINED:
                out.append(" was=undefined");
                break;
            case BeforeImageDescriptor.KIND_VALUE:
                out.append(" was=");
                preview(record.beforeValue(), out);
                break;
            case BeforeImageDescriptor.KIND_NODES:
                out.append(" was=[");
                final int start = out.length();
                record.forEachBeforeNode((buffer, keyOffset, keyLength, valueOffset, valueLength) ->
                {
                    if (out.length() > start)
                    {
                        out.append(' ');
                    }
                    SubscriptCodec.format(buffer, keyOffset, keyLength, out);
                    out.append(':');
                    final byte[] value = new byte[valueLength];
                    buffer.getBytes(valueOffset, value);
                    preview(value, out);
                });
                out.append(']');
                break;
            default:
                break;
        }
    }

    /**
     * A quoted string when the value is printable UTF-8, hex otherwise; long values are cut with their length.
     */
    static void preview(final byte[] value, final StringBuilder out)
    {
        String text = null;
        try
        {
            text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(value)).toString();
            for (int i = 0; i < text.length(); i++)
            {
                if (Character.isISOControl(text.charAt(i)))
                {
                    text = null;
                    break;
                }
            }
        }
        catch (final CharacterCodingException ex)
        {
            text = null;
        }

        if (null != text)
        {
            final boolean cut = text.length() > PREVIEW_CHARS;
            out.append('"').append((cut ? text.substring(0, PREVIEW_CHARS) : text).replace("\"", "\"\"")).append('"');
            if (cut)
            {
                out.append("... (").append(value.length).append(" bytes)");
            }
        }
        else
        {
            out.append("0x");
            final int shown = Math.min(value.length, PREVIEW_CHARS / 2);
            for (int i = 0; i < shown; i++)
            {
                out.append(String.format("%02x", value[i] & 0xFF));
            }
            if (shown < value.length)
            {
                out.append("... (").append(value.length).append(" bytes)");
            }
        }
    }
}
