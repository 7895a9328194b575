package io.jmirror.dejournal;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.SubscriptKey;
import org.agrona.DirectBuffer;

import java.util.Map;

/**
 * What every built-in store answers, so that checks compare stores of any kind: a node's value and the per-global
 * digests. {@link GlobalStore} and {@link RocksDbTarget} compute digests the same way, so equal contents give equal
 * digests whichever store holds them.
 */
public interface StoreReader
{
    /**
     * @return a copy of the node's value, or null if the node has none.
     */
    byte[] get(String database, String global, DirectBuffer key, int keyOffset, int keyLength);

    /**
     * @return a copy of the node's value, or null if the node has none.
     */
    default byte[] get(final String database, final String global, final SubscriptKey key)
    {
        return get(database, global, key.buffer(), 0, key.length());
    }

    /**
     * @return the digest of every global that has nodes, by database then global name.
     */
    Map<GlobalName, GlobalDigest> digests();

    /**
     * Visits the node {@code prefix} (if it has a value) and all its descendants in collation order; the root key
     * visits the whole global. The visitor's key is the encoded subscripts.
     */
    void query(String database, String global, SubscriptKey prefix, GlobalStore.NodeVisitor visitor);
}
