package io.jmirror.dejournal;

import org.agrona.DirectBuffer;

/**
 * A ring slot: a reference to one record in the mapped journal (buffer, offset, LSN), never a copy of it. The
 * journal file stays mapped while the record is in flight because the dejournaler's consumer position (the applied
 * LSN) keeps purge away from it.
 */
final class RecordEvent
{
    DirectBuffer buffer;
    int offset;
    long lsn;
    long timestamp;
}
