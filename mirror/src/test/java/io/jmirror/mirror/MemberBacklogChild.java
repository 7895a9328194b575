package io.jmirror.mirror;

import io.jmirror.dejournal.GlobalStore;
import io.jmirror.dejournal.StoreTarget;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.shipper.MemberRole;
import io.jmirror.shipper.ReceiverContext;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A member in its own JVM, run with a small heap by {@link MemberBacklogSystemTest}: it receives and applies the
 * primary's journal until the given LSN, then prints {@code applied LSN nodes N heapPeak BYTES} and exits 0; it exits
 * 1 if it has not got there within a minute.
 */
public final class MemberBacklogChild
{
    private MemberBacklogChild()
    {
    }

    /**
     * @param args the primary's port, the member's journal directory, the LSN to apply up to.
     */
    public static void main(final String[] args) throws InterruptedException
    {
        final int port = Integer.parseInt(args[0]);
        final Path journalDir = Path.of(args[1]);
        final long end = Long.parseLong(args[2]);
        final GlobalStore store = new GlobalStore();
        try (Member member = Member.start(new MemberContext().target(new StoreTarget(store)).workers(2)
            .receiverContext(new ReceiverContext().memberName("dr-1").role(MemberRole.DR_ASYNC).mirrorName("BACKLOG")
                .primaryAddress(new InetSocketAddress("127.0.0.1", port)).insecure(true)
                .journalContext(new JournalContext().journalDir(journalDir).mirrorName("BACKLOG")
                    .syncPolicy(SyncPolicy.NONE)))))
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (null == member.dejournaler() || member.dejournaler().appliedLsn() < end)
            {
                if (System.nanoTime() - deadline > 0 || member.isFailed())
                {
                    System.out.println("stuck " + member.status());
                    System.exit(1);
                }
                Thread.sleep(10);
            }
            System.out.println("applied " + member.dejournaler().appliedLsn() + " nodes " + store.size() +
                " heapPeak " + heapPeak());
        }
        System.exit(0);
    }

    private static long heapPeak()
    {
        long peak = 0;
        for (final MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
        {
            if (pool.getType() == MemoryType.HEAP)
            {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }
}
