package io.jmirror.journal;

import org.agrona.DirectBuffer;

/**
 * Layout of a record's before-image: what a SET, KILL or ZKILL inside a transaction replaced, so that any member
 * can roll the transaction back from the journal alone. It sits at the end of the record's body (see
 * {@link RecordDescriptor}) and starts with a kind byte.
 * <pre>
 *  UNDEFINED (SET or ZKILL of a node that had no value): one byte.
 *  +---------------+
 *  |   Kind = 1    |
 *  +---------------+
 *
 *  VALUE (SET or ZKILL of a node that had a value): the old value, to the before-image's end.
 *  +---------------+-----------------------------------------------+
 *  |   Kind = 2    |  Old Value ...                                |
 *  +---------------+-----------------------------------------------+
 *
 *  NODES (KILL): every node the KILL removed that held a value, each with its full subscripts; none when the
 *  KILL removed nothing.
 *  +---------------+-------------------------------+-------------------------------+
 *  |   Kind = 3    |  Key Length (4, little-endian) | Value Length (4, little-endian)|  then Key, Value,
 *  +---------------+-------------------------------+-------------------------------+  next node ...
 * </pre>
 * Undoing a record from its before-image: UNDEFINED is undone by a ZKILL of the node, VALUE by a SET of the old
 * value, NODES by a SET of each node listed.
 */
public final class BeforeImageDescriptor
{
    /** The node had no value. */
    public static final byte KIND_UNDEFINED = 1;
    /** The node's old value follows. */
    public static final byte KIND_VALUE = 2;
    /** The removed nodes follow. */
    public static final byte KIND_NODES = 3;

    public static final int KIND_OFFSET = 0;
    public static final int VALUE_OFFSET = 1;
    public static final int NODES_OFFSET = 1;
    /** Bytes before a node's key in a NODES before-image. */
    public static final int NODE_HEADER_LENGTH = 8;
    public static final int NODE_KEY_LENGTH_OFFSET = 0;
    public static final int NODE_VALUE_LENGTH_OFFSET = 4;

    private BeforeImageDescriptor()
    {
    }

    /**
     * Check that a before-image is well formed for a record type.
     *
     * @param type   the record's type.
     * @param buffer holding the before-image.
     * @param offset of its first byte.
     * @param length its length, at least 1.
     * @return null when it is well formed, else what is wrong with it.
     */
    public static String validate(final RecordType type, final DirectBuffer buffer, final int offset, final int length)
    {
        if (!type.isNodeRecord())
        {
            return "a before-image on a record that names no node: type=" + type;
        }
        final byte kind = buffer.getByte(offset + KIND_OFFSET);
        switch (kind)
        {
            case KIND_UNDEFINED:
                if (type == RecordType.KILL)
                {
                    return "a KILL's before-image lists nodes: kind=UNDEFINED";
                }
                return length == 1 ? null : "an UNDEFINED before-image is one byte: beforeImageLength=" + length;

            case KIND_VALUE:
                return type == RecordType.KILL ? "a KILL's before-image lists nodes: kind=VALUE" : null;

            case KIND_NODES:
                if (type != RecordType.KILL)
                {
                    return "only a KILL's before-image lists nodes: type=" + type;
                }
                return validateNodes(buffer, offset, length);

            default:
                return "unknown before-image kind: kind=" + kind;
        }
    }

    private static String validateNodes(final DirectBuffer buffer, final int offset, final int length)
    {
        long position = NODES_OFFSET;
        while (position < length)
        {
            if (position + NODE_HEADER_LENGTH > length)
            {
                return "before-image node header runs past its end: nodeOffset=" + position;
            }
            final int keyLength = buffer.getInt(offset + (int)position + NODE_KEY_LENGTH_OFFSET,
                java.nio.ByteOrder.LITTLE_ENDIAN);
            final int valueLength = buffer.getInt(offset + (int)position + NODE_VALUE_LENGTH_OFFSET,
                java.nio.ByteOrder.LITTLE_ENDIAN);
            if (keyLength < 0 || valueLength < 0 ||
                position + NODE_HEADER_LENGTH + keyLength + valueLength > length)
            {
                return "before-image node runs past its end: nodeOffset=" + position + " keyLength=" + keyLength +
                    " valueLength=" + valueLength;
            }
            position += NODE_HEADER_LENGTH + (long)keyLength + valueLength;
        }
        return null;
    }
}
