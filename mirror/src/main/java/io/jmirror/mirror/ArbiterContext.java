package io.jmirror.mirror;

import io.jmirror.shipper.ShipperDefaults;
import io.jmirror.shipper.TlsConfig;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Configuration of an {@link Arbiter}: where it keeps its state, where it listens, who may ask, and how long a
 * member's silence means it is lost.
 */
public final class ArbiterContext
{
    private Path dir;
    private InetSocketAddress bindAddress = new InetSocketAddress("127.0.0.1", 0);
    private long qosTimeoutMs = ShipperDefaults.QOS_TIMEOUT_MS_DEFAULT;
    private final Map<String, Set<String>> members = new TreeMap<>();
    private final Map<String, Set<String>> asyncMembers = new TreeMap<>();
    private TlsConfig tls;
    private boolean insecure;
    private EpochClock clock = SystemEpochClock.INSTANCE;
    private ArbiterStore store;

    /**
     * @return this, checked: fails naming the first bad setting.
     */
    public ArbiterContext conclude()
    {
        if (null == store && null == dir)
        {
            throw invalid("dir must be set: the arbiter persists its decisions before answering");
        }
        if (members.isEmpty())
        {
            throw invalid("at least one member(mirror, name) must be allowed");
        }
        if (qosTimeoutMs <= 0)
        {
            throw invalid("qosTimeoutMs must be positive: qosTimeoutMs=" + qosTimeoutMs);
        }
        if ((null == tls) == !insecure)
        {
            throw invalid("set exactly one of tls(...) and insecure(true): tls=" + tls + " insecure=" + insecure);
        }
        if (insecure && null != bindAddress && !bindAddress.getAddress().isLoopbackAddress())
        {
            throw invalid("insecure(true) listens on loopback only: bindAddress=" + bindAddress);
        }
        if (null == store)
        {
            store = new FileArbiterStore(dir);
        }
        return this;
    }

    private static IllegalArgumentException invalid(final String what)
    {
        return new IllegalArgumentException("arbiter configuration: " + what);
    }

    /**
     * @param dir where the arbiter keeps its state file.
     * @return this.
     */
    public ArbiterContext dir(final Path dir)
    {
        this.dir = dir;
        return this;
    }

    public Path dir()
    {
        return dir;
    }

    /**
     * @param bindAddress where members connect; 127.0.0.1 and any free port by default.
     * @return this.
     */
    public ArbiterContext bindAddress(final InetSocketAddress bindAddress)
    {
        this.bindAddress = bindAddress;
        return this;
    }

    public InetSocketAddress bindAddress()
    {
        return bindAddress;
    }

    /**
     * @param qosTimeoutMs a member the arbiter has not heard for this long is lost (the members' QoS timeout).
     * @return this.
     */
    public ArbiterContext qosTimeoutMs(final long qosTimeoutMs)
    {
        this.qosTimeoutMs = qosTimeoutMs;
        return this;
    }

    public long qosTimeoutMs()
    {
        return qosTimeoutMs;
    }

    /**
     * Allow a failover member of a mirror to ask; with TLS its certificate's common name must be {@code name}.
     *
     * @return this.
     */
    public ArbiterContext member(final String mirrorName, final String name)
    {
        members.computeIfAbsent(mirrorName, (k) -> new TreeSet<>()).add(name);
        return this;
    }

    /**
     * Allow an async (DR) member of a mirror to poll, and to be promoted when both failover members are lost.
     *
     * @return this.
     */
    public ArbiterContext asyncMember(final String mirrorName, final String name)
    {
        asyncMembers.computeIfAbsent(mirrorName, (k) -> new TreeSet<>()).add(name);
        return this;
    }

    /**
     * @return true when the member is on the allow-list of the mirror, as failover or async member.
     */
    public boolean isAllowed(final String mirrorName, final String name)
    {
        final Set<String> names = members.get(mirrorName);
        return (null != names && names.contains(name)) || isAsyncMember(mirrorName, name);
    }

    /**
     * @return true when the member is an async member of the mirror.
     */
    public boolean isAsyncMember(final String mirrorName, final String name)
    {
        final Set<String> names = asyncMembers.get(mirrorName);
        return null != names && names.contains(name);
    }

    /**
     * @param tls mutual TLS: the members' certificates are checked against the allow-list.
     * @return this.
     */
    public ArbiterContext tls(final TlsConfig tls)
    {
        this.tls = tls;
        return this;
    }

    public TlsConfig tls()
    {
        return tls;
    }

    /**
     * @param insecure plain TCP without authentication, for loopback tests and demos only.
     * @return this.
     */
    public ArbiterContext insecure(final boolean insecure)
    {
        this.insecure = insecure;
        return this;
    }

    public boolean insecure()
    {
        return insecure;
    }

    /**
     * @param clock the arbiter's clock: silences are measured with it.
     * @return this.
     */
    public ArbiterContext clock(final EpochClock clock)
    {
        this.clock = clock;
        return this;
    }

    public EpochClock clock()
    {
        return clock;
    }

    /**
     * @param store where records are persisted; a {@link FileArbiterStore} in {@link #dir()} by default.
     * @return this.
     */
    public ArbiterContext store(final ArbiterStore store)
    {
        this.store = store;
        return this;
    }

    public ArbiterStore store()
    {
        return store;
    }
}
