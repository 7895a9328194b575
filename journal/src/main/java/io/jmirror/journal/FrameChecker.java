package io.jmirror.journal;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import static io.jmirror.journal.RecordDescriptor.*;

/**
 * Decides whether the bytes at a position are a complete, intact frame, and computes frame checksums. Each thread
 * that reads or writes frames owns one: it keeps a reusable {@link CRC32C} and a private view of the current file's
 * mapping, since {@code CRC32C} sums a {@link ByteBuffer} by moving its position.
 */
final class FrameChecker
{
    /** Nothing written here yet. */
    static final int EMPTY = 0;
    /** A complete record frame. */
    static final int RECORD = 1;
    /** A complete padding frame running to the end of the file. */
    static final int PADDING = 2;
    /** Frame length not aligned-in-file or too short. */
    static final int BAD_LENGTH = -1;
    /** Stored checksum differs from the computed one. */
    static final int BAD_CHECKSUM = -2;
    /** Field lengths do not add up to the frame length. */
    static final int BAD_STRUCTURE = -3;
    /** Type byte names no record type. */
    static final int BAD_TYPE = -4;
    /** Padding that does not run exactly to the file end or has a wrong check value. */
    static final int BAD_PADDING = -5;
    /** The frame names another LSN than where it lies: a stale frame of a reused file, or a misdirected write. */
    static final int BAD_LSN = -6;
    /** The before-image is not well formed for the record's type. */
    static final int BAD_BEFORE_IMAGE = -7;

    private static final byte EPOCH_START_CODE = RecordType.EPOCH_START.code();

    private final CRC32C crc = new CRC32C();
    private JournalFile viewFile;
    private ByteBuffer view;
    private int lastExpected;
    private int lastActual;
    private long lastFrameLsn;
    private String lastProblem;

    /**
     * @return the checksum over {@code [offset + 8, offset + alignedLength)} of the file's mapping: the alignment
     * bytes are summed too, so every byte of the journal is covered.
     */
    int checksum(final JournalFile file, final int frameOffset, final int frameLength)
    {
        if (file != viewFile)
        {
            viewFile = file;
            view = file.mappedBuffer().duplicate();
        }
        view.limit(frameOffset + RecordDescriptor.alignedLength(frameLength))
            .position(frameOffset + CHECKSUM_START_OFFSET);
        crc.reset();
        crc.update(view);
        return (int)crc.getValue();
    }

    /**
     * Check the frame at {@code offset} of {@code file}.
     *
     * @param verifyChecksum false to skip the CRC (lengths and structure are always checked).
     * @return EMPTY, RECORD, PADDING, or a negative BAD_* code.
     */
    int check(final JournalFile file, final int offset, final boolean verifyChecksum)
    {
        final UnsafeBuffer buffer = file.buffer();
        final int frameLength = buffer.getIntAcquire(offset + FRAME_LENGTH_OFFSET);
        if (frameLength == 0)
        {
            return EMPTY;
        }

        final long fileEnd = file.fileLength();
        final long lsn = file.baseLsn() + (offset - JournalFileDescriptor.HEADER_LENGTH);
        if (frameLength < 0)
        {
            final long paddingLength = -(long)frameLength;
            if (offset + paddingLength != fileEnd || paddingLength < MIN_PADDING_LENGTH ||
                buffer.getInt(offset + CHECKSUM_OFFSET) != paddingChecksum(frameLength, lsn))
            {
                return BAD_PADDING;
            }
            return PADDING;
        }

        // Aligned in long arithmetic: a length near Integer.MAX_VALUE must not wrap to a negative frame end.
        if (frameLength < HEADER_LENGTH || offset + (((long)frameLength + ALIGNMENT - 1) & -ALIGNMENT) > fileEnd)
        {
            return BAD_LENGTH;
        }

        // One read for type and three lengths (see RecordDescriptor's header word), one for the value length.
        final long headerWord = buffer.getLong(offset + HEADER_WORD_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (!RecordType.isRecordCode(typeCode(headerWord)))
        {
            return BAD_TYPE;
        }

        final int keyLength = keyLength(headerWord);
        final long lengthWord = buffer.getLong(offset + LENGTH_WORD_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int valueLength = valueLength(lengthWord);
        final int beforeImageLength = beforeImageLength(lengthWord);
        if (keyLength < 0 || valueLength < 0 || beforeImageLength < 0 || frameLength(databaseLength(headerWord),
            globalLength(headerWord), keyLength, valueLength, beforeImageLength) != frameLength)
        {
            return BAD_STRUCTURE;
        }

        if (typeCode(headerWord) == EPOCH_START_CODE &&
            (valueLength < EPOCH_VALUE_MEMBER_OFFSET || (headerWord >>> 8) != 0 || beforeImageLength != 0))
        {
            return BAD_STRUCTURE;
        }

        final long frameLsn = buffer.getLong(offset + LSN_OFFSET);
        if (frameLsn != lsn)
        {
            lastFrameLsn = frameLsn;
            return BAD_LSN;
        }

        if (verifyChecksum)
        {
            final int expected = buffer.getInt(offset + CHECKSUM_OFFSET);
            final int actual = checksum(file, offset, frameLength);
            if (expected != actual)
            {
                lastExpected = expected;
                lastActual = actual;
                return BAD_CHECKSUM;
            }
        }

        if (beforeImageLength > 0)
        {
            lastProblem = BeforeImageDescriptor.validate(RecordType.fromCode(typeCode(headerWord)), buffer,
                offset + frameLength - beforeImageLength, beforeImageLength);
            if (null != lastProblem)
            {
                return BAD_BEFORE_IMAGE;
            }
        }

        return RECORD;
    }

    /**
     * @return an exception naming the file, LSN and what is wrong with the frame that got {@code status}.
     */
    JournalException corrupt(final int status, final JournalFile file, final long lsn)
    {
        final int offset = file.offsetOf(lsn);
        final int frameLength = file.buffer().getInt(offset);
        final String what;
        switch (status)
        {
            case BAD_CHECKSUM:
                what = "bad CRC: expected=" + lastExpected + " actual=" + lastActual;
                break;
            case BAD_LENGTH:
                what = "bad frame length";
                break;
            case BAD_STRUCTURE:
                what = "field lengths do not add up to the frame length";
                break;
            case BAD_TYPE:
                what = "unknown record type: type=" + file.buffer().getByte(offset + TYPE_OFFSET);
                break;
            case BAD_PADDING:
                what = "bad padding frame";
                break;
            case BAD_LSN:
                what = "frame of another LSN: frameLsn=" + lastFrameLsn;
                break;
            case BAD_BEFORE_IMAGE:
                what = "bad before-image: " + lastProblem;
                break;
            default:
                what = "status=" + status;
        }
        return new JournalException(JournalException.Code.CORRUPT_FRAME, what + ": file=" + file.path().getFileName() +
            " lsn=" + lsn + " fileOffset=" + offset + " frameLength=" + frameLength);
    }
}
