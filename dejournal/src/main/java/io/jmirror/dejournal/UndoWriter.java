package io.jmirror.dejournal;

import io.jmirror.journal.BeforeImage;
import io.jmirror.journal.BeforeImageDescriptor;
import io.jmirror.journal.GlobalName;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalRecord;
import io.jmirror.journal.RecordHandler;
import io.jmirror.journal.RecordType;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Journals the inverse of one record from its before-image, with the record's own effect as the undo's
 * before-image.
 */
final class UndoWriter implements RecordHandler
{
    private final JournalAppender appender;
    private final BeforeImage image = new BeforeImage();
    private final UnsafeBuffer key = new UnsafeBuffer(new byte[0]);
    private long transactionId;
    private boolean written;

    UndoWriter(final JournalAppender appender)
    {
        this.appender = appender;
    }

    boolean isWritten()
    {
        return written;
    }

    void reset(final long transactionId)
    {
        this.transactionId = transactionId;
        this.written = false;
    }

    @Override
    public void onRecord(final JournalRecord record)
    {
        final byte kind = record.beforeImageKind();
        if (kind == 0)
        {
            return;
        }
        final GlobalName global = GlobalName.of(record.database(), record.global());
        final byte[] keyBytes = record.key();
        key.wrap(keyBytes);
        switch (record.type())
        {
            case SET:
                // The SET made the node hold its value: that is what the undo replaces.
                image.value(record.buffer(), record.valueOffset(), record.valueLength());
                undoToBefore(record, global, keyBytes.length);
                break;

            case ZKILL:
                image.undefined();
                undoToBefore(record, global, keyBytes.length);
                break;

            case KILL:
                record.forEachBeforeNode((buffer, keyOffset, keyLength, valueOffset, valueLength) ->
                {
                    image.undefined();
                    appender.append(RecordType.SET, transactionId, global, buffer, keyOffset, keyLength,
                        buffer, valueOffset, valueLength, image.buffer(), 0, image.length());
                });
                break;

            default:
                return;
        }
        written = true;
    }

    private void undoToBefore(final JournalRecord record, final GlobalName global, final int keyLength)
    {
        if (record.beforeImageKind() == BeforeImageDescriptor.KIND_UNDEFINED)
        {
            appender.append(RecordType.ZKILL, transactionId, global, key, 0, keyLength, key, 0, 0,
                image.buffer(), 0, image.length());
        }
        else
        {
            appender.append(RecordType.SET, transactionId, global, key, 0, keyLength, record.buffer(),
                record.beforeValueOffset(), record.beforeValueLength(), image.buffer(), 0, image.length());
        }
    }
}
