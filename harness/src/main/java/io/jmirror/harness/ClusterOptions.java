package io.jmirror.harness;

import io.jmirror.shipper.MemberRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * Where and how {@code demo} and {@code soak} run their processes.
 */
final class ClusterOptions
{
    @Option(names = "--workers", defaultValue = "2", description = "Dejournal workers per member (default: "
        + "${DEFAULT-VALUE}).")
    int workers;

    /** The journal file size when none is given: 64 MiB. */
    static final long FILE_SIZE_DEFAULT = 64L * 1024 * 1024;
    /** A failover soak's journal file size with RocksDB stores, when none is given: small, so purge keeps disk flat. */
    static final long FAILOVER_ROCKSDB_FILE_SIZE = 4L * 1024 * 1024;

    @Option(names = "--file-size", description = "Journal file size in bytes (default: 67108864; the failover soak "
        + "with RocksDB stores: 4194304).")
    Long fileSize;

    @Option(names = "--store", defaultValue = "rocksdb", description = "Members' store: rocksdb (under each "
        + "member's directory; a restarted member resumes at its checkpoint) or memory (default: ${DEFAULT-VALUE}).")
    String store;

    @Option(names = "--work-dir", description = "Where the nodes keep their journals; default a new temporary "
        + "directory, deleted afterwards unless --keep-data.")
    Path workDir;

    @Option(names = "--keep-data", description = "Keep the nodes' journals and logs after the run.")
    boolean keepData;

    @Option(names = "--metrics-base-port", description = "Each node process (and the arbiter) serves its meters as "
        + "Prometheus text on 127.0.0.1: the first at this port, the next at the port after, and so on; the URLs are "
        + "printed at the start. Default: not served.")
    Integer metricsBasePort;

    MetricsPorts metricsPorts()
    {
        return new MetricsPorts(metricsBasePort);
    }

    StoreKind storeKind()
    {
        return StoreKind.fromOptionName(store);
    }

    /**
     * @return the journal file size given, or the default.
     */
    long fileSize()
    {
        return null == fileSize ? FILE_SIZE_DEFAULT : fileSize;
    }

    /**
     * @return the failover nodes' journal file size: the one given, or small files with RocksDB stores (which
     * resume at their checkpoint, so the journal may be purged down to a short retention) and the default with
     * in-memory ones (which keep their whole journal).
     */
    long failoverFileSize()
    {
        if (null != fileSize)
        {
            return fileSize;
        }
        return storeKind() == StoreKind.ROCKSDB ? FAILOVER_ROCKSDB_FILE_SIZE : FILE_SIZE_DEFAULT;
    }

    Path resolveWorkDir(final String prefix) throws IOException
    {
        if (null == workDir)
        {
            workDir = Files.createTempDirectory(prefix);
        }
        Files.createDirectories(workDir);
        return workDir;
    }

    static List<Cluster.MemberSpec> members(final boolean backup, final int asyncs)
    {
        final List<Cluster.MemberSpec> specs = new ArrayList<>();
        if (backup)
        {
            specs.add(new Cluster.MemberSpec("backup", MemberRole.BACKUP));
        }
        for (int i = 1; i <= asyncs; i++)
        {
            specs.add(new Cluster.MemberSpec("dr" + i, MemberRole.DR_ASYNC));
        }
        return specs;
    }

    /**
     * Copy the node logs to {@code logDir} (when given), then delete the work directory unless asked to keep it.
     */
    void cleanUp(final Path logDir) throws IOException
    {
        if (null == workDir || !Files.exists(workDir))
        {
            return;
        }
        if (null != logDir)
        {
            Files.createDirectories(logDir);
            try (Stream<Path> files = Files.list(workDir))
            {
                for (final Path log : files.filter((p) -> p.toString().endsWith(".log")).toList())
                {
                    Files.copy(log, logDir.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        if (!keepData)
        {
            try (Stream<Path> paths = Files.walk(workDir))
            {
                for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
