package io.jmirror.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Status counters carry a type id and a key that names their owner; a reader in another process decodes those, not
 * the label.
 */
class StatusCounterDescriptorTest
{
    @TempDir
    Path dir;

    @Test
    void theKeyIsLaidOutAsDrawn()
    {
        final UnsafeBuffer key = new UnsafeBuffer(new byte[StatusCounterDescriptor.NAME_OFFSET + 8]);
        assertEquals(16, StatusCounterDescriptor.encodeKey(key, "backup-1", 3));
        assertEquals(3, key.getInt(0));
        assertEquals(8, key.getInt(4));
        assertEquals('b', key.getByte(8));
        assertEquals('1', key.getByte(15));
        assertEquals("backup-1", StatusCounterDescriptor.name(key));
        assertEquals(3, StatusCounterDescriptor.workerIndex(key));
    }

    @Test
    void everyTypeIdIsUniqueAndInItsScopesHundred()
    {
        final Set<Integer> ids = new HashSet<>();
        final List<StatusCounterType.Scope> byHundred = List.of(StatusCounterType.Scope.PRIMARY,
            StatusCounterType.Scope.MEMBER, StatusCounterType.Scope.RECEIVER, StatusCounterType.Scope.DEJOURNAL,
            StatusCounterType.Scope.WORKER, StatusCounterType.Scope.NODE);
        for (final StatusCounterType type : StatusCounterType.values())
        {
            assertEquals(true, ids.add(type.typeId()), type.name());
            assertEquals(type, StatusCounterType.of(type.typeId()));
            final int hundred = type.typeId() / 100;
            assertEquals(type.scope(), hundred == 9 ? StatusCounterType.Scope.HARNESS : byHundred.get(hundred - 1),
                type.name());
        }
        assertNull(StatusCounterType.of(0));
        assertNull(StatusCounterType.of(99_999));
    }

    @Test
    void aReaderInAnotherProcessDecodesTypeAndKeyNotTheLabel()
    {
        try (StatusFile file = StatusFile.create(dir, 8))
        {
            file.newCounter(StatusCounterType.MEMBER_BYTES_RAW, "dr-1").setRelease(42);
            file.newCounter(StatusCounterType.WORKER_QUEUE_DEPTH, "dr-1", 2).setRelease(7);
            file.newCounter(StatusCounterType.PRIMARY_EPOCH, "").setRelease(5);
            try (StatusFile view = StatusFile.openReadOnly(dir))
            {
                final List<StatusCounter> counters = view.counters();
                assertEquals(List.of(
                    new StatusCounter(202, StatusCounterType.MEMBER_BYTES_RAW, "dr-1", -1, 42, "member=dr-1 bytesRaw"),
                    new StatusCounter(503, StatusCounterType.WORKER_QUEUE_DEPTH, "dr-1", 2, 7,
                        "worker=dr-1/2 queueDepth"),
                    new StatusCounter(105, StatusCounterType.PRIMARY_EPOCH, "", -1, 5, "primary epoch")), counters);
                assertEquals(42, view.value(StatusCounterType.MEMBER_BYTES_RAW, "dr-1", -1));
                assertEquals(-1, view.value(StatusCounterType.MEMBER_BYTES_RAW, "dr-2", -1));
            }
        }
    }

    @Test
    void aWorkerIndexBelongsToWorkerCountersOnly()
    {
        try (StatusFile file = StatusFile.create(null, 4))
        {
            assertThrows(JournalException.class, () -> file.newCounter(StatusCounterType.WORKER_RECORDS, "m"));
            assertThrows(JournalException.class, () -> file.newCounter(StatusCounterType.MEMBER_BATCHES, "m", 1));
            assertThrows(JournalException.class, () -> file.newCounter(StatusCounterType.MEMBER_BATCHES, "x".repeat(
                StatusCounterDescriptor.MAX_NAME_LENGTH + 1)));
        }
    }
}
