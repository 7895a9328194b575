package io.jmirror.mirror;

import io.jmirror.dejournal.Target;
import io.jmirror.journal.JournalContext;
import io.jmirror.journal.JournalDefaults;
import io.jmirror.journal.SyncPolicy;
import io.jmirror.shipper.ShipperDefaults;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of a {@link MirrorNode}: who it is, where its journal lives, its store, its failover partner and the
 * arbiter.
 */
public final class MirrorNodeContext
{
    private String mirrorName;
    private String memberName;
    private Path dir;
    private Target target;
    private final Map<String, InetSocketAddress> failoverMembers = new LinkedHashMap<>();
    private final Map<String, InetSocketAddress> asyncMembers = new LinkedHashMap<>();
    private final Map<String, InetSocketAddress> routes = new LinkedHashMap<>();
    private InetSocketAddress arbiterAddress;
    private boolean insecure;
    private io.jmirror.shipper.TlsConfig tls;
    private boolean initialPrimary;
    private long qosTimeoutMs = 8000;
    private long heartbeatIntervalMs = 1000;
    private long fileLength = 64L * 1024 * 1024;
    private int workers = 2;
    private SyncPolicy syncPolicy = SyncPolicy.GROUP;
    private long retainMs = JournalDefaults.RETAIN_MS_DEFAULT;
    private int retainMinFiles = JournalDefaults.RETAIN_MIN_FILES_DEFAULT;
    private long purgeIntervalMs = MemberContext.PURGE_INTERVAL_MS_DEFAULT;
    private long memberRetentionMs = ShipperDefaults.MEMBER_RETENTION_MS_DEFAULT;

    /**
     * @return this, checked: fails naming the first bad setting.
     */
    public MirrorNodeContext conclude()
    {
        if (null == mirrorName || null == memberName || null == dir || null == target || null == arbiterAddress)
        {
            throw invalid("mirrorName, memberName, dir, target and arbiterAddress must be set");
        }
        if (failoverMembers.size() != 2 || !(failoverMembers.containsKey(memberName) ||
            asyncMembers.containsKey(memberName)))
        {
            throw invalid("two failover members, and this one among the failover or async members, must be given: " +
                "failoverMembers=" + failoverMembers.keySet() + " asyncMembers=" + asyncMembers.keySet() +
                " memberName=" + memberName);
        }
        if ((null == tls) == !insecure)
        {
            throw invalid("set exactly one of tls(...) and insecure(true): tls=" + tls + " insecure=" + insecure);
        }
        if (insecure)
        {
            final java.util.List<InetSocketAddress> addresses = new java.util.ArrayList<>(failoverMembers.values());
            addresses.addAll(asyncMembers.values());
            addresses.add(arbiterAddress);
            for (final InetSocketAddress address : addresses)
            {
                if (!address.getAddress().isLoopbackAddress())
                {
                    throw invalid("insecure(true) is for loopback only: address=" + address);
                }
            }
        }
        if (qosTimeoutMs <= 0 || heartbeatIntervalMs <= 0 || heartbeatIntervalMs >= qosTimeoutMs)
        {
            throw invalid("need 0 < heartbeatIntervalMs < qosTimeoutMs: heartbeatIntervalMs=" + heartbeatIntervalMs +
                " qosTimeoutMs=" + qosTimeoutMs);
        }
        if (retainMs < 0 || retainMinFiles < 1 || purgeIntervalMs < 0 || memberRetentionMs < 0)
        {
            throw invalid("need retainMs >= 0, retainMinFiles >= 1, purgeIntervalMs >= 0 and memberRetentionMs >= 0: " +
                "retainMs=" + retainMs + " retainMinFiles=" + retainMinFiles + " purgeIntervalMs=" + purgeIntervalMs +
                " memberRetentionMs=" + memberRetentionMs);
        }
        return this;
    }

    private static IllegalArgumentException invalid(final String what)
    {
        return new IllegalArgumentException("mirror node configuration: " + what);
    }

    /**
     * @return the context of this node's journal.
     */
    JournalContext journalContext()
    {
        return new JournalContext().journalDir(dir.resolve("journal")).mirrorName(mirrorName).fileLength(fileLength)
            .syncPolicy(syncPolicy).retainMs(retainMs).retainMinFiles(retainMinFiles);
    }

    /**
     * @return the other failover member's name.
     */
    public String partnerName()
    {
        for (final String name : failoverMembers.keySet())
        {
            if (!name.equals(memberName))
            {
                return name;
            }
        }
        throw invalid("no partner");
    }

    public MirrorNodeContext mirrorName(final String mirrorName)
    {
        this.mirrorName = mirrorName;
        return this;
    }

    public String mirrorName()
    {
        return mirrorName;
    }

    public MirrorNodeContext memberName(final String memberName)
    {
        this.memberName = memberName;
        return this;
    }

    public String memberName()
    {
        return memberName;
    }

    /**
     * @param dir the node's directory: its journal lives in {@code dir/journal}.
     * @return this.
     */
    public MirrorNodeContext dir(final Path dir)
    {
        this.dir = dir;
        return this;
    }

    public Path dir()
    {
        return dir;
    }

    /**
     * @param target the node's store: applied to as a backup, rolled back into at a takeover, and the
     *               application's own store while the node is primary.
     * @return this.
     */
    public MirrorNodeContext target(final Target target)
    {
        this.target = target;
        return this;
    }

    public Target target()
    {
        return target;
    }

    /**
     * @param name    a failover member (give both, this one included).
     * @param address where it listens for members while it is primary.
     * @return this.
     */
    public MirrorNodeContext failoverMember(final String name, final InetSocketAddress address)
    {
        failoverMembers.put(name, address);
        return this;
    }

    public InetSocketAddress addressOf(final String name)
    {
        final InetSocketAddress address = failoverMembers.get(name);
        return null != address ? address : asyncMembers.get(name);
    }

    /**
     * @param name    a member.
     * @param address where this node connects to reach it when it is primary, when that is not where it listens
     *                (a proxy or a port forward between them).
     * @return this.
     */
    public MirrorNodeContext route(final String name, final InetSocketAddress address)
    {
        routes.put(name, address);
        return this;
    }

    /**
     * @return where this node connects to reach {@code name} as primary.
     */
    public InetSocketAddress connectAddressOf(final String name)
    {
        final InetSocketAddress route = routes.get(name);
        return null != route ? route : addressOf(name);
    }

    /**
     * @param name    an async (DR) member: it follows whichever member is primary, and may be promoted.
     * @param address where it would listen for members should it be promoted to primary.
     * @return this.
     */
    public MirrorNodeContext asyncMember(final String name, final InetSocketAddress address)
    {
        asyncMembers.put(name, address);
        return this;
    }

    /**
     * @return true when this node is an async member.
     */
    public boolean isAsync()
    {
        return asyncMembers.containsKey(memberName);
    }

    /**
     * @return the failover members' names.
     */
    public java.util.Set<String> failoverMemberNames()
    {
        return failoverMembers.keySet();
    }

    /**
     * @return the async members' names.
     */
    public java.util.Set<String> asyncMemberNames()
    {
        return asyncMembers.keySet();
    }

    public MirrorNodeContext arbiterAddress(final InetSocketAddress arbiterAddress)
    {
        this.arbiterAddress = arbiterAddress;
        return this;
    }

    public InetSocketAddress arbiterAddress()
    {
        return arbiterAddress;
    }

    public MirrorNodeContext insecure(final boolean insecure)
    {
        this.insecure = insecure;
        return this;
    }

    /**
     * @param tls mutual TLS for every link of this node (to the members and the arbiter): certificates' common names
     *            are the member names.
     * @return this.
     */
    public MirrorNodeContext tls(final io.jmirror.shipper.TlsConfig tls)
    {
        this.tls = tls;
        return this;
    }

    public io.jmirror.shipper.TlsConfig tls()
    {
        return tls;
    }

    /**
     * @param initialPrimary claim the primary role when the arbiter knows no primary of the mirror yet.
     * @return this.
     */
    public MirrorNodeContext initialPrimary(final boolean initialPrimary)
    {
        this.initialPrimary = initialPrimary;
        return this;
    }

    public boolean initialPrimary()
    {
        return initialPrimary;
    }

    public MirrorNodeContext qosTimeoutMs(final long qosTimeoutMs)
    {
        this.qosTimeoutMs = qosTimeoutMs;
        return this;
    }

    public long qosTimeoutMs()
    {
        return qosTimeoutMs;
    }

    public MirrorNodeContext heartbeatIntervalMs(final long heartbeatIntervalMs)
    {
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        return this;
    }

    public long heartbeatIntervalMs()
    {
        return heartbeatIntervalMs;
    }

    public MirrorNodeContext fileLength(final long fileLength)
    {
        this.fileLength = fileLength;
        return this;
    }

    public MirrorNodeContext workers(final int workers)
    {
        this.workers = workers;
        return this;
    }

    public int workers()
    {
        return workers;
    }

    public MirrorNodeContext syncPolicy(final SyncPolicy syncPolicy)
    {
        this.syncPolicy = syncPolicy;
        return this;
    }

    /**
     * @param retainMs the node's journal keeps every file last written within this long, in either role: as backup
     *                 or DR async it is what the node can still serve to members that lag behind should it become
     *                 primary (it does not know their positions); default {@link JournalDefaults#RETAIN_MS_DEFAULT}.
     * @return this.
     */
    public MirrorNodeContext retainMs(final long retainMs)
    {
        this.retainMs = retainMs;
        return this;
    }

    public long retainMs()
    {
        return retainMs;
    }

    /**
     * @param retainMinFiles the node's journal keeps at least this many of its newest files.
     * @return this.
     */
    public MirrorNodeContext retainMinFiles(final int retainMinFiles)
    {
        this.retainMinFiles = retainMinFiles;
        return this;
    }

    public int retainMinFiles()
    {
        return retainMinFiles;
    }

    /**
     * @param purgeIntervalMs how often the node purges its journal, in every role: as primary the files no member
     *                        seen within {@link #memberRetentionMs(long)} still needs ({@code Primary.purge}), as
     *                        backup or DR async the files it has applied and checkpointed ({@link Member}); always
     *                        within {@link #retainMs(long)} and {@link #retainMinFiles(int)}. 0 never purges.
     * @return this.
     */
    public MirrorNodeContext purgeIntervalMs(final long purgeIntervalMs)
    {
        this.purgeIntervalMs = purgeIntervalMs;
        return this;
    }

    public long purgeIntervalMs()
    {
        return purgeIntervalMs;
    }

    /**
     * @param memberRetentionMs as primary, purge keeps the files a member seen within this long still needs.
     * @return this.
     */
    public MirrorNodeContext memberRetentionMs(final long memberRetentionMs)
    {
        this.memberRetentionMs = memberRetentionMs;
        return this;
    }

    public long memberRetentionMs()
    {
        return memberRetentionMs;
    }
}
