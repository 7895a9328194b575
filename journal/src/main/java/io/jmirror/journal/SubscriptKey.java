package io.jmirror.journal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Reusable builder of one node's encoded subscripts; not thread-safe; no allocation when adding longs or once its
 * buffer has grown.
 * <p>
 * The bytes sort in IRIS collation and a node's key is a byte prefix of its descendants' keys; the layout is in
 * {@link SubscriptCodec}. Numbers are normalised on the way in, so every way of writing a number names one node:
 * {@code add(42)}, {@code add("42")}, {@code add(42.0)} and {@code add(new BigDecimal("42.00"))} give equal keys,
 * while {@code add("042")} is a string. The empty string is refused, as IRIS refuses it with {@code <SUBSCRIPT>}: there
 * it only ever starts an $ORDER (the dejournal store's {@code orderChild} here), and a node named by it made an $ORDER
 * walk over its siblings loop forever. A writer keeps one instance per thread and {@link #clear()}s it per record.
 */
public final class SubscriptKey implements Comparable<SubscriptKey>
{
    private static final int INITIAL_CAPACITY = 64;
    private static final int LONG_DIGITS = 20;

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(INITIAL_CAPACITY);
    private byte[] digits = new byte[LONG_DIGITS];
    private int length;
    private int count;

    /**
     * An empty key: the root node of a global.
     */
    public SubscriptKey()
    {
    }

    /**
     * A new key with the given subscripts, for tests and tools (it boxes): {@code Long}, {@code Integer},
     * {@code Short}, {@code Byte}, {@code BigInteger}, {@code BigDecimal}, {@code Double}, {@code Float} and
     * {@code CharSequence}.
     *
     * @throws IllegalArgumentException for an empty string, naming its position (1 for the first subscript), or any
     * other subscript the add methods refuse.
     */
    public static SubscriptKey of(final Object... subscripts)
    {
        final SubscriptKey key = new SubscriptKey();
        for (final Object subscript : subscripts)
        {
            key.addObject(subscript);
        }
        return key;
    }

    /**
     * Back to the root node (no subscripts).
     *
     * @return this.
     */
    public SubscriptKey clear()
    {
        length = 0;
        count = 0;
        return this;
    }

    /**
     * Appends a number subscript without allocating.
     *
     * @return this.
     */
    public SubscriptKey add(final long number)
    {
        if (number == 0)
        {
            return addZero();
        }
        // Work on the negative magnitude, which also holds Long.MIN_VALUE.
        long negativeMagnitude = number < 0 ? number : -number;
        int from = LONG_DIGITS;
        while (negativeMagnitude != 0)
        {
            digits[--from] = (byte)-(negativeMagnitude % 10);
            negativeMagnitude /= 10;
        }
        return addNumber(number < 0, LONG_DIGITS - from, from, LONG_DIGITS);
    }

    /**
     * Appends a string subscript, or the number it names when it is a canonical number ("42", "-.5"), as IRIS does.
     *
     * @return this.
     * @throws IllegalArgumentException for the empty string, which IRIS refuses as a subscript ({@code <SUBSCRIPT>}).
     */
    public SubscriptKey add(final String subscript)
    {
        Objects.requireNonNull(subscript, "subscript");
        if (subscript.isEmpty())
        {
            throw new IllegalArgumentException(SubscriptCodec.EMPTY_STRING_REFUSED + ": position=" + (count + 1));
        }
        if (SubscriptCodec.isCanonicalNumber(subscript))
        {
            return addCanonicalNumber(subscript);
        }
        put(SubscriptCodec.STRING_TAG);
        final int n = subscript.length();
        for (int i = 0; i < n; i++)
        {
            final char c = subscript.charAt(i);
            if (c < 0x80)
            {
                if (c <= SubscriptCodec.STRING_ESCAPE)
                {
                    put(SubscriptCodec.STRING_ESCAPE);
                    put(c + 1);
                }
                else
                {
                    put(c);
                }
            }
            else if (c < 0x800)
            {
                put(0xC0 | (c >> 6));
                put(0x80 | (c & 0x3F));
            }
            else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(subscript.charAt(i + 1)))
            {
                final int codePoint = Character.toCodePoint(c, subscript.charAt(++i));
                put(0xF0 | (codePoint >> 18));
                put(0x80 | ((codePoint >> 12) & 0x3F));
                put(0x80 | ((codePoint >> 6) & 0x3F));
                put(0x80 | (codePoint & 0x3F));
            }
            else
            {
                // includes an unpaired surrogate, kept as its own code point rather than replaced by '?'
                put(0xE0 | (c >> 12));
                put(0x80 | ((c >> 6) & 0x3F));
                put(0x80 | (c & 0x3F));
            }
        }
        put(SubscriptCodec.STRING_TERMINATOR);
        count++;
        return this;
    }

    /**
     * Appends a number subscript of any precision; 2.50 and 2.5 are the same node.
     *
     * @return this.
     * @throws IllegalArgumentException if its decimal exponent is outside what the encoding holds (about 1E±32767).
     */
    public SubscriptKey add(final BigDecimal number)
    {
        Objects.requireNonNull(number, "number");
        if (number.signum() == 0)
        {
            return addZero();
        }
        final BigDecimal stripped = number.stripTrailingZeros();
        final String unscaled = stripped.unscaledValue().abs().toString();
        final long exponent = (long)unscaled.length() - stripped.scale();
        if (exponent < SubscriptCodec.MIN_EXPONENT || exponent > SubscriptCodec.MAX_EXPONENT)
        {
            throw new IllegalArgumentException("number out of range: exponent=" + exponent + " number=" + number);
        }
        final int n = unscaled.length();
        ensureDigits(n);
        for (int i = 0; i < n; i++)
        {
            digits[i] = (byte)(unscaled.charAt(i) - '0');
        }
        return addNumber(number.signum() < 0, (int)exponent, 0, n);
    }

    /**
     * Appends a number subscript: the double's exact value rounded to the fewest significant digits (at most 17)
     * that read back as the same double, so {@code 0.1} is {@code .1} and {@code 0.1 + 0.2} is
     * {@code .30000000000000004}. This is defined by BigDecimal arithmetic rather than {@link Double#toString}, whose
     * digits changed in JDK 19, so every JVM gives the same key. -0.0 is 0; integers below 2^53 do not allocate.
     *
     * @return this.
     * @throws IllegalArgumentException for NaN and the infinities, which IRIS cannot use as subscripts.
     */
    public SubscriptKey add(final double number)
    {
        if (Double.isNaN(number) || Double.isInfinite(number))
        {
            throw new IllegalArgumentException("not a finite number: " + number);
        }
        if (Math.abs(number) < 0x1p53 && number == Math.rint(number))
        {
            return add((long)number);
        }
        final BigDecimal exact = new BigDecimal(number);
        // Every decimal of up to 15 significant digits survives a trip through a normal double, so a shorter one that
        // reads back as this double is what rounding to 15 digits gives, padded with zeros. Subnormals hold fewer.
        int precision = Math.abs(number) >= Double.MIN_NORMAL ? 15 : 1;
        BigDecimal rounded = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
        while (precision < 17 && rounded.doubleValue() != number)
        {
            precision++;
            rounded = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
        }
        return add(rounded);
    }

    /**
     * Copies an already-encoded key, for example one read from a journal record.
     *
     * @return this.
     * @throws IllegalArgumentException if the bytes are not a well-formed key, an empty string included (see
     * {@link SubscriptCodec#validate}); this key is then unchanged.
     */
    public SubscriptKey set(final DirectBuffer encoded, final int offset, final int length)
    {
        SubscriptCodec.validate(encoded, offset, length);
        final int newCount = SubscriptCodec.count(encoded, offset, length);
        buffer.putBytes(0, encoded, offset, length);
        this.length = length;
        this.count = newCount;
        return this;
    }

    /**
     * Drops subscripts beyond {@code depth}, making this the key of that ancestor.
     *
     * @return this.
     * @throws IllegalArgumentException if {@code depth} is negative or more than {@link #count()}.
     */
    public SubscriptKey truncate(final int depth)
    {
        length = SubscriptCodec.prefixLength(buffer, 0, length, depth);
        count = depth;
        return this;
    }

    /**
     * The buffer whose bytes {@code [0, length())} are the key. Writing to it bypasses validation.
     */
    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Length of the key in bytes; 0 for the root node.
     */
    public int length()
    {
        return length;
    }

    /**
     * Number of subscripts; 0 for the root node.
     */
    public int count()
    {
        return count;
    }

    /**
     * A copy of the key's bytes.
     */
    public byte[] toByteArray()
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    /**
     * The subscripts as {@link SubscriptCodec#decode} gives them.
     */
    public List<Object> decode()
    {
        return SubscriptCodec.decode(buffer, 0, length);
    }

    /**
     * Whether this key is {@code ancestor} or one of its descendants, i.e. whether a KILL of {@code ancestor}
     * removes it.
     */
    public boolean isSelfOrDescendantOf(final SubscriptKey ancestor)
    {
        return SubscriptCodec.isSelfOrDescendant(ancestor.buffer, 0, ancestor.length, buffer, 0, length);
    }

    /**
     * Collation order, the same as {@link SubscriptCodec#compare}.
     */
    @Override
    public int compareTo(final SubscriptKey other)
    {
        return SubscriptCodec.compare(buffer, 0, length, other.buffer, 0, other.length);
    }

    @Override
    public boolean equals(final Object other)
    {
        if (this == other)
        {
            return true;
        }
        if (!(other instanceof SubscriptKey))
        {
            return false;
        }
        final SubscriptKey that = (SubscriptKey)other;
        return length == that.length && compareTo(that) == 0;
    }

    @Override
    public int hashCode()
    {
        int hash = 1;
        for (int i = 0; i < length; i++)
        {
            hash = 31 * hash + buffer.getByte(i);
        }
        return hash;
    }

    /**
     * The IRIS display form, {@code (42,"name")}, or "" for the root node.
     */
    @Override
    public String toString()
    {
        final StringBuilder out = new StringBuilder();
        SubscriptCodec.format(buffer, 0, length, out);
        return out.toString();
    }

    private void addObject(final Object subscript)
    {
        if (subscript instanceof Long || subscript instanceof Integer || subscript instanceof Short ||
            subscript instanceof Byte)
        {
            add(((Number)subscript).longValue());
        }
        else if (subscript instanceof BigDecimal)
        {
            add((BigDecimal)subscript);
        }
        else if (subscript instanceof BigInteger)
        {
            add(new BigDecimal((BigInteger)subscript));
        }
        else if (subscript instanceof Double || subscript instanceof Float)
        {
            add(((Number)subscript).doubleValue());
        }
        else if (subscript instanceof CharSequence)
        {
            add(subscript.toString());
        }
        else
        {
            throw new IllegalArgumentException("unsupported subscript type: " +
                (subscript == null ? "null" : subscript.getClass().getName()));
        }
    }

    private SubscriptKey addCanonicalNumber(final String subscript)
    {
        final boolean negative = subscript.charAt(0) == '-';
        final int n = subscript.length();
        ensureDigits(n);
        int exponent = -1;
        int digitCount = 0;
        for (int i = negative ? 1 : 0; i < n; i++)
        {
            final char c = subscript.charAt(i);
            if (c == '.')
            {
                exponent = digitCount;
            }
            else
            {
                digits[digitCount++] = (byte)(c - '0');
            }
        }
        return addNumber(negative, exponent < 0 ? digitCount : exponent, 0, digitCount);
    }

    /**
     * Appends {@code 0.digits[from..to) x 10^exponent}, stripping leading and trailing zero digits first.
     */
    private SubscriptKey addNumber(final boolean negative, final int exponent, final int from, final int to)
    {
        int first = from;
        int last = to;
        int e = exponent;
        while (first < last && digits[first] == 0)
        {
            first++;
            e--;
        }
        while (last > first && digits[last - 1] == 0)
        {
            last--;
        }
        if (first == last)
        {
            return addZero();
        }
        if (e < SubscriptCodec.MIN_EXPONENT || e > SubscriptCodec.MAX_EXPONENT)
        {
            throw new IllegalArgumentException("number out of range: exponent=" + e);
        }
        final int flip = negative ? 0xFF : 0x00;
        final int storedExponent = (e + SubscriptCodec.EXPONENT_BIAS) ^ (negative ? 0xFFFF : 0);
        put(negative ? SubscriptCodec.NEGATIVE_TAG : SubscriptCodec.POSITIVE_TAG);
        put(storedExponent >> 8);
        put(storedExponent & 0xFF);
        for (int i = first; i < last; i += 2)
        {
            final int pair = 10 * digits[i] + (i + 1 < last ? digits[i + 1] : 0);
            put((pair + 1) ^ flip);
        }
        put(SubscriptCodec.NUMBER_TERMINATOR ^ flip);
        count++;
        return this;
    }

    private SubscriptKey addZero()
    {
        put(SubscriptCodec.ZERO_TAG);
        count++;
        return this;
    }

    private void ensureDigits(final int n)
    {
        if (digits.length < n)
        {
            digits = new byte[Math.max(n, 2 * digits.length)];
        }
    }

    private void put(final int b)
    {
        buffer.putByte(length++, (byte)b);
    }
}
