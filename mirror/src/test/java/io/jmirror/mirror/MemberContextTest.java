package io.jmirror.mirror;

import io.jmirror.dejournal.DejournalException;
import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.shipper.ReceiverContext;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A member's apply settings are checked when it starts, not when its journal first appears: a bad one would leave a
 * member that receives, and as a backup acknowledges, but never applies.
 */
class MemberContextTest
{
    private static MemberContext context()
    {
        return new MemberContext().target(new StoreTarget(new GlobalStore()))
            .receiverContext(new ReceiverContext().memberName("backup").insecure(true)
                .primaryAddress(new InetSocketAddress("127.0.0.1", 1)));
    }

    private static void assertRefused(final UnaryOperator<MemberContext> setting, final String message)
    {
        final DejournalException ex = assertThrows(DejournalException.class,
            () -> Member.start(setting.apply(context())));
        assertEquals(DejournalException.Code.INVALID_CONFIG, ex.code());
        assertTrue(ex.getMessage().contains(message), ex.getMessage());
    }

    @Test
    void badApplySettingsAreRefusedAtStart()
    {
        assertRefused((ctx) -> ctx.workers(17), "workers must be in [1, 16]: workers=17");
        assertRefused((ctx) -> ctx.workers(0), "workers=0");
        assertRefused((ctx) -> ctx.ringSize(100), "ringSize must be a power of two");
        assertRefused((ctx) -> ctx.ringSize(128), "ringSize must hold a dispatch batch: ringSize=128");
        assertRefused((ctx) -> ctx.checkpointIntervalMs(0), "checkpointIntervalMs must be positive");
        assertRefused((ctx) -> ctx.isolatedReaders(true), "isolatedReaders needs a RocksDbTarget");
    }

    @Test
    void goodSettingsPass()
    {
        assertDoesNotThrow(() -> context().workers(16).ringSize(256).conclude());
        assertDoesNotThrow(() -> context().workers(1).ringSize(64 * 1024).checkpointIntervalMs(1).conclude());
    }
}
