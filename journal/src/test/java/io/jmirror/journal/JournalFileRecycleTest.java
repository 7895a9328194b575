package io.jmirror.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A purged file keeps its mapping in the free pool and comes back through it: what is written through the kept
 * mapping is the renamed file's content, and the directory holds no more free files than the pool.
 */
class JournalFileRecycleTest
{
    private static final long FILE_LENGTH = 8 * 1024;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Recycle");

    @TempDir
    Path dir;

    @Test
    void aKeptMappingFollowsItsFileAcrossRenames() throws Exception
    {
        final JournalFile first = JournalFile.create(dir, 0, FILE_LENGTH, 42, "m", 1);
        for (int offset = JournalFileDescriptor.HEADER_LENGTH; offset < FILE_LENGTH; offset += 8)
        {
            first.buffer().putLong(offset, -1L);
        }
        final Path free = dir.resolve(JournalFileDescriptor.FREE_PREFIX + "0" + JournalFileDescriptor.FILE_SUFFIX);
        final MappedByteBuffer mapping = first.release();
        JournalFile.rename(first.path(), free);
        first.unmap();
        first.force(0, FILE_LENGTH);

        final JournalFile reused = JournalFile.recycle(free, mapping, dir, 3, FILE_LENGTH, 42, "m", 2);
        assertSame(mapping, reused.mappedBuffer(), "no new mapping");
        assertFalse(Files.exists(free));
        reused.buffer().putLong(JournalFileDescriptor.HEADER_LENGTH, 7L);
        reused.force(reused.baseLsn(), reused.baseLsn() + 8);
        reused.unmap();

        final JournalFile reopened = JournalFile.open(reused.path(), 42, "m", true);
        assertEquals(3, reopened.index());
        assertEquals(2, reopened.epoch());
        assertEquals(7L, reopened.buffer().getLong(JournalFileDescriptor.HEADER_LENGTH));
        for (int offset = JournalFileDescriptor.HEADER_LENGTH + 8; offset < FILE_LENGTH; offset += 8)
        {
            assertEquals(0L, reopened.buffer().getLong(offset), "stale bytes at fileOffset=" + offset);
        }
        reopened.unmap();
    }

    @Test
    void purgedFilesBeyondThePoolAreDeletedAndThePoolIsOnDiskAfterClose() throws Exception
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).fileLength(FILE_LENGTH)
            .syncPolicy(SyncPolicy.NONE).retainMinFiles(1).retainMs(0).recycleFiles(1)))
        {
            final SubscriptKey key = new SubscriptKey().add(1);
            while (journal.fileCount() < 5)
            {
                journal.appender().set(0, GLOBAL, key, new byte[400]);
            }
            assertEquals(4, journal.purge());
            assertEquals(1, journal.freeFileCount(), "the prepared file took none: it was made before the purge");
        }
        final List<String> names;
        try (Stream<Path> paths = Files.list(dir))
        {
            names = paths.map((path) -> path.getFileName().toString()).sorted().collect(Collectors.toList());
        }
        assertEquals(1, names.stream().filter((name) -> name.startsWith(JournalFileDescriptor.FREE_PREFIX)).count(),
            names.toString());
        assertEquals(List.of(JournalFileDescriptor.fileName(4 * (FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH)),
            JournalFileDescriptor.fileName(5 * (FILE_LENGTH - JournalFileDescriptor.HEADER_LENGTH))),
            names.stream().filter((name) -> !name.startsWith(JournalFileDescriptor.FREE_PREFIX))
                .collect(Collectors.toList()), "the tail and the file prepared after it: " + names);
    }

    @Test
    void aFreeFileThatCannotBeReusedCostsANewFileAndTheNextPurgeReportsIt() throws Exception
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir).fileLength(FILE_LENGTH)
            .syncPolicy(SyncPolicy.NONE).retainMinFiles(1).retainMs(0).recycleFiles(1)))
        {
            final SubscriptKey key = new SubscriptKey().add(1);
            while (journal.fileCount() < 3)
            {
                journal.appender().set(0, GLOBAL, key, new byte[400]);
            }
            // someone removed the oldest file behind the journal's back: keeping it for reuse fails off the thread
            Files.delete(dir.resolve(JournalFileDescriptor.fileName(0)));
            assertEquals(2, journal.purge());
            final long capacity = journal.fileCapacity();
            while (journal.tailLsn() < 4 * capacity + 1000)
            {
                journal.appender().set(0, GLOBAL, key, new byte[400]);
            }
            assertEquals(0, journal.recycledFileCount(), "file 4 was made new, in place of the lost free file");
            final JournalException ex = assertThrows(JournalException.class, journal::purge);
            assertEquals(JournalException.Code.IO_ERROR, ex.code());
            assertTrue(journal.purge() >= 1, "reported once; purging goes on");
        }
    }
}
