package io.jmirror.harness;

import io.jmirror.mirror.Arbiter;
import io.jmirror.mirror.ArbiterContext;
import io.jmirror.mirror.ArbiterMeterBinder;
import io.jmirror.mirror.ArbiterRecord;
import io.jmirror.shipper.TlsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code jmirror arbiter}: run the arbiter, a small process with no data that the failover members both talk to,
 * until it is stopped (SIGTERM or Ctrl-C).
 */
@Command(name = "arbiter", mixinStandardHelpOptions = true,
    description = "Run the arbiter: it holds each mirror's epoch, primary, backup and ACTIVE state, persists them in"
        + " DIR before answering, and grants revoke-backup to a primary or takeover to a backup, never both in one"
        + " epoch.")
final class ArbiterCommand implements Callable<Integer>
{
    @Option(names = "--dir", required = true, description = "Where the arbiter keeps arbiter-state.txt.")
    Path dir;

    @Option(names = "--port", defaultValue = "0", description = "Port to listen on; 0 picks a free one (printed).")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1",
        description = "Address to listen on (default: ${DEFAULT-VALUE}); without TLS, loopback only.")
    String bind;

    @Option(names = "--member", required = true,
        description = "An allowed failover member, MIRROR:NAME (repeat); with TLS, NAME is its certificate's CN.")
    List<String> members = new ArrayList<>();

    @Option(names = "--qos-timeout-ms", defaultValue = "8000",
        description = "A member unheard for this long is lost (default: ${DEFAULT-VALUE}).")
    long qosTimeoutMs;

    @Option(names = "--key-store", description = "PKCS12 key store (the arbiter's key and certificate) for TLS.")
    Path keyStore;

    @Option(names = "--trust-store", description = "PKCS12 trust store (the mirror's CA) for TLS.")
    Path trustStore;

    @Option(names = "--store-password-env", defaultValue = "JMIRROR_TLS_PASSWORD",
        description = "Environment variable holding the stores' password (default: ${DEFAULT-VALUE}).")
    String passwordEnv;

    @Option(names = "--insecure", description = "Plain TCP without authentication: loopback tests and demos only.")
    boolean insecure;

    @Mixin
    MetricsOptions metrics = new MetricsOptions();

    @Override
    @SuppressWarnings("try") // the metrics endpoint serves for as long as the arbiter runs
    public Integer call() throws Exception
    {
        final PrintStream out = System.out;
        final ArbiterContext ctx = new ArbiterContext().dir(dir).qosTimeoutMs(qosTimeoutMs)
            .bindAddress(new InetSocketAddress(bind, port)).insecure(insecure);
        if (null != keyStore || null != trustStore)
        {
            final String password = System.getenv(passwordEnv);
            if (null == password)
            {
                throw new IllegalArgumentException("TLS needs the stores' password in $" + passwordEnv);
            }
            ctx.tls(new TlsConfig().keyStore(keyStore, password.toCharArray())
                .trustStore(trustStore, password.toCharArray()).conclude());
        }
        for (final String member : members)
        {
            final int colon = member.indexOf(':');
            if (colon <= 0 || colon == member.length() - 1)
            {
                throw new IllegalArgumentException("--member must be MIRROR:NAME: " + member);
            }
            ctx.member(member.substring(0, colon), member.substring(colon + 1));
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        try (Arbiter arbiter = Arbiter.start(ctx);
            MetricsEndpoint endpoint = metrics.start(new ArbiterMeterBinder(arbiter, mirrors())))
        {
            out.println("arbiter listening: address=" + arbiter.address().getAddress().getHostAddress() + ":" +
                arbiter.address().getPort() + " dir=" + dir + " qosTimeoutMs=" + qosTimeoutMs);
            for (final String member : members)
            {
                final ArbiterRecord record = arbiter.record(member.substring(0, member.indexOf(':')));
                if (null != record)
                {
                    out.println("mirror " + record.mirrorName() + ": epoch=" + record.epoch() + " primary=" +
                        record.primary() + " backup=" + record.backup() + " backupActive=" + record.backupActive());
                }
            }
            out.flush();
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "jmirror-arbiter-stop"));
            stopped.await();
        }
        return 0;
    }

    private List<String> mirrors()
    {
        return members.stream().map((member) -> member.substring(0, member.indexOf(':'))).distinct().toList();
    }
}
