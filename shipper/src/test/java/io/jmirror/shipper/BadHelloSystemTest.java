package io.jmirror.shipper;

import static io.jmirror.shipper.Await.await;
import static io.jmirror.shipper.ProtocolDescriptor.HEADER_LENGTH;
import static io.jmirror.shipper.ProtocolDescriptor.TYPE_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.journal.GlobalName;
import io.jmirror.journal.Journal;
import io.jmirror.journal.JournalAppender;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.StatusCounterType;
import io.jmirror.journal.SubscriptKey;
import io.jmirror.journal.SyncPolicy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every HELLO a primary must refuse, sent over a raw socket while the real members replicate: each gets a REJECT
 * with its own reason and then the end of the stream, not one byte of journal; the real members' links stay up and
 * they keep replicating; every refusal is counted, and a configured member's status file says why it was refused.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadHelloSystemTest
{
    private static final long WAIT_MS = 30_000;
    private static final long EPOCH = 2;
    private static final GlobalName GLOBAL = GlobalName.of("USER", "Bad");

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Journal journal;
    private Primary primary;

    @AfterEach
    void closeAll()
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(closeables.get(i));
        }
    }

    /**
     * One bad HELLO: who it claims to be and what is wrong with it.
     */
    private record BadHello(String what, RejectReason expected, byte[] frame)
    {
    }

    @Test
    void everyBadHelloIsRefusedWithItsReasonAndGetsNoJournal() throws IOException
    {
        journal = Journal.open(new JournalContext().journalDir(dir.resolve("primary")).fileLength(256 * 1024)
            .mirrorName("TEST").syncPolicy(SyncPolicy.NONE));
        closeables.add(journal);
        journal.startEpoch(EPOCH, "primary");
        primary = Primary.start(new PrimaryContext().journal(journal).insecure(true)
            .member(AllowedMember.of("backup-1", MemberRole.BACKUP))
            .member(AllowedMember.of("backup-2", MemberRole.BACKUP))
            .member(AllowedMember.of("dr-1", MemberRole.DR_ASYNC)));
        closeables.add(primary);
        final Receiver backup = startReceiver("backup-1", MemberRole.BACKUP);
        final Receiver dr = startReceiver("dr-1", MemberRole.DR_ASYNC);
        final JournalAppender appender = journal.newAppender();
        append(appender, 500);
        awaitCaughtUp(backup, dr);

        final MessageEncoder encoder = new MessageEncoder();
        final int none = Codec.NONE.bit();
        final long tail = journal.tailLsn();
        final byte[] futureVersion =
            bytesOf(encoder.hello(EPOCH, "TEST", "dr-1", MemberRole.DR_ASYNC, 0, EPOCH, -1, none));
        futureVersion[ProtocolDescriptor.VERSION_OFFSET] = (byte)(ProtocolDescriptor.VERSION + 1);
        final List<BadHello> hellos = List.of(
            new BadHello("a name not on the allow-list", RejectReason.UNKNOWN_MEMBER,
                bytesOf(encoder.hello(EPOCH, "TEST", "stranger", MemberRole.DR_ASYNC, 0, EPOCH, -1, none))),
            new BadHello("another mirror", RejectReason.WRONG_MIRROR,
                bytesOf(encoder.hello(EPOCH, "OTHER", "dr-1", MemberRole.DR_ASYNC, 0, EPOCH, -1, none))),
            new BadHello("another protocol version", RejectReason.INCOMPATIBLE_VERSION, futureVersion),
            new BadHello("a DR async asking to be the backup", RejectReason.ROLE_MISMATCH,
                bytesOf(encoder.hello(EPOCH, "TEST", "dr-1", MemberRole.BACKUP, 0, EPOCH, -1, none))),
            new BadHello("a copy of another journal", RejectReason.WRONG_JOURNAL,
                bytesOf(encoder.hello(EPOCH, "TEST", "backup-1", MemberRole.BACKUP, journal.journalId() + 1, EPOCH, 0,
                    none))),
            new BadHello("an unaligned resume LSN", RejectReason.LSN_UNALIGNED,
                bytesOf(encoder.hello(EPOCH, "TEST", "backup-1", MemberRole.BACKUP, journal.journalId(), EPOCH, 12,
                    none))),
            new BadHello("a resume LSN past the primary's journal", RejectReason.LSN_AHEAD,
                bytesOf(encoder.hello(EPOCH, "TEST", "backup-1", MemberRole.BACKUP, journal.journalId(), EPOCH,
                    tail + 4096, none))),
            new BadHello("a resume LSN inside a record", RejectReason.LSN_NOT_A_RECORD,
                bytesOf(encoder.hello(EPOCH, "TEST", "backup-1", MemberRole.BACKUP, journal.journalId(), EPOCH, 8,
                    none))),
            new BadHello("no codec in common", RejectReason.NO_COMMON_CODEC,
                bytesOf(encoder.hello(EPOCH, "TEST", "dr-1", MemberRole.DR_ASYNC, 0, EPOCH, -1, 0))),
            new BadHello("a second backup while one is connected", RejectReason.SECOND_BACKUP,
                bytesOf(encoder.hello(EPOCH, "TEST", "backup-2", MemberRole.BACKUP, 0, EPOCH, -1, none))));

        for (final BadHello hello : hellos)
        {
            final byte[] answer = exchange(hello.frame());
            final ByteBuffer reject = ByteBuffer.wrap(answer).order(ByteOrder.LITTLE_ENDIAN);
            assertTrue(answer.length >= ProtocolDescriptor.REJECT_MESSAGE_OFFSET, hello.what() + ": no REJECT");
            assertEquals(ProtocolDescriptor.TYPE_REJECT, reject.get(TYPE_OFFSET), hello.what());
            assertEquals(hello.expected().code(), reject.getInt(ProtocolDescriptor.REJECT_REASON_OFFSET),
                hello.what() + ": " + message(reject));
            assertEquals(reject.getInt(0), answer.length, hello.what() + ": a REJECT and then the end of the " +
                "stream, not one byte more (no WELCOME, no BATCH)");
            assertTrue(message(reject).length() > 0, hello.what() + ": the REJECT says why");
        }
        assertEquals(hellos.size(), primary.rejections(), "every refusal is counted");

        // A configured member's counters say why it was last refused, by code and in words.
        assertEquals(RejectReason.SECOND_BACKUP.code(),
            primary.status().value(StatusCounterType.MEMBER_LAST_REJECT, "backup-2", 0));
        final String reason = primary.status().text(StatusCounterType.MEMBER_LAST_REASON, "backup-2");
        assertTrue(reason.startsWith("rejected SECOND_BACKUP: ") && reason.contains("backup-2"), reason);

        // The real members were never displaced, and keep replicating over the links they had.
        append(appender, 2_000);
        awaitCaughtUp(backup, dr);
        assertEquals(1, backup.status().connects(), "the backup's link stayed up: " + backup.status());
        assertEquals(1, dr.status().connects(), "the DR async's link stayed up: " + dr.status());
        assertEquals("ACTIVE", primary.memberStatus("backup-1").transferStatus(), primary.memberStatus().toString());
        assertEquals("DOWN", primary.memberStatus("backup-2").transferStatus());
        assertEquals(0, primary.errors(), "a refusal is not a link failure");
        assertEquals(0, journal.corruptFrames(), "the primary never read its journal from mid-record");
        assertEquals(journal.tailLsn(), primary.memberStatus("backup-1").bytesRaw(),
            "the backup got the journal once, from the start: nothing went to the refused peers in its name");
    }

    private Receiver startReceiver(final String name, final MemberRole role)
    {
        final Receiver receiver = Receiver.start(new ReceiverContext().memberName(name).role(role)
            .primaryAddress(primary.address()).insecure(true).reconnectIntervalMs(20)
            .journalContext(new JournalContext().journalDir(dir.resolve(name)).syncPolicy(SyncPolicy.NONE)
                .mirrorName("TEST")));
        closeables.add(receiver);
        return receiver;
    }

    private void awaitCaughtUp(final Receiver... receivers)
    {
        final long tail = journal.tailLsn();
        for (final Receiver receiver : receivers)
        {
            await(() -> receiver.status().durableLsn() >= tail, WAIT_MS, () -> "not caught up to " + tail + ": " +
                receiver.status());
        }
    }

    private static void append(final JournalAppender appender, final int records)
    {
        final SubscriptKey key = new SubscriptKey();
        for (int i = 0; i < records; i++)
        {
            appender.set(0, GLOBAL, key.clear().add(i % 50), new byte[] {(byte)i, 1, 2, 3});
        }
    }

    /**
     * Send one HELLO and read everything the primary sends back until it closes the connection.
     */
    private byte[] exchange(final byte[] hello) throws IOException
    {
        try (Socket socket = new Socket(primary.address().getAddress(), primary.address().getPort()))
        {
            socket.setSoTimeout((int)WAIT_MS);
            socket.getOutputStream().write(hello);
            socket.getOutputStream().flush();
            final ByteArrayOutputStream answer = new ByteArrayOutputStream();
            final InputStream in = socket.getInputStream();
            final byte[] chunk = new byte[4096];
            try
            {
                for (int read = in.read(chunk); read >= 0; read = in.read(chunk))
                {
                    answer.write(chunk, 0, read);
                }
            }
            catch (final SocketException ex)
            {
                // reset by a primary that closed with our bytes unread: what arrived before is the answer
            }
            catch (final SocketTimeoutException ex)
            {
                throw new AssertionError("the primary kept the refused connection open: received=" +
                    answer.size(), ex);
            }
            return answer.toByteArray();
        }
    }

    private static String message(final ByteBuffer reject)
    {
        final int length = reject.getInt(ProtocolDescriptor.REJECT_MESSAGE_LENGTH_OFFSET);
        if (length < 0 || ProtocolDescriptor.REJECT_MESSAGE_OFFSET + length > reject.capacity())
        {
            return "";
        }
        final byte[] text = new byte[length];
        reject.get(ProtocolDescriptor.REJECT_MESSAGE_OFFSET, text);
        return new String(text, StandardCharsets.UTF_8);
    }

    private static byte[] bytesOf(final ByteBuffer frame)
    {
        final ByteBuffer view = frame.duplicate();
        final byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        assertTrue(bytes.length >= HEADER_LENGTH);
        return bytes;
    }
}
