package io.jmirror.harness;

import io.jmirror.dejournal.GlobalDigest;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.RocksDbTarget;
import io.jmirror.dejournal.StoreReader;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.dejournal.Target;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.SubscriptKey;
import java.nio.file.Path;
import java.util.Map;
import org.agrona.DirectBuffer;

/**
 * A member node's store, whichever kind: the target its dejournaler applies to, a node read for the order check,
 * and the per-global digests the data check compares.
 */
interface MemberStore extends AutoCloseable
{
    /** Where a node keeps its RocksDB store, under its directory. */
    String ROCKSDB_DIR = "store";

    /**
     * @return the target to apply to.
     */
    Target target();

    /**
     * @return the store's reads: values, digests and walks of a global.
     */
    StoreReader reader();

    /**
     * @return a copy of the node's value, or null if it has none.
     */
    byte[] get(String database, String global, DirectBuffer key, int keyOffset, int keyLength);

    /**
     * @return a copy of the node's value, or null if it has none.
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
     * @return whether the store outlives the process, so that it may hold records a restart applies again.
     */
    boolean isDurable();

    @Override
    void close();

    /**
     * @param nodeDir the node's directory; a RocksDB store lives in its {@value #ROCKSDB_DIR} directory.
     */
    static MemberStore open(final StoreKind kind, final Path nodeDir)
    {
        return kind == StoreKind.ROCKSDB ? rocksDb(RocksDbTarget.open(nodeDir.resolve(ROCKSDB_DIR))) :
            memory(new GlobalStore());
    }

    static MemberStore memory(final GlobalStore store)
    {
        return of(new StoreTarget(store), store, false, () -> { });
    }

    static MemberStore rocksDb(final RocksDbTarget target)
    {
        return of(target, target, true, target::close);
    }

    /**
     * @param durable whether the store outlives the process.
     * @param closer  releases the store.
     */
    private static MemberStore of(
        final Target target, final StoreReader reader, final boolean durable, final Runnable closer)
    {
        return new MemberStore()
        {
            @Override
            public Target target()
            {
                return target;
            }

            @Override
            public StoreReader reader()
            {
                return reader;
            }

            @Override
            public byte[] get(
                final String database, final String global, final DirectBuffer key, final int keyOffset,
                final int keyLength)
            {
                return reader.get(database, global, key, keyOffset, keyLength);
            }

            @Override
            public Map<GlobalName, GlobalDigest> digests()
            {
                return reader.digests();
            }

            @Override
            public boolean isDurable()
            {
                return durable;
            }

            @Override
            public void close()
            {
                closer.run();
            }
        };
    }
}
