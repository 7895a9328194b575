package io.jmirror.harness;

import io.jmirror.journal.JournalFileDescriptor;
import io.jmirror.journal.RecordDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Damages a stopped node's journal at rest, as a disk would: a bit flipped inside a record, or a torn tail (a record
 * whose write a crash cut short). Only records are touched, or the space just after the last one, so the damage is
 * always one the journal's checks must find when the node starts again.
 */
final class FaultJournal
{
    private FaultJournal()
    {
    }

    /**
     * A record's place in a journal file.
     */
    private record Frame(Path file, long fileOffset, int length)
    {
    }

    /**
     * Flip one bit of one of the newest records.
     *
     * @return what was done, for the report.
     */
    static String flipBit(final Path journalDir, final Random random) throws IOException
    {
        final List<Frame> frames = newestFrames(journalDir);
        final Frame frame = frames.get(Math.max(0, frames.size() - 1 - random.nextInt(Math.min(64, frames.size()))));
        final long at = frame.fileOffset() + random.nextInt(frame.length());
        final int bit = random.nextInt(8);
        try (FileChannel channel = FileChannel.open(frame.file(), StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, at);
            one.flip();
            final byte flipped = (byte)(one.get(0) ^ (1 << bit));
            channel.write(ByteBuffer.wrap(new byte[] {flipped}), at);
            channel.force(true);
        }
        return "bit " + bit + " flipped at file=" + frame.file().getFileName() + " offset=" + at + " (record at " +
            frame.fileOffset() + ", " + frame.length() + " bytes)";
    }

    /**
     * Leave a torn record after the newest one, as a crash in the middle of a write does: its length and the start of
     * its header reached the disk, the rest did not. The records before it are untouched: they may have been
     * acknowledged, and a disk that keeps what it was told to keep never loses them.
     *
     * @return what was done, for the report.
     */
    static String tearTail(final Path journalDir, final Random random) throws IOException
    {
        final List<Frame> frames = newestFrames(journalDir);
        final Frame last = frames.get(frames.size() - 1);
        final long tornAt = last.fileOffset() + RecordDescriptor.alignedLength(last.length());
        final int length = RecordDescriptor.HEADER_LENGTH + 64 + random.nextInt(256);
        final ByteBuffer torn = ByteBuffer.allocate(RecordDescriptor.HEADER_LENGTH / 2).order(ByteOrder.LITTLE_ENDIAN);
        torn.putInt(RecordDescriptor.FRAME_LENGTH_OFFSET, length);
        torn.putInt(RecordDescriptor.CHECKSUM_OFFSET, random.nextInt());
        try (FileChannel channel = FileChannel.open(last.file(), StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final long baseLsn = JournalFileDescriptor.parseBaseLsn(last.file());
            torn.putLong(RecordDescriptor.LSN_OFFSET, baseLsn + tornAt - JournalFileDescriptor.HEADER_LENGTH);
            if (tornAt + length > channel.size())
            {
                return "no room for a torn record at the end of " + last.file().getFileName();
            }
            channel.write(torn, tornAt);
            channel.force(true);
        }
        return "torn record left after the last one: file=" + last.file().getFileName() + " offset=" + tornAt +
            " frameLength=" + length + " (" + RecordDescriptor.HEADER_LENGTH / 2 + " bytes written)";
    }

    /**
     * @return the records of the newest journal file that has any.
     * @throws IllegalStateException naming the directory when it holds no record.
     */
    private static List<Frame> newestFrames(final Path journalDir) throws IOException
    {
        final List<Path> files;
        try (Stream<Path> list = Files.list(journalDir))
        {
            files = list.filter((p) -> p.getFileName().toString().startsWith("journal-"))
                .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        }
        for (final Path file : files)
        {
            final List<Frame> frames = frames(file);
            if (!frames.isEmpty())
            {
                return frames;
            }
        }
        throw new IllegalStateException("no journal record to damage: dir=" + journalDir);
    }

    private static List<Frame> frames(final Path file) throws IOException
    {
        final List<Frame> frames = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long size = channel.size();
            final ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            long offset = JournalFileDescriptor.HEADER_LENGTH;
            while (offset + RecordDescriptor.HEADER_LENGTH <= size)
            {
                length.clear();
                channel.read(length, offset);
                final int frameLength = length.getInt(0);
                if (frameLength < RecordDescriptor.HEADER_LENGTH || offset + frameLength > size)
                {
                    break; // the end of the records, padding, or a frame already damaged
                }
                frames.add(new Frame(file, offset, frameLength));
                offset += RecordDescriptor.alignedLength(frameLength);
            }
        }
        return frames;
    }
}
