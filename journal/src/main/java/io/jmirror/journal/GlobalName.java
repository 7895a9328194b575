package io.jmirror.journal;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A database and global pair with their UTF-8 bytes encoded once, so appends do not encode names per record.
 * Immutable; create one per global an application writes and reuse it.
 */
public final class GlobalName
{
    private final String database;
    private final String global;
    private final byte[] databaseBytes;
    private final byte[] globalBytes;
    private final byte[] names;

    private GlobalName(final String database, final String global)
    {
        this.database = database;
        this.global = global;
        this.databaseBytes = database.getBytes(StandardCharsets.UTF_8);
        this.globalBytes = global.getBytes(StandardCharsets.UTF_8);
        if (databaseBytes.length == 0 || databaseBytes.length > RecordDescriptor.MAX_DATABASE_LENGTH)
        {
            throw new IllegalArgumentException("database name must be 1.." + RecordDescriptor.MAX_DATABASE_LENGTH +
                " UTF-8 bytes: database=" + database);
        }
        if (globalBytes.length == 0 || globalBytes.length > RecordDescriptor.MAX_GLOBAL_LENGTH)
        {
            throw new IllegalArgumentException("global name must be 1.." + RecordDescriptor.MAX_GLOBAL_LENGTH +
                " UTF-8 bytes: global=" + global);
        }
        // A frame stores the two names back to back: one copy per append instead of two.
        this.names = new byte[databaseBytes.length + globalBytes.length];
        System.arraycopy(databaseBytes, 0, names, 0, databaseBytes.length);
        System.arraycopy(globalBytes, 0, names, databaseBytes.length, globalBytes.length);
    }

    /**
     * @param database database name, e.g. {@code USER}.
     * @param global   global name without the caret, e.g. {@code Patient}.
     * @return the pair.
     */
    public static GlobalName of(final String database, final String global)
    {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(global, "global");
        return new GlobalName(database, global.startsWith("^") ? global.substring(1) : global);
    }

    public String database()
    {
        return database;
    }

    public String global()
    {
        return global;
    }

    byte[] databaseBytes()
    {
        return databaseBytes;
    }

    byte[] globalBytes()
    {
        return globalBytes;
    }

    byte[] names()
    {
        return names;
    }

    @Override
    public boolean equals(final Object o)
    {
        return this == o ||
            (o instanceof GlobalName && database.equals(((GlobalName)o).database) &&
            global.equals(((GlobalName)o).global));
    }

    @Override
    public int hashCode()
    {
        return 31 * database.hashCode() + global.hashCode();
    }

    @Override
    public String toString()
    {
        return database + ":^" + global;
    }
}
