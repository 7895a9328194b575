package io.jmirror.harness;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The workload's values: an 8-byte little-endian version first, then filler. Versions come from one counter taken
 * under the global's lock, so the versions of one node rise in journal order, and a member that ever applies a
 * lower version over a higher one has applied that node out of order.
 */
final class VersionedValue
{
    /** Smallest value: the version alone. */
    static final int MIN_LENGTH = BitUtil.SIZE_OF_LONG;

    private VersionedValue()
    {
    }

    static void write(final byte[] value, final long version)
    {
        new UnsafeBuffer(value).putLong(0, version);
    }

    /**
     * @return the version, or -1 when the value is too short to carry one (not written by the workload).
     */
    static long version(final DirectBuffer buffer, final int offset, final int length)
    {
        return length < MIN_LENGTH ? -1 : buffer.getLong(offset);
    }

    static long version(final byte[] value)
    {
        return null == value || value.length < MIN_LENGTH ? -1 : new UnsafeBuffer(value).getLong(0);
    }
}
