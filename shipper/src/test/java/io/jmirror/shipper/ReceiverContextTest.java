package io.jmirror.shipper;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.journal.JournalContext;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A member's receiving settings are checked when its context is concluded, with a message naming the setting, not
 * found later as a link that fails over and over.
 */
class ReceiverContextTest
{
    private static ReceiverContext valid()
    {
        return new ReceiverContext().memberName("backup-1").insecure(true)
            .primaryAddress(new InetSocketAddress("127.0.0.1", 4700))
            .journalContext(new JournalContext().journalDir(Path.of("unused")));
    }

    private static void assertRefused(final UnaryOperator<ReceiverContext> setting, final String message)
    {
        final ShipperException ex = assertThrows(ShipperException.class, () -> setting.apply(valid()).conclude());
        assertEquals(ShipperException.Code.INVALID_CONFIG, ex.code());
        assertTrue(ex.getMessage().contains(message), ex.getMessage());
    }

    @Test
    void badSettingsAreRefusedByName()
    {
        assertRefused((ctx) -> ctx.maxBatchBytes(100), "maxBatchBytes must be in [4096, 64 MiB]: maxBatchBytes=100");
        assertRefused((ctx) -> ctx.maxBatchBytes(Integer.MAX_VALUE), "maxBatchBytes must be in");
        assertRefused((ctx) -> ctx.maxRecordLength(0), "maxRecordLength must be above a record header");
        assertRefused((ctx) -> ctx.acceptedCodecs(0), "acceptedCodecs names no codec");
        assertRefused((ctx) -> ctx.heartbeatIntervalMs(0), "need 0 < heartbeatIntervalMs < qosTimeoutMs");
        assertRefused((ctx) -> ctx.role(MemberRole.PRIMARY), "role must be BACKUP, DR_ASYNC or REPORTING_ASYNC");
        assertRefused((ctx) -> ctx.memberName(""), "memberName must be 1..");
    }

    @Test
    void goodSettingsPass()
    {
        assertDoesNotThrow(() -> valid().maxBatchBytes(4096).maxRecordLength(64 * 1024).conclude());
    }
}
