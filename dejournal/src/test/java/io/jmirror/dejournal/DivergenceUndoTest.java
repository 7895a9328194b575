package io.jmirror.dejournal;

import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalReader;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A former primary's records beyond the divergence are undone on its store from their before-images; a record
 * without one leaves the store untouched and says which.
 */
class DivergenceUndoTest
{
    private static final GlobalName G = GlobalName.of("USER", "Div");

    @TempDir
    Path dir;

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void recordsWithBeforeImagesAreUndoneNewestFirst()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("j"))
            .syncPolicy(SyncPolicy.NONE)))
        {
            final GlobalStore store = new GlobalStore();
            final JournalAppender appender = journal.newAppender();
            final BeforeImage before = new BeforeImage();
            appender.set(0, G, SubscriptKey.of(1), bytes("kept"));
            store.set("USER", "Div", SubscriptKey.of(1), bytes("kept"));
            final long divergence = journal.tailLsn();
            final GlobalStore expected = new GlobalStore();
            try (JournalReader reader = journal.reader(0))
            {
                reader.poll(expected::apply, 10);
            }
            appender.tstart(5);
            appender.set(5, G, SubscriptKey.of(1), bytes("first"), before.value(bytes("kept")));
            store.set("USER", "Div", SubscriptKey.of(1), bytes("first"));
            appender.set(5, G, SubscriptKey.of(1), bytes("second"), before.value(bytes("first")));
            store.set("USER", "Div", SubscriptKey.of(1), bytes("second"));
            appender.set(5, G, SubscriptKey.of(2), bytes("new"), before.undefined());
            store.set("USER", "Div", SubscriptKey.of(2), bytes("new"));

            final DivergenceUndo.Result result = DivergenceUndo.undo(journal, divergence, new StoreTarget(store),
                dir.resolve("scratch"));
            assertTrue(result.isUndone());
            assertEquals(3, result.recordsUndone());
            assertEquals(List.of(), GlobalStore.compare(expected, store));
            assertFalse(Files.exists(dir.resolve("scratch")), "the scratch journal is removed");
        }
    }

    @Test
    void aRecordWithoutABeforeImageLeavesTheStoreAsItWas()
    {
        try (Journal journal = Journal.open(new JournalContext().journalDir(dir.resolve("j"))
            .syncPolicy(SyncPolicy.NONE)))
        {
            final GlobalStore store = new GlobalStore();
            final JournalAppender appender = journal.newAppender();
            final long divergence = journal.tailLsn();
            appender.tstart(5);
            appender.set(5, G, SubscriptKey.of(1), bytes("a"), new BeforeImage().undefined());
            store.set("USER", "Div", SubscriptKey.of(1), bytes("a"));
            final long noImage = appender.set(0, G, SubscriptKey.of(2), bytes("b"));
            store.set("USER", "Div", SubscriptKey.of(2), bytes("b"));
            final java.util.Map<GlobalName, GlobalDigest> before = store.digests();

            final DivergenceUndo.Result result = DivergenceUndo.undo(journal, divergence, new StoreTarget(store),
                dir.resolve("scratch"));
            assertFalse(result.isUndone());
            assertEquals(List.of(noImage), result.withoutBeforeImage());
            assertEquals(before, store.digests(), "nothing is undone when not everything can be");
        }
    }

    @Test
    void aTornLastFrameOfAReadOnlyJournalEndsTheUndoInsteadOfFailingIt() throws java.io.IOException
    {
        final Path journalDir = dir.resolve("j");
        final GlobalStore store = new GlobalStore();
        final GlobalStore expected = new GlobalStore();
        final long divergence;
        final long torn;
        try (Journal journal = Journal.open(new JournalContext().journalDir(journalDir).syncPolicy(SyncPolicy.NONE)))
        {
            final JournalAppender appender = journal.newAppender();
            appender.set(0, G, SubscriptKey.of(1), bytes("kept"));
            store.set("USER", "Div", SubscriptKey.of(1), bytes("kept"));
            expected.set("USER", "Div", SubscriptKey.of(1), bytes("kept"));
            divergence = journal.tailLsn();
            appender.tstart(5);
            appender.set(5, G, SubscriptKey.of(1), bytes("first"), new BeforeImage().value(bytes("kept")));
            store.set("USER", "Div", SubscriptKey.of(1), bytes("first"));
            torn = appender.set(5, G, SubscriptKey.of(3), bytes("torn by a kill"), new BeforeImage().undefined());
        }
        // A kill during the last write: the frame's bytes after its header are garbage.
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(
            journalDir.resolve(io.jmirror.journal.JournalFileDescriptor.fileName(0)).toFile(), "rw"))
        {
            raf.seek(io.jmirror.journal.JournalFileDescriptor.HEADER_LENGTH + torn + 12);
            raf.write(new byte[] {(byte)0xde, (byte)0xad, (byte)0xbe, (byte)0xef, 1, 2, 3, 4});
        }
        try (Journal onDisk = Journal.openReadOnly(journalDir))
        {
            assertEquals(torn, onDisk.tailLsn(), "the read-only journal ends before the torn frame");
            final DivergenceUndo.Result result = DivergenceUndo.undo(onDisk, divergence, new StoreTarget(store),
                dir.resolve("scratch"));
            assertTrue(result.isUndone(), result.withoutBeforeImage().toString());
            assertEquals(List.of(), GlobalStore.compare(expected, store));
        }
    }
}
