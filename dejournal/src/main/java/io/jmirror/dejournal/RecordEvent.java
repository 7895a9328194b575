package io.jmirror.dejournal;

import org.agrona.DirectBuffer;

/**
 * A ring slot: a reference to one record in the mapped journal (buffer, offset, LSN), never a copy of it. The
 * journal file stays mapped while the record is in flight because the dejournaler's consumer position (the applied
 * LSN) keeps purge away from it.
 * <p>
 * Kept to 32 bytes with compressed oops (12 of header, 4 + 4 + 8 of fields): two slots to a cache line. Anything
 * else about the record (its timestamp for the status) is read from the frame when needed.
 */
final class RecordEvent
{
    DirectBuffer buffer;
    int offset;
    long lsn;
}
