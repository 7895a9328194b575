package io.jmirror.harness.sim;

import java.util.zip.CRC32C;

/**
 * A modelled journal record: a SET of one node of a global, or an {@code EPOCH_START}, at an LSN, with a checksum
 * over its content so a bit flipped at rest is detected when the record is read.
 *
 * @param lsn    where it starts.
 * @param epoch  the epoch it was written in.
 * @param kind   SET or EPOCH_START.
 * @param member for EPOCH_START: the member that started the epoch; for SET: the member that wrote it.
 * @param global the global (SET only).
 * @param key    the node's subscript (SET only).
 * @param value  the value set (SET only); unique per write, so "same bytes" means "same write".
 * @param crc    the checksum written with it.
 */
public record SimRecord(long lsn, long epoch, Kind kind, String member, String global, long key, long value, int crc)
{
    /** Bytes a record takes in the journal (modelled: a fixed header plus the strings). */
    static final int HEADER_LENGTH = 32;

    /**
     * What a record does.
     */
    public enum Kind
    {
        /** Start of an epoch. */
        EPOCH_START,
        /** Set a node to a value. */
        SET
    }

    /**
     * @return a SET record with its checksum.
     */
    public static SimRecord set(
        final long lsn, final long epoch, final String member, final String global, final long key, final long value)
    {
        return new SimRecord(lsn, epoch, Kind.SET, member, global, key, value,
            checksum(lsn, epoch, Kind.SET, member, global, key, value));
    }

    /**
     * @return an EPOCH_START record with its checksum.
     */
    public static SimRecord epochStart(final long lsn, final long epoch, final String member)
    {
        return new SimRecord(lsn, epoch, Kind.EPOCH_START, member, "", 0, 0,
            checksum(lsn, epoch, Kind.EPOCH_START, member, "", 0, 0));
    }

    /**
     * @return how many bytes it takes; the next record starts at {@code lsn + length()}.
     */
    public long length()
    {
        return HEADER_LENGTH + member.length() + global.length();
    }

    /**
     * @return the LSN just past it.
     */
    public long endLsn()
    {
        return lsn + length();
    }

    /**
     * @return true when the content matches the checksum written with it.
     */
    public boolean isIntact()
    {
        return crc == checksum(lsn, epoch, kind, member, global, key, value);
    }

    /**
     * @param bit which bit of the value to flip.
     * @return the record with one bit of its value flipped and the old checksum: damage at rest.
     */
    public SimRecord withBitFlipped(final int bit)
    {
        return new SimRecord(lsn, epoch, kind, member, global, key, value ^ (1L << (bit & 63)), crc);
    }

    /**
     * @return the store key this record sets.
     */
    public String nodeKey()
    {
        return global + "(" + key + ")";
    }

    private static int checksum(
        final long lsn, final long epoch, final Kind kind, final String member, final String global, final long key,
        final long value)
    {
        final CRC32C crc = new CRC32C();
        final String text = lsn + "|" + epoch + "|" + kind + "|" + member + "|" + global + "|" + key + "|" + value;
        crc.update(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return (int)crc.getValue();
    }

    @Override
    public String toString()
    {
        return kind == Kind.SET ?
            "SET@" + lsn + "[e" + epoch + " " + member + " ^" + nodeKey() + "=" + value + "]" :
            "EPOCH_START@" + lsn + "[e" + epoch + " " + member + "]";
    }
}
