package io.jmirror.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Checks that encoded subscript keys round-trip, follow the IRIS canonical-number rule, sort in IRIS collation
 * (against a reference comparator written from the rules, not from the encoding), nest by byte prefix and are
 * rejected when truncated or garbled.
 */
final class SubscriptKeyTest
{
    /** Canonical numbers, written independently of {@link SubscriptCodec#isCanonicalNumber}. */
    private static final Pattern CANONICAL = Pattern.compile("0|-?([1-9][0-9]*(\\.[0-9]*[1-9])?|\\.[0-9]*[1-9])");
    private static final String[] ALPHABET =
    {
        "a", "b", "z", "A", "0", "1", "4", "-", ".", " ", "\"", "\0", "\u0001", "\u0002", "\u007F", "\u00E9", "\u07FF",
        "\u0800", "\uD7FF", "\uD800", "\uDC00", "\uE000", "\uFFFF", "\uD83D\uDE00", "\uDBFF\uDFFF"
    };

    // ---------------------------------------------------------------- round trips and normalisation

    @Test
    void shouldRoundTripNumbers()
    {
        assertDecodes(0L, SubscriptKey.of(0L));
        assertDecodes(42L, SubscriptKey.of(42L));
        assertDecodes(-7L, SubscriptKey.of(-7L));
        assertDecodes(Long.MAX_VALUE, SubscriptKey.of(Long.MAX_VALUE));
        assertDecodes(Long.MIN_VALUE, SubscriptKey.of(Long.MIN_VALUE));
        assertDecodes(1000000L, SubscriptKey.of(1000000L));

        final BigDecimal forty = new BigDecimal("-1234567890123456789012345678901234567.891");
        assertDecodes(forty, SubscriptKey.of(forty));
        final BigDecimal big = new BigDecimal("123456789012345678901234567890");
        assertDecodes(big, SubscriptKey.of(big));
        assertDecodes(new BigDecimal("9223372036854775808"), SubscriptKey.of(new BigDecimal("9223372036854775808")));
        assertDecodes(new BigDecimal("1E-300"), SubscriptKey.of(new BigDecimal("1E-300")));
        assertDecodes(new BigDecimal("-3.000000000000000000000000000000000000001E-299"),
            SubscriptKey.of(new BigDecimal("-3.000000000000000000000000000000000000001E-299")));
        assertDecodes(new BigDecimal("1E+32766"), SubscriptKey.of(new BigDecimal("1E+32766")));
        assertDecodes(new BigDecimal("-1E-32769"), SubscriptKey.of(new BigDecimal("-1E-32769")));
        assertDecodes(new BigDecimal("0.000001"), SubscriptKey.of(new BigDecimal("0.000001")));
        assertDecodes(new BigDecimal("2.5"), SubscriptKey.of(2.5d));
        assertDecodes(new BigDecimal("0.1"), SubscriptKey.of(0.1d));
        assertDecodes(new BigDecimal("5E-324"), SubscriptKey.of(Double.MIN_VALUE));
        assertDecodes(new BigDecimal("1.7976931348623157E308"), SubscriptKey.of(Double.MAX_VALUE));
        assertDecodes(new BigDecimal("2.2250738585072014E-308"), SubscriptKey.of(Double.MIN_NORMAL));
        assertDecodes(new BigDecimal("0.30000000000000004"), SubscriptKey.of(0.1d + 0.2d));
        assertDecodes(new BigDecimal("1E23"), SubscriptKey.of(1e23d));
        assertDecodes(new BigDecimal("0.002"), SubscriptKey.of(2e-3d));
        assertDecodes(9007199254740991L, SubscriptKey.of(9007199254740991d));
        assertDecodes(9007199254740994L, SubscriptKey.of(9007199254740994d));
        assertDecodes(-690336366617764600L, SubscriptKey.of(-6.903363666177646E17));
    }

    @Test
    void shouldRoundTripStrings()
    {
        final String[] strings =
        {
            "name", "na\"me", "\0", "\0\0", "a\0b", "\u0001", "\u0001\0", "\u0002", "\u00E9t\u00E9",
            "\u4E2D\u6587", "\uD83D\uDE00", "x\uDBFF\uDFFFy", "\uD800", "\uDC00", "\uDC00\uD800", "a\uD800b",
            "042", "4.0", "+4", "1e3", "-0", "0.5", ".", "-", "1.", "-.", " 1", "1 ", "\uFFFF"
        };
        for (final String s : strings)
        {
            final SubscriptKey key = new SubscriptKey().add(s);
            assertDecodes(s, key);
            assertEquals(SubscriptCodec.STRING_TAG, key.buffer().getByte(0), s);
        }
    }

    @Test
    void shouldRoundTripThroughSetAndKeepCount()
    {
        final SubscriptKey key = SubscriptKey.of(1L, "a\0", new BigDecimal("-2.5"), " ", 0L);
        final byte[] bytes = key.toByteArray();
        final SubscriptKey copy = new SubscriptKey().add("junk").set(new UnsafeBuffer(bytes), 0, bytes.length);
        assertEquals(key, copy);
        assertEquals(key.hashCode(), copy.hashCode());
        assertEquals(5, copy.count());
        assertEquals(List.of(1L, "a\0", new BigDecimal("-2.5"), " ", 0L), copy.decode());

        final byte[] shifted = new byte[bytes.length + 7];
        System.arraycopy(bytes, 0, shifted, 7, bytes.length);
        assertEquals(key, new SubscriptKey().set(new UnsafeBuffer(shifted), 7, bytes.length));
        assertEquals(5, SubscriptCodec.count(new UnsafeBuffer(shifted), 7, bytes.length));
        assertEquals(List.of(), new SubscriptKey().add(3).clear().decode());
        assertEquals(0, new SubscriptKey().add(3).clear().length());
    }

    @Test
    void shouldNormaliseEveryFormOfTheSameNumber()
    {
        assertSameNode(SubscriptKey.of(42L), SubscriptKey.of("42"), SubscriptKey.of(42.0d),
            SubscriptKey.of(new BigDecimal("42.00")), SubscriptKey.of(new BigDecimal("4.2E+1")), SubscriptKey.of(42));
        assertSameNode(SubscriptKey.of(new BigDecimal("2.5")), SubscriptKey.of(new BigDecimal("2.50")),
            SubscriptKey.of(2.5d), SubscriptKey.of("2.5"));
        assertSameNode(SubscriptKey.of(0L), SubscriptKey.of(-0.0d), SubscriptKey.of(0.0d), SubscriptKey.of("0"),
            SubscriptKey.of(new BigDecimal("0.000")), SubscriptKey.of(new BigDecimal("-0E+5")));
        assertSameNode(SubscriptKey.of(new BigDecimal(".5")), SubscriptKey.of(0.5d), SubscriptKey.of(".5"));
        assertSameNode(SubscriptKey.of(-7L), SubscriptKey.of("-7"), SubscriptKey.of(-7.0d));
        assertSameNode(SubscriptKey.of(Long.MIN_VALUE), SubscriptKey.of("-9223372036854775808"),
            SubscriptKey.of(BigInteger.valueOf(Long.MIN_VALUE)));
        assertSameNode(SubscriptKey.of(1000L), SubscriptKey.of(new BigDecimal("1E+3")), SubscriptKey.of("1000"));
        assertSameNode(SubscriptKey.of(new BigDecimal("123456789012345678901234567890")),
            SubscriptKey.of("123456789012345678901234567890"));
        assertEquals(List.of(new BigDecimal("0.5")), SubscriptKey.of(0.5d).decode());
        assertEquals("(2.5,.5,0)", SubscriptKey.of(new BigDecimal("2.50"), new BigDecimal("0.5"), -0.0d).toString());
    }

    @Test
    void shouldApplyCanonicalNumberRuleBothWays()
    {
        for (final String s : new String[]{"0", "42", "-7", ".5", "-.5", "3.14", "-12.25", "100", "-.001", "10.01"})
        {
            assertTrue(SubscriptCodec.isCanonicalNumber(s), s);
            assertTrue(CANONICAL.matcher(s).matches(), s);
            final SubscriptKey key = SubscriptKey.of(s);
            assertEquals(SubscriptKey.of(new BigDecimal(s)), key, s);
            assertEquals("(" + s + ")", key.toString(), s);
        }
        for (final String s : new String[]{"042", "4.0", "+4", "1e3", "-0", "0.5", ".", "-", "1.", "-.", "00",
            "-01", "1.50", " 1", "1 ", "1,000", "\uFF11", "0.", "--1", "1-", "..5", ".50"})
        {
            assertFalse(SubscriptCodec.isCanonicalNumber(s), s);
            assertFalse(CANONICAL.matcher(s).matches(), s);
            final SubscriptKey key = SubscriptKey.of(s);
            assertEquals(List.of(s), key.decode(), s);
            assertEquals(SubscriptCodec.STRING_TAG, key.buffer().getByte(0), s);
        }
        assertNotEquals(SubscriptKey.of(42L), SubscriptKey.of("042"));
        assertNotEquals(SubscriptKey.of(4L), SubscriptKey.of("4.0"));
        assertNotEquals(SubscriptKey.of(0L), SubscriptKey.of("-0"));
        assertNotEquals(SubscriptKey.of(new BigDecimal(".5")), SubscriptKey.of("0.5"));
        assertTrue(SubscriptCodec.isCanonicalNumber(new StringBuilder("-3.14")));
        assertFalse(SubscriptCodec.isCanonicalNumber(""), "nor a subscript at all");
    }

    @Test
    void shouldRejectNonFiniteAndOutOfRangeNumbersLeavingKeyUnchanged()
    {
        final SubscriptKey key = SubscriptKey.of(1L);
        final byte[] before = key.toByteArray();
        assertThrows(IllegalArgumentException.class, () -> key.add(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> key.add(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> key.add(Double.NEGATIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> key.add(new BigDecimal("1E+32767")));
        assertThrows(IllegalArgumentException.class, () -> key.add(new BigDecimal("-1E-32770")));
        assertThrows(IllegalArgumentException.class, () -> key.add("1" + "0".repeat(32768)));
        assertArrayEquals(before, key.toByteArray());
        assertEquals(1, key.count());
    }

    @Test
    void shouldNotAllocateWhenAddingLongs()
    {
        final java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        final SubscriptKey key = new SubscriptKey();
        long sink = 0;
        for (int i = 0; i < 20_000; i++)
        {
            sink += key.clear().add(i * 7919L).add(Long.MIN_VALUE).add(-i).add(Long.MAX_VALUE - i).length();
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++)
        {
            sink += key.clear().add(i * 7919L).add(Long.MIN_VALUE).add(-i).add(Long.MAX_VALUE - i).length();
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(sink > 0);
        assertTrue(allocated < 10_000, "allocated=" + allocated + " bytes for 400000 adds");
    }

    // ---------------------------------------------------------------- ordering

    @Test
    void shouldSortHandWrittenIrisOrderByBytes()
    {
        final List<SubscriptKey> expected = List.of(
            SubscriptKey.of(), SubscriptKey.of(new BigDecimal("-1E30")),
            SubscriptKey.of(new BigDecimal("-123456789012345678901234567890")), SubscriptKey.of(Long.MIN_VALUE),
            SubscriptKey.of(-10L), SubscriptKey.of(-2L), SubscriptKey.of(-1.5d), SubscriptKey.of(-1L),
            SubscriptKey.of(-1L, -5L), SubscriptKey.of(-1L, "a"), SubscriptKey.of(new BigDecimal("-.99")),
            SubscriptKey.of("-.5"), SubscriptKey.of(new BigDecimal("-.001")),
            SubscriptKey.of(new BigDecimal("-1E-300")),
            SubscriptKey.of(0L), SubscriptKey.of(0L, -1L), SubscriptKey.of(0L, 0L),
            SubscriptKey.of(new BigDecimal("1E-300")), SubscriptKey.of(new BigDecimal(".001")), SubscriptKey.of(.5d),
            SubscriptKey.of(new BigDecimal(".505")), SubscriptKey.of(".51"), SubscriptKey.of(1L),
            SubscriptKey.of(1L, 1L), SubscriptKey.of(1L, "x"), SubscriptKey.of(1.5d), SubscriptKey.of(2L),
            SubscriptKey.of(10L), SubscriptKey.of(11L), SubscriptKey.of(100L), SubscriptKey.of(Long.MAX_VALUE),
            SubscriptKey.of(new BigDecimal("123456789012345678901234567890")), SubscriptKey.of(new BigDecimal("1E30")),
            SubscriptKey.of("\0"), SubscriptKey.of("\0", 1L),
            SubscriptKey.of("\0\0"), SubscriptKey.of("\u0001"), SubscriptKey.of("\u0002"), SubscriptKey.of(" "),
            SubscriptKey.of("+4"), SubscriptKey.of("-0"), SubscriptKey.of("."), SubscriptKey.of("042"),
            SubscriptKey.of("1e3"), SubscriptKey.of("4.0"), SubscriptKey.of("A"), SubscriptKey.of("Z"),
            SubscriptKey.of("a"), SubscriptKey.of("a", 1L), SubscriptKey.of("a\0"),
            SubscriptKey.of("a\0", 1L), SubscriptKey.of("a\u0001"), SubscriptKey.of("aa"), SubscriptKey.of("b"),
            SubscriptKey.of("\u007F"), SubscriptKey.of("\u00E9"), SubscriptKey.of("\u07FF"), SubscriptKey.of("\u0800"),
            SubscriptKey.of("\uD7FF"), SubscriptKey.of("\uD800"), SubscriptKey.of("\uDC00"), SubscriptKey.of("\uE000"),
            SubscriptKey.of("\uFFFF"), SubscriptKey.of("\uD800\uDC00"), SubscriptKey.of("\uD83D\uDE00"),
            SubscriptKey.of("\uDBFF\uDFFF"));

        for (int i = 0; i + 1 < expected.size(); i++)
        {
            final SubscriptKey a = expected.get(i);
            final SubscriptKey b = expected.get(i + 1);
            assertTrue(compare(a, b) < 0, a + " < " + b);
            assertTrue(compare(b, a) > 0, b + " > " + a);
            assertTrue(referenceCompare(a.decode(), b.decode()) < 0, "reference: " + a + " < " + b);
        }
        final List<SubscriptKey> shuffled = new ArrayList<>(expected);
        Collections.shuffle(shuffled, new Random(42));
        shuffled.sort(SubscriptKeyTest::compare);
        assertEquals(expected, shuffled);
    }

    @Test
    void shouldOrderSupplementaryCharactersByCodePointNotUtf16()
    {
        final String bmpMax = "\uFFFF";
        final String emoji = "\uD83D\uDE00";
        assertTrue(bmpMax.compareTo(emoji) > 0, "String.compareTo is UTF-16 order");
        assertTrue(compare(SubscriptKey.of(bmpMax), SubscriptKey.of(emoji)) < 0);
        assertTrue(compare(SubscriptKey.of("\uE000"), SubscriptKey.of("\uD800\uDC00")) < 0);
        assertTrue(compare(SubscriptKey.of("a\uFFFFz"), SubscriptKey.of("a\uD800\uDC00")) < 0);
    }

    @Test
    void shouldMatchReferenceCollationOnRandomKeys()
    {
        final long seed = seed();
        System.out.println("SubscriptKeyTest.shouldMatchReferenceCollationOnRandomKeys seed=" + seed);
        final Random random = new Random(seed);
        for (int round = 0; round < 3; round++)
        {
            final List<List<Object>> raw = randomKeys(random, 300);
            final List<List<Object>> reference = new ArrayList<>();
            final List<SubscriptKey> keys = new ArrayList<>();
            for (final List<Object> subscripts : raw)
            {
                reference.add(normalise(subscripts));
                keys.add(SubscriptKey.of(subscripts.toArray()));
            }
            final String context = " seed=" + seed + " round=" + round;

            for (int i = 0; i < keys.size(); i++)
            {
                final SubscriptKey key = keys.get(i);
                final List<Object> expected = reference.get(i);
                final Supplier<String> what = () -> key + context;
                SubscriptCodec.validate(key.buffer(), 0, key.length());
                assertEquals(expected.size(), key.count(), what);
                assertEquals(0, referenceCompare(expected, normalise(key.decode())), what);
                assertEquals(key, SubscriptKey.of(key.decode().toArray()), what);
                for (int j = 0; j < keys.size(); j++)
                {
                    final SubscriptKey other = keys.get(j);
                    final int expectedSign = Integer.signum(referenceCompareNormal(expected, reference.get(j)));
                    assertEquals(expectedSign, Integer.signum(compare(key, other)),
                        () -> key + " vs " + other + context);
                    assertEquals(expectedSign == 0, key.equals(other), () -> key + " vs " + other + context);
                    assertEquals(isReferencePrefix(expected, reference.get(j)), other.isSelfOrDescendantOf(key),
                        () -> key + " ancestor of " + other + context);
                }
            }

            final List<Integer> byReference = indices(keys.size());
            byReference.sort((a, b) -> referenceCompareNormal(reference.get(a), reference.get(b)));
            final List<Integer> byBytes = indices(keys.size());
            byBytes.sort((a, b) -> compare(keys.get(a), keys.get(b)));
            for (int i = 0; i < keys.size(); i++)
            {
                final int position = i;
                assertEquals(keys.get(byReference.get(i)), keys.get(byBytes.get(i)),
                    () -> "sorted at " + position + context);
            }
        }
    }

    // ---------------------------------------------------------------- prefixes and descendants

    @Test
    void shouldNestByBytePrefix()
    {
        final long seed = seed() + 1;
        System.out.println("SubscriptKeyTest.shouldNestByBytePrefix seed=" + seed);
        final Random random = new Random(seed);
        for (final List<Object> subscripts : randomKeys(random, 500))
        {
            final SubscriptKey key = SubscriptKey.of(subscripts.toArray());
            final SubscriptKey ancestor = new SubscriptKey();
            for (int depth = 0; depth <= subscripts.size(); depth++)
            {
                final int d = depth;
                final Supplier<String> what = () -> key + " depth=" + d + " seed=" + seed;
                assertEquals(ancestor.length(),
                    SubscriptCodec.prefixLength(key.buffer(), 0, key.length(), depth), what);
                assertTrue(key.isSelfOrDescendantOf(ancestor), what);
                assertEquals(depth == subscripts.size(), ancestor.isSelfOrDescendantOf(key), what);
                assertTrue(compare(ancestor, key) <= 0, what);
                final SubscriptKey truncated = SubscriptKey.of(subscripts.toArray()).truncate(depth);
                assertEquals(ancestor, truncated, what);
                assertEquals(depth, truncated.count(), what);
                if (depth < subscripts.size())
                {
                    addAny(ancestor, subscripts.get(depth));
                }
            }
            final int count = subscripts.size();
            assertThrows(IllegalArgumentException.class,
                () -> SubscriptCodec.prefixLength(key.buffer(), 0, key.length(), count + 1));
        }
    }

    @Test
    void shouldKeepDescendantsBetweenParentAndNextSibling()
    {
        final SubscriptKey parent = SubscriptKey.of("a");
        final SubscriptKey sibling = SubscriptKey.of("a\0");
        final SubscriptKey cousin = SubscriptKey.of("a\0", 1L);
        final SubscriptKey[] children =
        {
            SubscriptKey.of("a", Long.MIN_VALUE), SubscriptKey.of("a", 0L), SubscriptKey.of("a", "\0"),
            SubscriptKey.of("a", "\uDBFF\uDFFF", "\uDBFF\uDFFF")
        };
        assertFalse(sibling.isSelfOrDescendantOf(parent), "KILL ^G(\"a\") must not take ^G(\"a\"_$C(0))");
        assertFalse(cousin.isSelfOrDescendantOf(parent));
        for (final SubscriptKey child : children)
        {
            assertTrue(child.isSelfOrDescendantOf(parent), child.toString());
            assertTrue(compare(parent, child) < 0 && compare(child, sibling) < 0, child.toString());
        }
        assertFalse(SubscriptKey.of(1L, 5L).isSelfOrDescendantOf(SubscriptKey.of(1.5d)));
        assertFalse(SubscriptKey.of(15L).isSelfOrDescendantOf(SubscriptKey.of(1L)));
        assertFalse(SubscriptKey.of(".51").isSelfOrDescendantOf(SubscriptKey.of(".5")));
        assertFalse(SubscriptKey.of("ab").isSelfOrDescendantOf(SubscriptKey.of("a")));
        assertTrue(SubscriptKey.of(1L, 5L).isSelfOrDescendantOf(SubscriptKey.of("1")));
        assertTrue(SubscriptKey.of(1L).isSelfOrDescendantOf(new SubscriptKey()));

        // stale bytes past length() must not count: the buffer of a truncated key still holds the dropped subscript
        final SubscriptKey truncated = SubscriptKey.of("a", 0L).truncate(1);
        assertEquals(SubscriptCodec.ZERO_TAG, truncated.buffer().getByte(truncated.length()));
        assertFalse(truncated.isSelfOrDescendantOf(SubscriptKey.of("a", 0L)));
        assertTrue(compare(truncated, SubscriptKey.of("a", 0L)) < 0);
        assertEquals(parent, truncated);
    }

    // ---------------------------------------------------------------- validation

    @Test
    void shouldRejectGarbledKeysNamingTheOffset()
    {
        assertMalformed(0, "unknown tag 0x05", 0x05);
        assertMalformed(0, "unknown tag 0xFF", 0xFF);
        assertMalformed(0, "unknown tag 0x00", 0x00);
        assertMalformed(1, "unknown tag", 0x02, 0x07);
        assertMalformed(2, "truncated exponent", 0x03, 0x80);
        assertMalformed(4, "unterminated number", 0x03, 0x80, 0x02, 0x2B);
        assertMalformed(3, "number without digits", 0x03, 0x80, 0x02, 0x00);
        assertMalformed(3, "digit pair out of range 0x65", 0x03, 0x80, 0x02, 0x65, 0x00);
        assertMalformed(3, "leading zero digit", 0x03, 0x80, 0x02, 0x05, 0x00);
        assertMalformed(4, "trailing zero digits", 0x03, 0x80, 0x02, 0x2B, 0x01, 0x00);
        assertMalformed(3, "digit pair out of range 0x2B", 0x01, 0x7F, 0xFD, 0x2B, 0xFF);
        assertMalformed(2, "unterminated string", 0x04, 'a');
        assertMalformed(1, "bad escape 0x01 followed by 0x03", 0x04, 0x01, 0x03, 0x00);
        assertMalformed(1, "bad escape 0x01 followed by end of key", 0x04, 0x01);
        assertMalformed(1, "invalid UTF-8 lead byte 0xC0", 0x04, 0xC0, 0x80, 0x00);
        assertMalformed(1, "invalid UTF-8 lead byte 0x80", 0x04, 0x80, 0x00);
        assertMalformed(1, "invalid UTF-8 lead byte 0xFF", 0x04, 0xFF, 0x00);
        assertMalformed(1, "overlong UTF-8 sequence", 0x04, 0xE0, 0x80, 0x80, 0x00);
        assertMalformed(3, "truncated UTF-8 sequence", 0x04, 0xE2, 0x82, 0x00);
        assertMalformed(1, "code point above U+10FFFF", 0x04, 0xF4, 0x90, 0x80, 0x80, 0x00);
        assertMalformed(4, "surrogate pair written as two sequences", 0x04, 0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80, 0x00);
        assertMalformed(1, "canonical number written as a string", 0x04, '4', '2', 0x00);
        assertMalformed(6, "canonical number written as a string", 0x03, 0x80, 0x01, 0x0B, 0x00, 0x04, '-', '.', '5',
            0x00);
        assertMalformed(3, "unterminated string", 0x02, 0x04, 'a');

        final SubscriptKey key = SubscriptKey.of("keep");
        final UnsafeBuffer bad = bytes(0x04, 'a');
        assertThrows(IllegalArgumentException.class, () -> key.set(bad, 0, 2));
        assertEquals(SubscriptKey.of("keep"), key);
        assertThrows(IllegalArgumentException.class, () -> SubscriptCodec.validate(bad, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> SubscriptCodec.decode(bad, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> SubscriptCodec.format(bad, 0, 2, new StringBuilder()));
    }

    @Test
    void anEmptyStringIsRefusedAsASubscriptWhereverItEntersNamingItsPosition()
    {
        final String refused = "empty string is not a valid subscript (IRIS <SUBSCRIPT>): position=";
        final SubscriptKey key = new SubscriptKey().add(7).add("x");
        final IllegalArgumentException added = assertThrows(IllegalArgumentException.class, () -> key.add(""));
        assertEquals(refused + 3, added.getMessage());
        assertEquals(SubscriptKey.of(7L, "x"), key, "a refused add leaves the key as it was");
        assertEquals(2, key.count());

        assertEquals(refused + 1, assertThrows(IllegalArgumentException.class, () -> SubscriptKey.of(""))
            .getMessage());
        assertEquals(refused + 2, assertThrows(IllegalArgumentException.class, () -> SubscriptKey.of(1, ""))
            .getMessage());
        assertEquals(refused + 3, assertThrows(IllegalArgumentException.class,
            () -> SubscriptKey.of("a", 2.5d, new StringBuilder())).getMessage(), "any CharSequence");

        assertMalformed(0, refused + 1, 0x04, 0x00);
        assertMalformed(1, refused + 2, 0x02, 0x04, 0x00);
        assertMalformed(5, refused + 4, 0x02, 0x04, 'a', 0x00, 0x02, 0x04, 0x00, 0x02);
        final UnsafeBuffer encoded = bytes(0x02, 0x04, 0x00);
        final SubscriptKey copy = SubscriptKey.of("keep");
        final IllegalArgumentException set =
            assertThrows(IllegalArgumentException.class, () -> copy.set(encoded, 0, 3));
        assertTrue(set.getMessage().contains(refused + 2), set.getMessage());
        assertEquals(SubscriptKey.of("keep"), copy, "a refused set leaves the key as it was");
        assertThrows(IllegalArgumentException.class, () -> SubscriptCodec.decode(encoded, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> SubscriptCodec.format(encoded, 0, 3, new StringBuilder()));

        assertEquals(List.of("\0"), SubscriptKey.of("\0").decode(), "a string of one NUL is not empty");
        assertEquals(List.of(" "), SubscriptKey.of(" ").decode());
        assertEquals(List.of(), new SubscriptKey().decode(), "the root node has no subscripts, not an empty one");
    }

    @Test
    void shouldRejectEveryTruncationThatIsNotASubscriptBoundary()
    {
        final long seed = seed() + 2;
        System.out.println("SubscriptKeyTest.shouldRejectEveryTruncationThatIsNotASubscriptBoundary seed=" + seed);
        final Random random = new Random(seed);
        for (final List<Object> subscripts : randomKeys(random, 300))
        {
            final SubscriptKey key = SubscriptKey.of(subscripts.toArray());
            final boolean[] boundary = new boolean[key.length() + 1];
            for (int depth = 0; depth <= key.count(); depth++)
            {
                boundary[SubscriptCodec.prefixLength(key.buffer(), 0, key.length(), depth)] = true;
            }
            for (int cut = 0; cut < key.length(); cut++)
            {
                final int length = cut;
                final Supplier<String> what = () -> key + " cut=" + length + " seed=" + seed;
                if (boundary[cut])
                {
                    SubscriptCodec.validate(key.buffer(), 0, cut);
                }
                else
                {
                    final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> SubscriptCodec.validate(key.buffer(), 0, length), what);
                    assertTrue(e.getMessage().startsWith("malformed subscript key: offset="), e.getMessage());
                    assertTrue(offsetOf(e) <= cut, e.getMessage());
                }
            }
        }
    }

    @Test
    void shouldAcceptOnlyCanonicalBytesAfterRandomGarbling()
    {
        final long seed = seed() + 3;
        System.out.println("SubscriptKeyTest.shouldAcceptOnlyCanonicalBytesAfterRandomGarbling seed=" + seed);
        final Random random = new Random(seed);
        int rejected = 0;
        int accepted = 0;
        for (final List<Object> subscripts : randomKeys(random, 400))
        {
            final byte[] bytes = SubscriptKey.of(subscripts.toArray()).toByteArray();
            for (int attempt = 0; attempt < 20 && bytes.length > 0; attempt++)
            {
                final byte[] garbled = garble(random, bytes);
                final UnsafeBuffer buffer = new UnsafeBuffer(garbled);
                try
                {
                    SubscriptCodec.validate(buffer, 0, garbled.length);
                }
                catch (final IllegalArgumentException e)
                {
                    assertTrue(offsetOf(e) >= 0 && offsetOf(e) <= garbled.length, e.getMessage());
                    rejected++;
                    continue;
                }
                accepted++;
                final List<Object> decoded = SubscriptCodec.decode(buffer, 0, garbled.length);
                final SubscriptKey reencoded = SubscriptKey.of(decoded.toArray());
                assertArrayEquals(garbled, reencoded.toByteArray(),
                    () -> "accepted bytes must be the one encoding of " + reencoded + " seed=" + seed);
                assertEquals(SubscriptCodec.count(buffer, 0, garbled.length), reencoded.count());
            }
        }
        assertTrue(rejected > 1000 && accepted > 100, "rejected=" + rejected + " accepted=" + accepted);
    }

    // ---------------------------------------------------------------- display form

    @Test
    void shouldFormatIrisDisplayForm()
    {
        assertEquals("", new SubscriptKey().toString());
        assertEquals("(42,\"na\"\"me\",-.5)", SubscriptKey.of(42L, "na\"me", new BigDecimal("-0.5")).toString());
        assertEquals("(0,.5,-12.25,3.14,-7,100,.00001)", SubscriptKey.of(0L, 0.5d, "-12.25",
            new BigDecimal("3.140"), -7L, 100L, new BigDecimal("1E-5")).toString());
        assertEquals("(1000000000000000000000000000000,-9223372036854775808,9223372036854775807)",
            SubscriptKey.of(new BigDecimal("1E30"), Long.MIN_VALUE, Long.MAX_VALUE).toString());
        assertEquals("(\"\"\"\",\"042\",\"4.0\",\"-0\",\"0.5\")",
            SubscriptKey.of("\"", "042", "4.0", "-0", "0.5").toString());
        assertEquals("(\"a\"_$C(0,9)_\"b\")", SubscriptKey.of("a\0\tb").toString());
        assertEquals("($C(0),$C(1)_\"x\",\"x\"_$C(127))", SubscriptKey.of("\0", "\u0001x", "x\u007F").toString());
        assertEquals("(\"\u00E9\uD83D\uDE00\")", SubscriptKey.of("\u00E9\uD83D\uDE00").toString());

        final StringBuilder out = new StringBuilder("^Patient");
        final SubscriptKey key = SubscriptKey.of(42L, "name");
        SubscriptCodec.format(key.buffer(), 0, key.length(), out);
        assertEquals("^Patient(42,\"name\")", out.toString());
    }

    @Test
    void shouldEncodeDocumentedExamples()
    {
        assertArrayEquals(new byte[]{0x03, (byte)0x80, 0x02, 0x2B, 0x00}, SubscriptKey.of(42L).toByteArray());
        assertArrayEquals(new byte[]{0x01, 0x7F, (byte)0xFF, (byte)0xCC, (byte)0xFF},
            SubscriptKey.of("-.5").toByteArray());
        assertArrayEquals(new byte[]{0x02}, SubscriptKey.of(0L).toByteArray());
        assertArrayEquals(new byte[]{0x04, 'a', 0x01, 0x01, 0x01, 0x02, 0x00},
            SubscriptKey.of("a\0\u0001").toByteArray());
        assertArrayEquals(new byte[]{0x04, (byte)0xED, (byte)0xA0, (byte)0x80, 0x00},
            SubscriptKey.of("\uD800").toByteArray());
    }

    // ---------------------------------------------------------------- reference model and helpers

    /** IRIS collation from the rules: numbers (numerically) before strings (by code point), then shorter first. */
    private static int referenceCompare(final List<Object> a, final List<Object> b)
    {
        return referenceCompareNormal(normalise(a), normalise(b));
    }

    private static int referenceCompareNormal(final List<Object> x, final List<Object> y)
    {
        for (int i = 0; i < Math.min(x.size(), y.size()); i++)
        {
            final int c = referenceCompareSubscript(x.get(i), y.get(i));
            if (c != 0)
            {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    }

    private static int referenceCompareSubscript(final Object a, final Object b)
    {
        if (a instanceof BigDecimal && b instanceof BigDecimal)
        {
            return ((BigDecimal)a).compareTo((BigDecimal)b);
        }
        if (a instanceof BigDecimal)
        {
            return -1;
        }
        if (b instanceof BigDecimal)
        {
            return 1;
        }
        return Arrays.compare(((String)a).codePoints().toArray(), ((String)b).codePoints().toArray());
    }

    private static boolean isReferencePrefix(final List<Object> ancestor, final List<Object> key)
    {
        if (ancestor.size() > key.size())
        {
            return false;
        }
        for (int i = 0; i < ancestor.size(); i++)
        {
            if (referenceCompareSubscript(ancestor.get(i), key.get(i)) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private static List<Object> normalise(final List<Object> subscripts)
    {
        final List<Object> normal = new ArrayList<>();
        for (final Object s : subscripts)
        {
            if (s instanceof String)
            {
                normal.add(CANONICAL.matcher((String)s).matches() ? new BigDecimal((String)s) : s);
            }
            else if (s instanceof Double)
            {
                normal.add(shortestDecimal((Double)s));
            }
            else if (s instanceof Long)
            {
                normal.add(BigDecimal.valueOf((Long)s));
            }
            else
            {
                normal.add(s);
            }
        }
        return normal;
    }

    /** The nearest decimal with the fewest significant digits that reads back as {@code d}. */
    private static BigDecimal shortestDecimal(final double d)
    {
        for (int precision = 1; ; precision++)
        {
            final BigDecimal rounded = new BigDecimal(d).round(new MathContext(precision, RoundingMode.HALF_EVEN));
            if (rounded.doubleValue() == d)
            {
                return rounded.stripTrailingZeros();
            }
        }
    }

    private static List<List<Object>> randomKeys(final Random random, final int n)
    {
        final List<List<Object>> keys = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            final List<Object> key = new ArrayList<>();
            if (!keys.isEmpty() && random.nextInt(3) == 0)
            {
                final List<Object> base = keys.get(random.nextInt(keys.size()));
                key.addAll(base.subList(0, random.nextInt(base.size() + 1)));
            }
            final int depth = random.nextInt(5);
            while (key.size() < depth)
            {
                key.add(randomSubscript(random));
            }
            keys.add(key);
        }
        return keys;
    }

    private static Object randomSubscript(final Random random)
    {
        switch (random.nextInt(9))
        {
            case 0:
                return (long)(random.nextInt(21) - 10);
            case 1:
                return random.nextLong() >> random.nextInt(64);
            case 2:
                return new long[]{Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE - 1, 0}[
                    random.nextInt(5)];
            case 3:
                final BigInteger unscaled = new BigInteger(random.nextInt(140) + 1, random);
                final BigDecimal number = new BigDecimal(random.nextBoolean() ? unscaled : unscaled.negate(),
                    random.nextInt(360) - 50);
                return random.nextInt(4) == 0 ? number.stripTrailingZeros().toPlainString()
                    .replaceFirst("^(-?)0\\.", "$1.") : number;
            case 4:
                final double d = random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20);
                return random.nextInt(8) == 0 ? -0.0d : random.nextBoolean() ? Math.rint(d) : d;
            case 5:
                return new String[]{"0", "1", "-1", ".5", "-.5", "1.5", "10", "042", "4.0", "+4", "1e3", "-0", "0.5",
                    ".", "-", "1.", "01"}[random.nextInt(17)];
            default:
                final StringBuilder s = new StringBuilder();
                final int length = 1 + random.nextInt(4); // never empty: IRIS refuses "" as a subscript
                for (int i = 0; i < length; i++)
                {
                    s.append(ALPHABET[random.nextInt(random.nextBoolean() ? 6 : ALPHABET.length)]);
                }
                return s.toString();
        }
    }

    private static byte[] garble(final Random random, final byte[] bytes)
    {
        final int at = random.nextInt(bytes.length);
        switch (random.nextInt(4))
        {
            case 0:
                final byte[] flipped = bytes.clone();
                flipped[at] ^= (byte)(1 << random.nextInt(8));
                return flipped;
            case 1:
                final byte[] replaced = bytes.clone();
                replaced[at] = (byte)random.nextInt(256);
                return replaced;
            case 2:
                final byte[] inserted = new byte[bytes.length + 1];
                System.arraycopy(bytes, 0, inserted, 0, at);
                inserted[at] = (byte)random.nextInt(256);
                System.arraycopy(bytes, at, inserted, at + 1, bytes.length - at);
                return inserted;
            default:
                final byte[] removed = new byte[bytes.length - 1];
                System.arraycopy(bytes, 0, removed, 0, at);
                System.arraycopy(bytes, at + 1, removed, at, bytes.length - at - 1);
                return removed;
        }
    }

    private static void addAny(final SubscriptKey key, final Object subscript)
    {
        final SubscriptKey one = SubscriptKey.of(subscript);
        final int length = key.length();
        key.buffer().putBytes(length, one.buffer(), 0, one.length());
        key.set(key.buffer(), 0, length + one.length());
    }

    private static void assertMalformed(final int offset, final String reason, final int... bytes)
    {
        final UnsafeBuffer buffer = bytes(bytes);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> SubscriptCodec.validate(buffer, 0, bytes.length), reason);
        assertTrue(e.getMessage().startsWith("malformed subscript key: offset=" + offset + " reason=" + reason),
            "expected offset=" + offset + " reason=" + reason + " but got: " + e.getMessage());

        final UnsafeBuffer shifted = new UnsafeBuffer(new byte[bytes.length + 3]);
        shifted.putBytes(3, buffer, 0, bytes.length);
        final IllegalArgumentException relative = assertThrows(IllegalArgumentException.class,
            () -> SubscriptCodec.validate(shifted, 3, bytes.length), reason);
        assertEquals(e.getMessage(), relative.getMessage(), "offsets are relative to the key");
    }

    private static UnsafeBuffer bytes(final int... values)
    {
        final byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            bytes[i] = (byte)values[i];
        }
        return new UnsafeBuffer(bytes);
    }

    private static int offsetOf(final IllegalArgumentException e)
    {
        final String message = e.getMessage();
        final int start = message.indexOf("offset=") + "offset=".length();
        return Integer.parseInt(message.substring(start, message.indexOf(' ', start)));
    }

    private static void assertDecodes(final Object expected, final SubscriptKey key)
    {
        final List<Object> decoded = key.decode();
        final Object normal = expected instanceof BigDecimal ? ((BigDecimal)expected).stripTrailingZeros() : expected;
        assertEquals(List.of(normal), decoded, key.toString());
        assertEquals(1, key.count());
        assertEquals(key, SubscriptKey.of(decoded.toArray()));
        final byte[] bytes = key.toByteArray();
        final DirectBuffer buffer = new UnsafeBuffer(bytes);
        SubscriptCodec.validate(buffer, 0, bytes.length);
        assertEquals(key, new SubscriptKey().set(buffer, 0, bytes.length));
    }

    private static void assertSameNode(final SubscriptKey... keys)
    {
        for (final SubscriptKey key : keys)
        {
            assertEquals(keys[0], key, keys[0] + " vs " + key);
            assertEquals(keys[0].hashCode(), key.hashCode());
            assertEquals(keys[0].toString(), key.toString());
        }
    }

    private static int compare(final SubscriptKey a, final SubscriptKey b)
    {
        return SubscriptCodec.compare(a.buffer(), 0, a.length(), b.buffer(), 0, b.length());
    }

    private static List<Integer> indices(final int n)
    {
        final List<Integer> list = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            list.add(i);
        }
        return list;
    }

    private static long seed()
    {
        final String property = System.getProperty("jmirror.seed");
        return property != null ? Long.parseLong(property) : System.nanoTime();
    }
}
