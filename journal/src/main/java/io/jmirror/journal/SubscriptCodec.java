package io.jmirror.journal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;

/**
 * Static helpers over encoded subscript keys, the byte strings built by {@link SubscriptKey}.
 * <p>
 * A key is the concatenation of its subscripts' encodings, so unsigned lexicographic byte order of keys is IRIS
 * collation: canonical numbers before strings, numbers in numeric order, strings in code point order, and a
 * parent before its descendants, which come before its next sibling. Every subscript's encoding is self-delimiting
 * and no subscript's encoding is a byte prefix of another's, so "key K and its descendants" is exactly "keys that
 * start with K": a KILL is a prefix range and a merge of sorted runs is a byte compare.
 * <pre>
 *  key       = subscript*      (empty key = the global's root node)
 *
 *  zero      +------+
 *            | 0x02 |
 *            +------+
 *
 *  positive  +------+-----------------+--------+--------+-----+--------+
 *            | 0x03 | E + 0x8000      | pair 1 | pair 2 | ... |  0x00  |
 *            |      | u16 big-endian  | 01..64 | 01..64 |     |  end   |
 *            +------+-----------------+--------+--------+-----+--------+
 *
 *  negative  +------+-----------------+--------+--------+-----+--------+
 *            | 0x01 | 0xFFFF - (E +   | FF - p | FF - p | ... |  0xFF  |
 *            |      | 0x8000), u16 BE | 9B..FE | 9B..FE |     |  end   |
 *            +------+-----------------+--------+--------+-----+--------+
 *
 *  string    +------+-------------------------------------------+--------+
 *            | 0x04 | UTF-8 of the code points, except          |  0x00  |
 *            |      |   0x00 -> 0x01 0x01 and 0x01 -> 0x01 0x02 |  end   |
 *            |      |   (at least one code point)               |        |
 *            +------+-------------------------------------------+--------+
 * </pre>
 * <ul>
 *   <li><b>Tags</b> order the kinds: negative &lt; zero &lt; positive &lt; string. No tag is 0x00 or 0xFF.</li>
 *   <li><b>Numbers</b> are {@code 0.d1 d2 d3 ... dn x 10^E} with {@code d1 != 0} and {@code dn != 0}, so each value has
 *   one encoding. Digits go two to a byte, {@code pair = 10 * d(2k-1) + d(2k) + 1}, an odd last digit padded with 0;
 *   the terminator 0x00 sorts below every pair, so 0.5 &lt; 0.51. A larger E is a larger magnitude. Negatives store
 *   the bitwise complement of the exponent, pairs and terminator, which reverses the order of magnitudes.
 *   E is limited to [-32768, 32767], far beyond a double's range. Arbitrary precision otherwise:
 *   {@code 42} is {@code 03 80 02 2B 00}, {@code -.5} is {@code 01 7F FF CC FF}.</li>
 *   <li><b>Strings</b> are UTF-8, which sorts by code point (Java's {@code String.compareTo} does not for
 *   supplementary characters). An unpaired surrogate is written as its own 3-byte sequence (as WTF-8 does) rather
 *   than lost. Bytes 0x00 and 0x01 are escaped so that 0x00 only ever ends a string. A single 0x00 terminator with
 *   an 0x00 0xFF escape would not do: the key of ("a") would be a byte prefix of the key of ($C(97,0)), and a KILL
 *   of ^G("a") would take ^G("a"_$C(0)) with it. A string that is a canonical number is never stored as a string:
 *   ^G("42") is ^G(42). The empty string is not a subscript, as in IRIS ({@code <SUBSCRIPT>}).</li>
 * </ul>
 * {@link #validate} accepts exactly the keys {@link SubscriptKey} produces, so two keys are the same node if and only
 * if their bytes are equal. Offsets in error messages are relative to the start of the key.
 */
public final class SubscriptCodec
{
    /** Tag of a negative number. */
    public static final byte NEGATIVE_TAG = 0x01;
    /** Tag of the number zero, which has no further bytes. */
    public static final byte ZERO_TAG = 0x02;
    /** Tag of a positive number. */
    public static final byte POSITIVE_TAG = 0x03;
    /** Tag of a string that is not a canonical number. */
    public static final byte STRING_TAG = 0x04;
    /** Added to a number's decimal exponent so that it sorts as an unsigned 16-bit value. */
    public static final int EXPONENT_BIAS = 0x8000;
    /** Smallest decimal exponent E of {@code 0.d1d2... x 10^E}. */
    public static final int MIN_EXPONENT = -0x8000;
    /** Largest decimal exponent E of {@code 0.d1d2... x 10^E}. */
    public static final int MAX_EXPONENT = 0x7FFF;
    /** Ends a string; escapes never produce it. */
    public static final int STRING_TERMINATOR = 0x00;
    /** Starts the escape of 0x00 (as 0x01 0x01) or 0x01 (as 0x01 0x02) inside a string. */
    public static final int STRING_ESCAPE = 0x01;
    /** Ends a positive number; negatives end with its complement 0xFF. */
    public static final int NUMBER_TERMINATOR = 0x00;
    /** Why an empty string subscript is refused; messages add the subscript's position, 1 for the first. */
    static final String EMPTY_STRING_REFUSED = "empty string is not a valid subscript (IRIS <SUBSCRIPT>)";

    private static final int CANONICAL_START = 0;
    private static final int CANONICAL_MINUS = 1;
    private static final int CANONICAL_ZERO = 2;
    private static final int CANONICAL_INTEGER = 3;
    private static final int CANONICAL_FRACTION = 4;
    private static final int CANONICAL_FRACTION_NONZERO = 5;
    private static final int CANONICAL_REJECT = 6;

    private SubscriptCodec()
    {
    }

    /**
     * Number of subscripts of a key. Walks the subscript boundaries only; use {@link #validate} for untrusted bytes.
     */
    public static int count(final DirectBuffer buffer, final int offset, final int length)
    {
        final int end = offset + length;
        int position = offset;
        int count = 0;
        while (position < end)
        {
            position = subscriptEnd(buffer, offset, position, end);
            count++;
        }
        return count;
    }

    /**
     * Appends the IRIS display form: {@code (42,"na""me",-.5)}, nothing for the root. Strings are quoted with
     * {@code ""} doubling, and control characters are written as {@code $C(n)} pieces joined with {@code _}, as
     * ZWRITE does, so a dump stays on one line: {@code ("a"_$C(0,9)_"b")}. Validates the key first.
     */
    public static void format(final DirectBuffer buffer, final int offset, final int length, final StringBuilder out)
    {
        validate(buffer, offset, length);
        if (length > 0)
        {
            out.append('(');
            render(buffer, offset, offset + length, out, null);
            out.append(')');
        }
    }

    /**
     * Decodes the subscripts in order: a number is a {@link Long} when it is integral and fits, a stripped
     * {@link BigDecimal} otherwise (2.5, 1E+30); a string is a {@link String}. Validates the key first.
     */
    public static List<Object> decode(final DirectBuffer buffer, final int offset, final int length)
    {
        validate(buffer, offset, length);
        final List<Object> subscripts = new ArrayList<>();
        render(buffer, offset, offset + length, new StringBuilder(), subscripts);
        return subscripts;
    }

    /**
     * Throws {@link IllegalArgumentException} naming the offset (relative to the key) and the problem unless the
     * bytes are exactly what {@link SubscriptKey} would produce for some node: known tags, digit pairs in range with
     * no leading or trailing zero digit, well-formed UTF-8 with only the two escapes, every subscript terminated and
     * no string that is empty or a canonical number.
     */
    public static void validate(final DirectBuffer buffer, final int offset, final int length)
    {
        if (offset < 0 || length < 0 || (long)offset + length > buffer.capacity())
        {
            throw new IllegalArgumentException("subscript key out of bounds: offset=" + offset + " length=" + length +
                " capacity=" + buffer.capacity());
        }
        final int end = offset + length;
        int position = offset;
        int subscripts = 0;
        while (position < end)
        {
            final int tag = buffer.getByte(position) & 0xFF;
            subscripts++;
            switch (tag)
            {
                case ZERO_TAG:
                    position++;
                    break;
                case POSITIVE_TAG:
                case NEGATIVE_TAG:
                    position = validateNumber(buffer, offset, position, end);
                    break;
                case STRING_TAG:
                    position = validateString(buffer, offset, position, end, subscripts);
                    break;
                default:
                    throw malformed(position - offset, "unknown tag 0x" + hex(tag));
            }
        }
    }

    /**
     * Byte length of the first {@code n} subscripts: the key of the ancestor at depth {@code n}.
     *
     * @throws IllegalArgumentException if {@code n} is negative or more than the key's subscript count.
     */
    public static int prefixLength(final DirectBuffer buffer, final int offset, final int length, final int n)
    {
        if (n < 0)
        {
            throw new IllegalArgumentException("negative depth: n=" + n);
        }
        final int end = offset + length;
        int position = offset;
        for (int i = 0; i < n; i++)
        {
            if (position >= end)
            {
                throw new IllegalArgumentException("key is shallower than depth: n=" + n + " count=" + i);
            }
            position = subscriptEnd(buffer, offset, position, end);
        }
        return position - offset;
    }

    /**
     * Whether {@code key} is {@code ancestor} or one of its descendants. Because no subscript's encoding is a prefix
     * of another's, this is a byte prefix test.
     */
    public static boolean isSelfOrDescendant(
        final DirectBuffer ancestor, final int ancestorOffset, final int ancestorLength,
        final DirectBuffer key, final int offset, final int length)
    {
        return ancestorLength <= length &&
            mismatch(ancestor, ancestorOffset, key, offset, ancestorLength) == ancestorLength;
    }

    /**
     * Unsigned lexicographic comparison of two keys, which is IRIS collation.
     *
     * @return negative, zero or positive as {@code a} sorts before, with or after {@code b}.
     */
    public static int compare(
        final DirectBuffer a, final int aOffset, final int aLength,
        final DirectBuffer b, final int bOffset, final int bLength)
    {
        final int common = Math.min(aLength, bLength);
        final int i = mismatch(a, aOffset, b, bOffset, common);
        if (i < common)
        {
            return (a.getByte(aOffset + i) & 0xFF) - (b.getByte(bOffset + i) & 0xFF);
        }
        return Integer.compare(aLength, bLength);
    }

    /**
     * Whether a string subscript is an IRIS canonical number and so names the same node as that number:
     * "0", "42", "-7", ".5", "-.5", "3.14" are; "042", "4.0", "+4", "1e3", "-0", "0.5", "." and "" are not.
     */
    public static boolean isCanonicalNumber(final CharSequence s)
    {
        final int n = s.length();
        int state = CANONICAL_START;
        for (int i = 0; i < n && state != CANONICAL_REJECT; i++)
        {
            state = canonicalStep(state, s.charAt(i));
        }
        return isCanonicalAccept(state);
    }

    static int canonicalStep(final int state, final int c)
    {
        final boolean digit = c >= '0' && c <= '9';
        switch (state)
        {
            case CANONICAL_START:
                return c == '-' ? CANONICAL_MINUS : c == '0' ? CANONICAL_ZERO : digit ? CANONICAL_INTEGER :
                    c == '.' ? CANONICAL_FRACTION : CANONICAL_REJECT;
            case CANONICAL_MINUS:
                return c == '.' ? CANONICAL_FRACTION : digit && c != '0' ? CANONICAL_INTEGER : CANONICAL_REJECT;
            case CANONICAL_INTEGER:
                return c == '.' ? CANONICAL_FRACTION : digit ? CANONICAL_INTEGER : CANONICAL_REJECT;
            case CANONICAL_FRACTION:
            case CANONICAL_FRACTION_NONZERO:
                return c == '0' ? CANONICAL_FRACTION : digit ? CANONICAL_FRACTION_NONZERO : CANONICAL_REJECT;
            default:
                return CANONICAL_REJECT;
        }
    }

    static boolean isCanonicalAccept(final int state)
    {
        return state == CANONICAL_ZERO || state == CANONICAL_INTEGER || state == CANONICAL_FRACTION_NONZERO;
    }

    /**
     * End of the subscript starting at {@code position}, checking only what is needed to find it.
     */
    static int subscriptEnd(final DirectBuffer buffer, final int offset, final int position, final int end)
    {
        final int tag = buffer.getByte(position) & 0xFF;
        switch (tag)
        {
            case ZERO_TAG:
                return position + 1;
            case POSITIVE_TAG:
            case NEGATIVE_TAG:
                if (position + 3 > end)
                {
                    throw malformed(end - offset, "truncated exponent");
                }
                return scanTo(buffer, offset, position + 3, end, tag == POSITIVE_TAG ? 0x00 : 0xFF,
                    "unterminated number") + 1;
            case STRING_TAG:
                return scanTo(buffer, offset, position + 1, end, STRING_TERMINATOR, "unterminated string") + 1;
            default:
                throw malformed(position - offset, "unknown tag 0x" + hex(tag));
        }
    }

    static IllegalArgumentException malformed(final int offset, final String reason)
    {
        return new IllegalArgumentException("malformed subscript key: offset=" + offset + " reason=" + reason);
    }

    private static int scanTo(
        final DirectBuffer buffer, final int offset, final int from, final int end, final int value, final String why)
    {
        for (int i = from; i < end; i++)
        {
            if ((buffer.getByte(i) & 0xFF) == value)
            {
                return i;
            }
        }
        throw malformed(end - offset, why);
    }

    private static int mismatch(
        final DirectBuffer a, final int aOffset, final DirectBuffer b, final int bOffset, final int length)
    {
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            if (a.getLong(aOffset + i, ByteOrder.BIG_ENDIAN) != b.getLong(bOffset + i, ByteOrder.BIG_ENDIAN))
            {
                break;
            }
        }
        for (; i < length; i++)
        {
            if (a.getByte(aOffset + i) != b.getByte(bOffset + i))
            {
                return i;
            }
        }
        return length;
    }

    private static int validateNumber(final DirectBuffer buffer, final int offset, final int position, final int end)
    {
        final boolean negative = buffer.getByte(position) == NEGATIVE_TAG;
        if (position + 3 > end)
        {
            throw malformed(end - offset, "truncated exponent");
        }
        final int terminator = negative ? 0xFF : NUMBER_TERMINATOR;
        final int first = position + 3;
        for (int i = first; i < end; i++)
        {
            final int raw = buffer.getByte(i) & 0xFF;
            final int pair = (negative ? 0xFF - raw : raw) - 1;
            if (raw == terminator)
            {
                if (i == first)
                {
                    throw malformed(i - offset, "number without digits");
                }
                if (pairAt(buffer, i - 1, negative) == 0)
                {
                    throw malformed(i - 1 - offset, "trailing zero digits");
                }
                return i + 1;
            }
            if (pair < 0 || pair > 99)
            {
                throw malformed(i - offset, "digit pair out of range 0x" + hex(raw));
            }
            if (i == first && pair < 10)
            {
                throw malformed(i - offset, "leading zero digit");
            }
        }
        throw malformed(end - offset, "unterminated number");
    }

    private static int validateString(
        final DirectBuffer buffer, final int offset, final int position, final int end, final int subscript)
    {
        final int contentStart = position + 1;
        if (contentStart < end && (buffer.getByte(contentStart) & 0xFF) == STRING_TERMINATOR)
        {
            throw malformed(position - offset, EMPTY_STRING_REFUSED + ": position=" + subscript);
        }
        int canonical = CANONICAL_START;
        int highSurrogateEnd = -1;
        int i = contentStart;
        while (true)
        {
            if (i >= end)
            {
                throw malformed(end - offset, "unterminated string");
            }
            final int lead = buffer.getByte(i) & 0xFF;
            if (lead == STRING_TERMINATOR)
            {
                break;
            }
            canonical = canonicalStep(canonical, lead);
            if (lead == STRING_ESCAPE)
            {
                final int escaped = i + 1 < end ? buffer.getByte(i + 1) & 0xFF : -1;
                if (escaped != 0x01 && escaped != 0x02)
                {
                    throw malformed(i - offset, "bad escape 0x01 followed by " +
                        (escaped < 0 ? "end of key" : "0x" + hex(escaped)));
                }
                i += 2;
                continue;
            }
            final int sequenceLength = utf8Length(lead);
            if (sequenceLength < 0)
            {
                throw malformed(i - offset, "invalid UTF-8 lead byte 0x" + hex(lead));
            }
            for (int k = 1; k < sequenceLength; k++)
            {
                if (i + k >= end || (buffer.getByte(i + k) & 0xC0) != 0x80)
                {
                    throw malformed(i + k - offset, "truncated UTF-8 sequence");
                }
            }
            final int codePoint = codePointAt(buffer, i);
            if (sequenceLength > 1 && codePoint < (sequenceLength == 2 ? 0x80 : sequenceLength == 3 ? 0x800 : 0x10000))
            {
                throw malformed(i - offset, "overlong UTF-8 sequence");
            }
            if (codePoint > Character.MAX_CODE_POINT)
            {
                throw malformed(i - offset, "code point above U+10FFFF");
            }
            if (codePoint >= Character.MIN_LOW_SURROGATE && codePoint <= Character.MAX_LOW_SURROGATE &&
                i == highSurrogateEnd)
            {
                throw malformed(i - offset, "surrogate pair written as two sequences");
            }
            highSurrogateEnd =
                codePoint >= Character.MIN_HIGH_SURROGATE && codePoint <= Character.MAX_HIGH_SURROGATE ?
                i + sequenceLength : -1;
            i += sequenceLength;
        }
        if (isCanonicalAccept(canonical))
        {
            throw malformed(contentStart - offset, "canonical number written as a string");
        }
        return i + 1;
    }

    /** Bytes in the UTF-8 sequence this lead byte starts, -1 if none can (continuations, overlong C0/C1, F5+). */
    private static int utf8Length(final int lead)
    {
        return lead < 0x80 ? 1 : lead < 0xC2 ? -1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : -1;
    }

    /** The code point at {@code i} of a validated string, and {@link #encodedLength} says how many bytes it took. */
    private static int codePointAt(final DirectBuffer buffer, final int i)
    {
        final int lead = buffer.getByte(i) & 0xFF;
        if (lead == STRING_ESCAPE)
        {
            return buffer.getByte(i + 1) - 1;
        }
        final int sequenceLength = utf8Length(lead);
        int codePoint = lead & (sequenceLength == 1 ? 0x7F : 0xFF >> (sequenceLength + 1));
        for (int k = 1; k < sequenceLength; k++)
        {
            codePoint = (codePoint << 6) | (buffer.getByte(i + k) & 0x3F);
        }
        return codePoint;
    }

    private static int encodedLength(final DirectBuffer buffer, final int i)
    {
        final int lead = buffer.getByte(i) & 0xFF;
        return lead == STRING_ESCAPE ? 2 : utf8Length(lead);
    }

    /**
     * Appends the display form of each subscript of a validated key to {@code out}, comma separated; or, when
     * {@code subscripts} is given, adds each decoded value to it and uses {@code out} as scratch.
     */
    private static void render(
        final DirectBuffer buffer, final int from, final int end,
        final StringBuilder out, final List<Object> subscripts)
    {
        final boolean display = subscripts == null;
        int position = from;
        while (position < end)
        {
            final int next = subscriptEnd(buffer, from, position, end);
            final byte tag = buffer.getByte(position);
            if (display && position > from)
            {
                out.append(',');
            }
            out.setLength(display ? out.length() : 0);
            if (tag == ZERO_TAG)
            {
                out.append(display ? "0" : "");
                add(subscripts, 0L);
            }
            else if (tag == STRING_TAG)
            {
                appendString(buffer, position + 1, next - 1, out, display);
                add(subscripts, display ? null : out.toString());
            }
            else
            {
                add(subscripts, appendNumber(buffer, position, next - 1, out, display));
            }
            position = next;
        }
    }

    private static void add(final List<Object> subscripts, final Object subscript)
    {
        if (subscripts != null)
        {
            subscripts.add(subscript);
        }
    }

    private static void appendString(
        final DirectBuffer buffer, final int from, final int terminator, final StringBuilder out, final boolean quoted)
    {
        boolean inQuote = false;
        boolean inControl = false;
        for (int i = from; i < terminator; i += encodedLength(buffer, i))
        {
            final int codePoint = codePointAt(buffer, i);
            if (!quoted)
            {
                out.appendCodePoint(codePoint);
            }
            else if (Character.isISOControl(codePoint))
            {
                out.append(inQuote ? "\"_$C(" : inControl ? "," : i > from ? "_$C(" : "$C(").append(codePoint);
                inQuote = false;
                inControl = true;
            }
            else
            {
                out.append(inControl ? ")_\"" : inQuote ? "" : "\"").appendCodePoint(codePoint);
                out.append(codePoint == '"' ? "\"" : "");
                inQuote = true;
                inControl = false;
            }
        }
        if (quoted)
        {
            out.append(inControl ? ")" : inQuote ? "\"" : "\"\"");
        }
    }

    /**
     * Appends the canonical form of the number at {@code position} (no exponent, no leading zero before the point)
     * and returns null; or, when not for display, returns its value with {@code out} as scratch.
     */
    private static Object appendNumber(
        final DirectBuffer buffer, final int position, final int terminator,
        final StringBuilder out, final boolean display)
    {
        final boolean negative = buffer.getByte(position) == NEGATIVE_TAG;
        final int stored = buffer.getShort(position + 1, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int exponent = (negative ? 0xFFFF - stored : stored) - EXPONENT_BIAS;
        final int first = position + 3;
        final int digitCount = 2 * (terminator - first) - (pairAt(buffer, terminator - 1, negative) % 10 == 0 ? 1 : 0);
        out.append(negative ? "-" : "");
        if (display && exponent <= 0)
        {
            out.append('.').append("0".repeat(-exponent));
        }
        for (int d = 0; d < digitCount; d++)
        {
            out.append(display && d == exponent && exponent > 0 ? "." : "");
            final int pair = pairAt(buffer, first + (d >> 1), negative);
            out.append((char)('0' + ((d & 1) == 0 ? pair / 10 : pair % 10)));
        }
        if (display)
        {
            out.append(exponent > digitCount ? "0".repeat(exponent - digitCount) : "");
            return null;
        }
        // value = 0.d1...dn x 10^exponent = (d1...dn) x 10^(exponent - n)
        final BigInteger unscaled = new BigInteger(out.toString());
        if (exponent >= digitCount && exponent <= 19)
        {
            final BigInteger integer = unscaled.multiply(BigInteger.TEN.pow(exponent - digitCount));
            if (integer.bitLength() <= 63)
            {
                return integer.longValue();
            }
        }
        return new BigDecimal(unscaled, digitCount - exponent);
    }

    private static int pairAt(final DirectBuffer buffer, final int index, final boolean negative)
    {
        final int raw = buffer.getByte(index) & 0xFF;
        return (negative ? 0xFF - raw : raw) - 1;
    }

    private static String hex(final int value)
    {
        return String.format("%02X", value);
    }
}
