package io.jmirror.harness;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.journal.StatusCounterType;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jmirror check} of live members, each its own process on 127.0.0.1 as {@code demo} runs them: two in-memory
 * members of an idle primary are equal; a RocksDB member that dropped every 97th SET differs, and the check names
 * where; a live member equals the primary's journal replayed to its applied LSN, and the RocksDB member read live
 * equals its own store opened read-only at its checkpoint. A failover primary is read while its application is
 * paused, and then equals its backup.
 */
class LiveCheckSystemTest
{
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration CALL = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private final List<NodeProcess> nodes = new ArrayList<>();

    @AfterEach
    void close()
    {
        for (int i = nodes.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(nodes.get(i));
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void liveMembersOfAnIdlePrimaryAreEqualAndADamagedOneDiffers() throws Exception
    {
        final NodeProcess primary = start("primary", List.of("primary", "--dir", dir.resolve("primary").toString(),
            "--member", "m1:BACKUP", "--member", "m2:DR_ASYNC", "--member", "m3:DR_ASYNC", "--file-size",
            String.valueOf(16 << 20), "--rate", "4000", "--globals", "20", "--keys", "20", "--txn-percent", "5"));
        final String port = NodeProcess.field(primary.start(START), "port");
        final String m1 = member(port, "m1", "memory");
        final String m2 = member(port, "m2", "memory");
        final String m3 = member(port, "m3", "rocksdb", "--skip-every", "97");

        primary.call("resume", CALL);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (StatusSnapshot.read(dir.resolve("primary")).get(StatusCounterType.HARNESS_WORKLOAD_RECORDS, "primary",
            0) < 5000)
        {
            assertTrue(System.nanoTime() < deadline, "the primary's application did not write 5000 records");
            Thread.sleep(50);
        }
        final List<String> paused = primary.call("pause", CALL);
        final long lsn = Long.parseLong(NodeProcess.field(paused.get(paused.size() - 1), "lsn"));

        final String equal = CheckCommandTest.check(0, m1, m2, "--wait", "60s");
        assertTrue(equal.contains("check: " + m1 + " vs " + m2 + ", both at applied LSN " + lsn), equal);
        assertTrue(equal.trim().endsWith("EQUAL"), equal);

        final String different = CheckCommandTest.check(1, m1, m3, "--wait", "60s");
        assertTrue(different.contains("both at applied LSN " + lsn), different);
        assertTrue(different.matches("(?s).*  differs: DB\\d \\^G\\d+ from \\(.*: \\d+ nodes \\(.*"), different);
        assertTrue(different.contains("DIFFERENT globals="), different);

        final String journal = CheckCommandTest.check(0, "journal:" + dir.resolve("primary").resolve("journal"), m2,
            "--wait", "60s");
        assertTrue(journal.contains("check: " + m2 + " (applied LSN " + lsn + ") vs journal:"), journal);
        assertTrue(journal.trim().endsWith("EQUAL"), journal);

        // the same RocksDB store, read live and read-only once its checkpoint has reached the applied LSN
        final Path store = dir.resolve("m3").resolve(MemberStore.ROCKSDB_DIR);
        final String itself = CheckCommandTest.check(0, m3, "rocksdb:" + store, "--wait", "60s");
        assertTrue(itself.contains("both at applied LSN " + lsn), itself);
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aFailoverPrimaryIsCheckedWhileItsApplicationIsPausedAndEqualsItsBackup() throws Exception
    {
        final MetricsPorts ports = new MetricsPorts(freeBasePort(3));
        try (FailoverCluster cluster = new FailoverCluster(new FailoverCluster.Settings(dir.resolve("failover"), 2000,
            500, 10, false, false, 0)).store(StoreKind.MEMORY).metrics(ports))
        {
            cluster.start();
            final String primary = "http://127.0.0.1:" + ports.port(FailoverCluster.NODE_A);
            final String backup = "http://127.0.0.1:" + ports.port(FailoverCluster.NODE_B);
            cluster.node(FailoverCluster.NODE_A).call("resume", FailoverCluster.CALL);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (committed(cluster.role(FailoverCluster.NODE_A)) < 200)
            {
                assertTrue(System.nanoTime() < deadline, "the primary's application did not commit 200");
                Thread.sleep(50);
            }
            // the application applies what it journals on its own thread: its store is not at one LSN while it runs
            final String running = CheckCommandTest.check(2, primary, backup, "--wait", "500ms");
            assertTrue(running.contains("left side " + primary + ": not at one applied LSN (busy applied=-1 "),
                running);

            cluster.node(FailoverCluster.NODE_A).call("pause", FailoverCluster.CALL);
            final String equal = CheckCommandTest.check(0, primary, backup, "--wait", "60s");
            assertTrue(equal.contains("check: " + primary + " vs " + backup + ", both at applied LSN "), equal);
            assertTrue(equal.trim().endsWith("EQUAL"), equal);
        }
    }

    /**
     * @return transactions a failover node's application has committed, from its {@code role} answer.
     */
    private static long committed(final String role)
    {
        final long last = Long.parseLong(NodeProcess.field(role, "ackedLast"));
        return last < 0 ? 0 : last - Long.parseLong(NodeProcess.field(role, "ackedFirst")) + 1;
    }

    /**
     * @return the first of {@code count} consecutive ports that are free now.
     */
    private static int freeBasePort(final int count) throws IOException
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            final List<ServerSocket> sockets = new ArrayList<>();
            try (ServerSocket first = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
            {
                final int base = first.getLocalPort();
                if (base + count <= 65_000)
                {
                    for (int i = 1; i < count; i++)
                    {
                        sockets.add(new ServerSocket(base + i, 1, InetAddress.getLoopbackAddress()));
                    }
                    return base;
                }
            }
            catch (final IOException ex)
            {
                // taken: try another
            }
            finally
            {
                for (final ServerSocket socket : sockets)
                {
                    socket.close();
                }
            }
        }
        throw new IOException("no " + count + " consecutive free ports on 127.0.0.1");
    }

    /**
     * Start a member serving its store on a free port.
     *
     * @return its store's URL.
     */
    private String member(final String primaryPort, final String name, final String store, final String... extra)
        throws Exception
    {
        final Path memberDir = dir.resolve(name);
        Files.createDirectories(memberDir);
        final List<String> args = new ArrayList<>(List.of("member", "--dir", memberDir.toString(), "--name", name,
            "--role", "m1".equals(name) ? "BACKUP" : "DR_ASYNC", "--primary-port", primaryPort, "--store", store,
            "--metrics-port", "0"));
        args.addAll(List.of(extra));
        final String ready = start(name, args).start(START);
        final String url = NodeProcess.field(ready, "store");
        assertNotNull(url, "a member with --metrics-port on loopback says where its store is: " + ready);
        return url;
    }

    private NodeProcess start(final String name, final List<String> args)
    {
        final NodeProcess node = new NodeProcess(name, args, dir.resolve(name + ".log"), "256m");
        nodes.add(node);
        return node;
    }
}
