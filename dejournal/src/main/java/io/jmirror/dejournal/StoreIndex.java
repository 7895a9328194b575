package io.jmirror.dejournal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The (database, global) to {@link GlobalTree} table of a {@link GlobalStore}: open addressing over a copy-on-write
 * array.
 * <p>
 * Why not a {@code ConcurrentHashMap}: the dejournal looks a global up once per record from the name bytes in the
 * journal frame, and a map keyed by {@code String} would decode two strings per record. Here a lookup hashes the
 * bytes where they lie and compares them with the tree's, allocating nothing, and takes no lock: the table is
 * replaced, never changed in place, so a reader of the volatile reference sees a complete table. New globals are
 * rare (a database has hundreds, not millions), so copying the table on each insert is cheap.
 * Trees are never removed; an emptied global keeps its (empty) tree for the next SET.
 */
final class StoreIndex
{
    private static final int INITIAL_CAPACITY = 64;
    /** Mixed in between the two names so that ("AB", "C") and ("A", "BC") hash apart. */
    private static final int SEPARATOR = 0x100;

    private volatile GlobalTree[] table = new GlobalTree[INITIAL_CAPACITY];
    private int size;

    /**
     * @return the tree of the names given as UTF-8 bytes in {@code buffer}, created if new.
     */
    GlobalTree findOrCreate(
        final DirectBuffer buffer, final int databaseOffset, final int databaseLength,
        final int globalOffset, final int globalLength)
    {
        final int hash = hash(buffer, databaseOffset, databaseLength, globalOffset, globalLength);
        final GlobalTree[] table = this.table;
        final int mask = table.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            final GlobalTree tree = table[i];
            if (tree == null)
            {
                break;
            }
            if (tree.nameHash() == hash &&
                equals(tree, buffer, databaseOffset, databaseLength, buffer, globalOffset, globalLength))
            {
                return tree;
            }
        }
        final byte[] database = new byte[databaseLength];
        buffer.getBytes(databaseOffset, database);
        final byte[] global = new byte[globalLength];
        buffer.getBytes(globalOffset, global);
        return create(database, global, hash);
    }

    /**
     * @return the tree of the names, created if new; ASCII names are found without allocating.
     */
    GlobalTree findOrCreate(final String database, final String global)
    {
        final GlobalTree tree = find(database, global);
        if (tree != null)
        {
            return tree;
        }
        final byte[] databaseBytes = database.getBytes(StandardCharsets.UTF_8);
        final byte[] globalBytes = global.getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer db = new UnsafeBuffer(databaseBytes);
        final UnsafeBuffer gl = new UnsafeBuffer(globalBytes);
        return create(databaseBytes, globalBytes, hash(db, 0, databaseBytes.length, gl, 0, globalBytes.length));
    }

    /**
     * @return the tree of the names, or null if no record has named them yet.
     */
    GlobalTree find(final String database, final String global)
    {
        if (!isAscii(database) || !isAscii(global))
        {
            final byte[] databaseBytes = database.getBytes(StandardCharsets.UTF_8);
            final byte[] globalBytes = global.getBytes(StandardCharsets.UTF_8);
            return find(new UnsafeBuffer(databaseBytes), databaseBytes.length, new UnsafeBuffer(globalBytes),
                globalBytes.length);
        }
        int hash = 0;
        for (int i = 0, n = database.length(); i < n; i++)
        {
            hash = 31 * hash + database.charAt(i);
        }
        hash = 31 * hash + SEPARATOR;
        for (int i = 0, n = global.length(); i < n; i++)
        {
            hash = 31 * hash + global.charAt(i);
        }
        hash = spread(hash);
        final GlobalTree[] table = this.table;
        final int mask = table.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            final GlobalTree tree = table[i];
            if (tree == null)
            {
                return null;
            }
            if (tree.nameHash() == hash && equals(tree, database, global))
            {
                return tree;
            }
        }
    }

    /**
     * @return every tree, in no particular order.
     */
    List<GlobalTree> trees()
    {
        final List<GlobalTree> trees = new ArrayList<>();
        for (final GlobalTree tree : table)
        {
            if (tree != null)
            {
                trees.add(tree);
            }
        }
        return trees;
    }

    private GlobalTree find(
        final DirectBuffer database, final int databaseLength, final DirectBuffer global, final int globalLength)
    {
        final int hash = hash(database, 0, databaseLength, global, 0, globalLength);
        final GlobalTree[] table = this.table;
        final int mask = table.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            final GlobalTree tree = table[i];
            if (tree == null)
            {
                return null;
            }
            if (tree.nameHash() == hash && equals(tree, database, 0, databaseLength, global, 0, globalLength))
            {
                return tree;
            }
        }
    }

    private synchronized GlobalTree create(final byte[] database, final byte[] global, final int hash)
    {
        GlobalTree[] table = this.table;
        int mask = table.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            final GlobalTree tree = table[i];
            if (tree == null)
            {
                break;
            }
            if (tree.nameHash() == hash && tree.databaseLength() == database.length &&
                Arrays.equals(tree.names(), 0, database.length, database, 0, database.length) &&
                Arrays.equals(tree.names(), database.length, tree.names().length, global, 0, global.length))
            {
                return tree;
            }
        }
        final GlobalTree created = new GlobalTree(
            new String(database, StandardCharsets.UTF_8), new String(global, StandardCharsets.UTF_8),
            database, global, hash);
        final int capacity = 2 * (size + 1) > table.length ? 2 * table.length : table.length;
        final GlobalTree[] copy = new GlobalTree[capacity];
        mask = capacity - 1;
        for (final GlobalTree tree : table)
        {
            if (tree != null)
            {
                put(copy, mask, tree);
            }
        }
        put(copy, mask, created);
        size++;
        this.table = copy;
        return created;
    }

    private static void put(final GlobalTree[] table, final int mask, final GlobalTree tree)
    {
        int i = tree.nameHash() & mask;
        while (table[i] != null)
        {
            i = (i + 1) & mask;
        }
        table[i] = tree;
    }

    private static int hash(
        final DirectBuffer buffer, final int databaseOffset, final int databaseLength,
        final int globalOffset, final int globalLength)
    {
        return hash(buffer, databaseOffset, databaseLength, buffer, globalOffset, globalLength);
    }

    private static int hash(
        final DirectBuffer database, final int databaseOffset, final int databaseLength,
        final DirectBuffer global, final int globalOffset, final int globalLength)
    {
        int hash = 0;
        for (int i = 0; i < databaseLength; i++)
        {
            hash = 31 * hash + (database.getByte(databaseOffset + i) & 0xFF);
        }
        hash = 31 * hash + SEPARATOR;
        for (int i = 0; i < globalLength; i++)
        {
            hash = 31 * hash + (global.getByte(globalOffset + i) & 0xFF);
        }
        return spread(hash);
    }

    private static int spread(final int hash)
    {
        final int h = hash * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private static boolean isAscii(final String s)
    {
        for (int i = 0, n = s.length(); i < n; i++)
        {
            if (s.charAt(i) >= 0x80)
            {
                return false;
            }
        }
        return true;
    }

    private static boolean equals(
        final GlobalTree tree, final DirectBuffer database, final int databaseOffset, final int databaseLength,
        final DirectBuffer global, final int globalOffset, final int globalLength)
    {
        final byte[] names = tree.names();
        if (tree.databaseLength() != databaseLength || names.length != databaseLength + globalLength)
        {
            return false;
        }
        for (int i = 0; i < databaseLength; i++)
        {
            if (names[i] != database.getByte(databaseOffset + i))
            {
                return false;
            }
        }
        for (int i = 0; i < globalLength; i++)
        {
            if (names[databaseLength + i] != global.getByte(globalOffset + i))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean equals(final GlobalTree tree, final String database, final String global)
    {
        final byte[] names = tree.names();
        final int databaseLength = database.length();
        if (tree.databaseLength() != databaseLength || names.length != databaseLength + global.length())
        {
            return false;
        }
        for (int i = 0; i < databaseLength; i++)
        {
            if (names[i] != database.charAt(i))
            {
                return false;
            }
        }
        for (int i = 0, n = global.length(); i < n; i++)
        {
            if (names[databaseLength + i] != global.charAt(i))
            {
                return false;
            }
        }
        return true;
    }
}
