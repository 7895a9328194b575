package io.jmirror.harness;

import java.time.Duration;
import picocli.CommandLine;

/**
 * Reads durations the way operators write them: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}; a bare number
 * is seconds.
 */
final class DurationConverter implements CommandLine.ITypeConverter<Duration>
{
    @Override
    public Duration convert(final String value)
    {
        return parse(value);
    }

    static Duration parse(final String value)
    {
        final String text = value.trim().toLowerCase(java.util.Locale.ROOT);
        try
        {
            if (text.endsWith("ms"))
            {
                return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            }
            if (text.endsWith("s"))
            {
                return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            }
            if (text.endsWith("m"))
            {
                return Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
            }
            if (text.endsWith("h"))
            {
                return Duration.ofHours(Long.parseLong(text.substring(0, text.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(text));
        }
        catch (final NumberFormatException ex)
        {
            throw new CommandLine.TypeConversionException(
                "not a duration: '" + value + "' (examples: 500ms, 30s, 2m, 1h)");
        }
    }

    static String format(final Duration duration)
    {
        final long ms = duration.toMillis();
        return ms % 1000 != 0 ? ms + "ms" : (ms / 1000) + "s";
    }
}
