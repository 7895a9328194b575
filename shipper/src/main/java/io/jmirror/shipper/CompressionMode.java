package io.jmirror.shipper;

import java.util.Locale;
import java.util.Objects;

/**
 * Per-member compression setting, as IRIS offers it: uncompressed, LZ4, Zstd at a level, or "system selected".
 * <p>
 * It is a setting, not a codec: a session asks {@link #codecFor(MemberRole)} which {@link Codec} to put in its
 * BATCH frames, so one configured mode can mean different codecs for different members. System selected does what
 * IRIS does: LZ4 to the failover partner, where response time matters because its acks gate commits, and Zstd
 * level 1 to the asyncs, where network use matters more than a few microseconds.
 * <p>
 * Immutable. {@link #toString()} gives the form {@link #parse(String)} reads, so a configuration file round-trips.
 */
public final class CompressionMode
{
    /** Lowest Zstd level accepted (negative "fast" levels are left out: LZ4 covers that need). */
    public static final int ZSTD_MIN_LEVEL = 1;
    /** Highest Zstd level. */
    public static final int ZSTD_MAX_LEVEL = 22;
    /** The level used by {@code zstd} without a level and by system selected for asyncs. */
    public static final int ZSTD_LEVEL_DEFAULT = 1;

    private static final String NONE_TEXT = "none";
    private static final String LZ4_TEXT = "lz4";
    private static final String ZSTD_TEXT = "zstd";
    private static final String SYSTEM_TEXT = "system";
    private static final String FORMS = "none | lz4 | zstd | zstd:LEVEL (" + ZSTD_MIN_LEVEL + ".." + ZSTD_MAX_LEVEL +
        ") | system";

    private enum Kind
    {
        NONE, LZ4, ZSTD, SYSTEM
    }

    private static final CompressionMode NONE = new CompressionMode(Kind.NONE, 0);
    private static final CompressionMode LZ4 = new CompressionMode(Kind.LZ4, 0);
    private static final CompressionMode SYSTEM = new CompressionMode(Kind.SYSTEM, ZSTD_LEVEL_DEFAULT);

    private final Kind kind;
    private final int zstdLevel;

    private CompressionMode(final Kind kind, final int zstdLevel)
    {
        this.kind = kind;
        this.zstdLevel = zstdLevel;
    }

    /**
     * @return raw journal bytes to every member.
     */
    public static CompressionMode none()
    {
        return NONE;
    }

    /**
     * @return LZ4 to every member.
     */
    public static CompressionMode lz4()
    {
        return LZ4;
    }

    /**
     * @param level Zstd level, {@value #ZSTD_MIN_LEVEL}..{@value #ZSTD_MAX_LEVEL}.
     * @return Zstd at that level to every member.
     * @throws ShipperException INVALID_CONFIG when the level is out of range.
     */
    public static CompressionMode zstd(final int level)
    {
        if (level < ZSTD_MIN_LEVEL || level > ZSTD_MAX_LEVEL)
        {
            throw new ShipperException(ShipperException.Code.INVALID_CONFIG,
                "zstd level must be " + ZSTD_MIN_LEVEL + ".." + ZSTD_MAX_LEVEL + ": zstdLevel=" + level);
        }
        return new CompressionMode(Kind.ZSTD, level);
    }

    /**
     * @return LZ4 to the failover partner, Zstd level {@value #ZSTD_LEVEL_DEFAULT} to asyncs (the IRIS default).
     */
    public static CompressionMode systemSelected()
    {
        return SYSTEM;
    }

    /**
     * Reads a mode as written in configuration: {@code none}, {@code lz4}, {@code zstd} (level
     * {@value #ZSTD_LEVEL_DEFAULT}), {@code zstd:LEVEL} or {@code system}, in any case, surrounding blanks ignored.
     *
     * @param text the setting.
     * @return the mode.
     * @throws ShipperException INVALID_CONFIG naming the text and the accepted forms.
     */
    public static CompressionMode parse(final String text)
    {
        if (null == text)
        {
            throw invalid(null, "");
        }

        final String lower = text.trim().toLowerCase(Locale.ROOT);
        switch (lower)
        {
            case NONE_TEXT:
                return NONE;
            case LZ4_TEXT:
                return LZ4;
            case ZSTD_TEXT:
                return zstd(ZSTD_LEVEL_DEFAULT);
            case SYSTEM_TEXT:
                return SYSTEM;
            default:
                break;
        }

        final String zstdPrefix = ZSTD_TEXT + ":";
        if (lower.startsWith(zstdPrefix))
        {
            final String levelText = lower.substring(zstdPrefix.length()).trim();
            final int level;
            try
            {
                level = Integer.parseInt(levelText);
            }
            catch (final NumberFormatException ex)
            {
                throw invalid(text, " (zstd level is not a number)");
            }
            if (level < ZSTD_MIN_LEVEL || level > ZSTD_MAX_LEVEL)
            {
                throw invalid(text, " (zstd level out of range)");
            }
            return zstd(level);
        }

        throw invalid(text, "");
    }

    private static ShipperException invalid(final String text, final String why)
    {
        return new ShipperException(ShipperException.Code.INVALID_CONFIG,
            "unknown compression mode" + why + ": compression=\"" + text + "\" expected " + FORMS);
    }

    /**
     * @param role the receiving member's role.
     * @return the codec to ship to that member. System selected gives LZ4 to the failover members (the backup;
     * the primary too, for a mode copied to a member that later takes over) and Zstd to the asyncs.
     */
    public Codec codecFor(final MemberRole role)
    {
        Objects.requireNonNull(role, "role");
        switch (kind)
        {
            case NONE:
                return Codec.NONE;
            case LZ4:
                return Codec.LZ4;
            case ZSTD:
                return Codec.ZSTD;
            case SYSTEM:
                return role.isAsync() ? Codec.ZSTD : Codec.LZ4;
            default:
                throw new IllegalStateException("unknown kind: " + kind);
        }
    }

    /**
     * @return the Zstd level used whenever {@link #codecFor(MemberRole)} gives {@link Codec#ZSTD}; 0 for modes
     * that never select Zstd ({@code none}, {@code lz4}).
     */
    public int zstdLevel()
    {
        return zstdLevel;
    }

    @Override
    public boolean equals(final Object other)
    {
        if (this == other)
        {
            return true;
        }
        if (!(other instanceof CompressionMode))
        {
            return false;
        }
        final CompressionMode that = (CompressionMode)other;
        return kind == that.kind && zstdLevel == that.zstdLevel;
    }

    @Override
    public int hashCode()
    {
        return 31 * kind.ordinal() + zstdLevel;
    }

    /**
     * @return the form {@link #parse(String)} reads: {@code none}, {@code lz4}, {@code zstd:LEVEL} or
     * {@code system}.
     */
    @Override
    public String toString()
    {
        switch (kind)
        {
            case NONE:
                return NONE_TEXT;
            case LZ4:
                return LZ4_TEXT;
            case ZSTD:
                return ZSTD_TEXT + ":" + zstdLevel;
            case SYSTEM:
                return SYSTEM_TEXT;
            default:
                throw new IllegalStateException("unknown kind: " + kind);
        }
    }
}
