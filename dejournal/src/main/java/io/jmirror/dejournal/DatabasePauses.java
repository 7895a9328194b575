package io.jmirror.dejournal;

import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalReader;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Pause and resume per database, and the databases the journal has named. A paused database's records are skipped
 * from the read position at which the pause took effect; on resume they are replayed by a catch-up reader from there
 * up to the main reader's position, and only then does the database count as resumed, so its records stay in journal
 * order. One catch-up runs at a time: a database resumed while another catches up waits its turn in a queue.
 * <p>
 * Any thread may ask for a pause or resume ({@link #pause}, {@link #resume}, {@link #isPaused},
 * {@link #databases}); the requests take effect on the dispatcher thread, which alone calls the other methods.
 */
final class DatabasePauses
{
    /**
     * What a request asks for.
     */
    private enum Action
    {
        PAUSE, RESUME
    }

    private record Request(Action action, String database)
    {
    }

    private final Journal journal;
    private final boolean verifyChecksums;
    private final Queue<Request> requests = new ConcurrentLinkedQueue<>();
    private final List<KnownDatabase> knownDatabases = new ArrayList<>();
    private final List<String> knownDatabaseNames = new ArrayList<>();
    private final List<PausedDatabase> paused = new CopyOnWriteArrayList<>();
    /** Databases whose resume waits for the catch-up of another to finish: one catch-up reader at a time. */
    private final ArrayDeque<String> pendingResumes = new ArrayDeque<>();
    private JournalReader catchUp;
    private PausedDatabase catchingUp;
    private KnownDatabase lastDatabase;

    /**
     * A paused database: its records are skipped from {@code sinceLsn} on and replayed on resume.
     */
    static final class PausedDatabase
    {
        final byte[] name;
        final String text;
        final long sinceLsn;

        PausedDatabase(final String text, final long sinceLsn)
        {
            this.text = text;
            this.name = text.getBytes(StandardCharsets.UTF_8);
            this.sinceLsn = sinceLsn;
        }
    }

    /**
     * A database the journal has named, with its paused state as the dispatcher thread sees it. The name is kept
     * zero-padded to a multiple of 8 bytes so that it compares with a frame's name a word at a time.
     */
    static final class KnownDatabase
    {
        final byte[] name;
        final UnsafeBuffer words;
        PausedDatabase paused;

        KnownDatabase(final byte[] name)
        {
            this.name = name;
            this.words = new UnsafeBuffer(Arrays.copyOf(name, BitUtil.align(name.length, Long.BYTES)));
        }

        /**
         * Compares 8 bytes at a time; the last word may run past the name into the rest of the frame, whose bytes
         * are masked off (see {@link WorkerRouter#tailMask}).
         */
        boolean matches(final DirectBuffer buffer, final int offset, final int length)
        {
            if (length != name.length)
            {
                return false;
            }
            int i = 0;
            for (; i + Long.BYTES <= length; i += Long.BYTES)
            {
                if (buffer.getLong(offset + i, ByteOrder.LITTLE_ENDIAN) != words.getLong(i, ByteOrder.LITTLE_ENDIAN))
                {
                    return false;
                }
            }
            return i == length || ((buffer.getLong(offset + i, ByteOrder.LITTLE_ENDIAN) ^
                words.getLong(i, ByteOrder.LITTLE_ENDIAN)) & WorkerRouter.tailMask(length - i)) == 0;
        }
    }

    DatabasePauses(final Journal journal, final boolean verifyChecksums)
    {
        this.journal = journal;
        this.verifyChecksums = verifyChecksums;
    }

    /**
     * Ask for a database to be paused; any thread. Pausing a paused database does nothing.
     */
    void pause(final String database)
    {
        requests.add(new Request(Action.PAUSE, database));
    }

    /**
     * Ask for a paused database to be resumed; any thread. Resuming one that is not paused, or twice, does nothing.
     */
    void resume(final String database)
    {
        requests.add(new Request(Action.RESUME, database));
    }

    /**
     * On the dispatcher thread: carry out the requests made so far. A pause takes effect at {@code readPosition}.
     * Each request is taken from the queue once and never put back, so this ends however many arrive.
     *
     * @param readPosition where the main reader will read next.
     * @return the number of requests carried out.
     */
    int runRequests(final long readPosition)
    {
        int work = 0;
        Request request;
        while (null != (request = requests.poll()))
        {
            if (request.action() == Action.PAUSE)
            {
                onPause(request.database(), readPosition);
            }
            else
            {
                onResume(request.database());
            }
            work++;
        }
        return work;
    }

    private void onPause(final String database, final long readPosition)
    {
        if (null == find(database))
        {
            paused.add(new PausedDatabase(database, readPosition));
            refreshPaused();
        }
    }

    private void onResume(final String database)
    {
        final PausedDatabase p = find(database);
        if (null == p || p == catchingUp)
        {
            return;
        }
        if (null == catchUp)
        {
            startCatchUp(p);
        }
        else if (!pendingResumes.contains(database))
        {
            pendingResumes.add(database);
        }
    }

    private PausedDatabase find(final String database)
    {
        for (final PausedDatabase p : paused)
        {
            if (p.text.equals(database))
            {
                return p;
            }
        }
        return null;
    }

    private void startCatchUp(final PausedDatabase p)
    {
        catchingUp = p;
        catchUp = journal.reader(p.sinceLsn).verifyChecksums(verifyChecksums);
    }

    /**
     * @return the reader replaying the database being resumed, or null when none is.
     */
    JournalReader catchUpReader()
    {
        return catchUp;
    }

    /**
     * @return whether the record of this database is one the catch-up reader replays.
     */
    boolean isCatchingUp(final KnownDatabase database)
    {
        return null != catchingUp && database.paused == catchingUp;
    }

    /**
     * The catch-up reader reached the main reader: the database counts as resumed, and the next waiting resume, if
     * any, starts its catch-up.
     */
    void onCatchUpDone()
    {
        paused.remove(catchingUp);
        catchUp.close();
        catchUp = null;
        catchingUp = null;
        refreshPaused();
        String database;
        while (null == catchUp && null != (database = pendingResumes.poll()))
        {
            final PausedDatabase p = find(database);
            if (null != p)
            {
                startCatchUp(p);
            }
        }
    }

    /**
     * @param readPosition where the main reader will read next.
     * @return the lowest position below which every record of every database has been dispatched: the main reader's,
     * or where a paused database's skipped records begin, or where the catch-up reader is.
     */
    long dispatchedBelow(final long readPosition)
    {
        long dispatched = readPosition;
        for (int i = 0, n = paused.size(); i < n; i++)
        {
            final PausedDatabase p = paused.get(i);
            dispatched = Math.min(dispatched, p == catchingUp && null != catchUp ? catchUp.position() : p.sinceLsn);
        }
        return dispatched;
    }

    /**
     * @return the database of a record: the previous record's (the common case, one word compared), else found or
     * added (allocates once per database).
     */
    KnownDatabase database(final DirectBuffer buffer, final int offset, final int length)
    {
        final KnownDatabase last = lastDatabase;
        if (null != last && last.matches(buffer, offset, length))
        {
            return last;
        }
        return findDatabase(buffer, offset, length);
    }

    /**
     * The slow path of {@link #database}, once per database and journal: kept out of it because C2 inlined all of
     * it (list search, allocation, string decoding) into the dispatcher's {@code onRecord}, which made that method's
     * compiled code too big to be inlined into the reader's poll loop ({@code -XX:+PrintInlining}: "already compiled
     * into a big method"), so every record paid a call.
     */
    private KnownDatabase findDatabase(final DirectBuffer buffer, final int offset, final int length)
    {
        KnownDatabase found = null;
        for (int i = 0, n = knownDatabases.size(); i < n; i++)
        {
            if (knownDatabases.get(i).matches(buffer, offset, length))
            {
                found = knownDatabases.get(i);
                break;
            }
        }
        if (null == found)
        {
            final byte[] name = new byte[length];
            buffer.getBytes(offset, name);
            found = new KnownDatabase(name);
            found.paused = pausedEntry(name);
            knownDatabases.add(found);
            synchronized (knownDatabaseNames)
            {
                knownDatabaseNames.add(new String(name, StandardCharsets.UTF_8));
            }
        }
        lastDatabase = found;
        return found;
    }

    private PausedDatabase pausedEntry(final byte[] name)
    {
        for (int i = 0, n = paused.size(); i < n; i++)
        {
            final PausedDatabase p = paused.get(i);
            if (Arrays.equals(p.name, name))
            {
                return p;
            }
        }
        return null;
    }

    /**
     * After {@link #paused} changed: each known database's paused state again.
     */
    private void refreshPaused()
    {
        for (int i = 0, n = knownDatabases.size(); i < n; i++)
        {
            final KnownDatabase database = knownDatabases.get(i);
            database.paused = pausedEntry(database.name);
        }
    }

    /**
     * @return the databases the journal has named so far; any thread.
     */
    List<String> databases()
    {
        synchronized (knownDatabaseNames)
        {
            return new ArrayList<>(knownDatabaseNames);
        }
    }

    /**
     * @return whether the database is paused or still catching up after its resume; any thread.
     */
    boolean isPaused(final String database)
    {
        return null != find(database);
    }

    /**
     * Let go of the catch-up reader, if one is open.
     */
    void close()
    {
        if (null != catchUp)
        {
            catchUp.close();
            catchUp = null;
        }
    }
}
