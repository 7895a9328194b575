package io.jmirror.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Injects the failover soak's faults into a {@link FailoverCluster}, one at a time, each healed before it returns, and
 * waits for the mirror to settle again (one primary, its backup, the DR async following). Takeover times (from the
 * fault to the first commit the new primary acknowledges) are kept for the verdict.
 */
final class FaultInjector
{
    /** The journal's words when recovery finds a damaged frame: a flipped bit or a torn tail must produce them. */
    static final String DAMAGE_LOGGED = "journal ends at a damaged frame";

    private final FailoverCluster cluster;
    private final Random random;
    private final long qosTimeoutMs;
    private final long settleTimeoutMs;
    private final List<Long> takeoverMs = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private long rebuilt;
    private final List<String> rebuilds = new ArrayList<>();
    private long noTakeover;

    FaultInjector(final FailoverCluster cluster, final long seed)
    {
        this.cluster = cluster;
        this.random = new Random(seed);
        this.qosTimeoutMs = cluster.qosTimeoutMs();
        this.settleTimeoutMs = qosTimeoutMs * 4 + 60_000;
    }

    List<Long> takeoverMs()
    {
        return takeoverMs;
    }

    /**
     * @return what went wrong beyond the engine's own checks: a damage not detected, a mirror that did not settle.
     */
    List<String> problems()
    {
        return problems;
    }

    /**
     * @return members rebuilt from empty because they stopped FENCED (a member that applied records it cannot undo
     * says it must be rebuilt; the soak does what an operator would).
     */
    long rebuilt()
    {
        return rebuilt;
    }

    /**
     * @return each rebuild: the member and its last words.
     */
    List<String> rebuilds()
    {
        return rebuilds;
    }

    /**
     * @return primary kills and stalls after which no takeover was expected, the backup not being ACTIVE.
     */
    long noTakeover()
    {
        return noTakeover;
    }

    /**
     * A fault as injected.
     *
     * @param where  the node, link or pair it hit.
     * @param detail what happened, for the report.
     */
    record Injected(String where, String detail)
    {
    }

    /**
     * Inject one fault, heal it and wait for the mirror to settle.
     *
     * @return where, and what happened.
     */
    Injected inject(final FaultKind kind) throws IOException
    {
        final String primary = awaitPrimary();
        final String backup = FailoverCluster.partner(primary);
        final long holdMs = 2 * qosTimeoutMs + 1000;
        return switch (kind)
        {
            case KILL_PRIMARY -> new Injected(primary, killPrimary(primary, false));
            case TORN_WRITE -> new Injected(primary, killPrimary(primary, true));
            case KILL_ARBITER ->
            {
                cluster.killArbiter();
                sleep(1000);
                cluster.startArbiter();
                settle();
                yield new Injected(FailoverCluster.ARBITER, "killed with SIGKILL, restarted after 1 s");
            }
            case PARTITION -> partition(primary, backup, holdMs);
            case ONE_WAY -> oneWay(primary, backup, holdMs);
            case STALL_PRIMARY ->
            {
                final boolean expected = isBackupActive();
                final long epoch = epochOf(backup);
                final long startNs = System.nanoTime();
                cluster.stall(primary, true);
                final long takeover = expected ? awaitTakeover(backup, epoch, startNs, takeoverTimeoutMs()) : -1;
                sleep(holdMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
                final long stalledMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                cluster.stall(primary, false);
                settle();
                yield new Injected(primary, "SIGSTOP for " + stalledMs + " ms, then SIGCONT; " +
                    takeoverText(backup, expected, takeover));
            }
            case BIT_FLIP ->
            {
                final List<String> members = new ArrayList<>(List.of(backup));
                if (cluster.names().contains(FailoverCluster.DR))
                {
                    members.add(FailoverCluster.DR);
                }
                final String member = members.get(random.nextInt(members.size()));
                final long damageBefore = damageLogged(member);
                cluster.kill(member);
                final String what = FaultJournal.flipBit(cluster.journalDir(member), random);
                restart(member);
                settle();
                yield new Injected(member, "killed; " + what + "; restarted: " + detected(member, damageBefore));
            }
            default -> throw new IllegalArgumentException("not a failover fault: " + kind.optionName());
        };
    }

    private String killPrimary(final String primary, final boolean tear) throws IOException
    {
        final String backup = FailoverCluster.partner(primary);
        final boolean expected = isBackupActive();
        final long epoch = epochOf(backup);
        final long damageBefore = damageLogged(primary);
        final long startNs = System.nanoTime();
        cluster.kill(primary);
        final String torn = tear ? FaultJournal.tearTail(cluster.journalDir(primary), random) + "; " : "";
        final long takeover = expected ? awaitTakeover(backup, epoch, startNs, takeoverTimeoutMs()) : -1;
        if (!expected)
        {
            sleep(2 * qosTimeoutMs); // long enough for a takeover that should not happen to show
        }
        restart(primary);
        settle();
        return "killed with SIGKILL; " + torn + takeoverText(backup, expected, takeover) + "; restarted" +
            (tear ? "; " + detected(primary, damageBefore) : "");
    }

    /**
     * @return whether the arbiter holds the backup ACTIVE: only then may it take over (a backup revoked after a cut
     * between the members may not until the primary has reported it ACTIVE again above the revoke's LSN).
     */
    private boolean isBackupActive()
    {
        return "true".equals(NodeProcess.field(cluster.arbiterRecord(), "backupActive"));
    }

    private long takeoverTimeoutMs()
    {
        return qosTimeoutMs * 3 + 30_000;
    }

    private String takeoverText(final String backup, final boolean expected, final long takeoverMs)
    {
        if (!expected)
        {
            noTakeover++;
            return "no takeover expected: the arbiter had the backup not ACTIVE";
        }
        if (takeoverMs < 0)
        {
            problems.add(backup + " was ACTIVE but did not take over within " + takeoverTimeoutMs() + " ms");
            return "NO TAKEOVER although " + backup + " was ACTIVE";
        }
        return backup + " took over in " + takeoverMs + " ms";
    }

    private Injected partition(final String primary, final String backup, final long holdMs)
    {
        final List<String> pairs = new ArrayList<>(List.of("primary-backup", "primary-arbiter", "backup-arbiter",
            "primary-isolated"));
        if (cluster.names().contains(FailoverCluster.DR))
        {
            pairs.add("primary-dr");
        }
        final String pair = pairs.get(random.nextInt(pairs.size()));
        final List<FaultProxy> links = switch (pair)
        {
            case "primary-backup" -> List.of(cluster.link(primary, backup), cluster.link(backup, primary));
            case "primary-arbiter" -> List.of(cluster.link(primary, FailoverCluster.ARBITER));
            case "backup-arbiter" -> List.of(cluster.link(backup, FailoverCluster.ARBITER));
            case "primary-dr" -> List.of(cluster.link(FailoverCluster.DR, primary));
            default -> List.of(cluster.link(primary, backup), cluster.link(backup, primary),
                cluster.link(primary, FailoverCluster.ARBITER));
        };
        final boolean isolated = "primary-isolated".equals(pair);
        final boolean expected = isolated && isBackupActive();
        final long epoch = epochOf(backup);
        final long startNs = System.nanoTime();
        links.forEach((link) -> link.isolate(true));
        final long takeover = expected ? awaitTakeover(backup, epoch, startNs, takeoverTimeoutMs()) : -1;
        sleep(holdMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        final long cutMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        links.forEach((link) -> link.isolate(false));
        settle();
        return new Injected(pair.replace("primary", primary).replace("backup", backup), "links cut for " + cutMs +
            " ms" + (isolated ? "; " + takeoverText(backup, expected, takeover) : ""));
    }

    private Injected oneWay(final String primary, final String backup, final long holdMs)
    {
        final List<String[]> choices = new ArrayList<>(List.of(
            new String[] {backup, primary, "down", primary + " to " + backup},
            new String[] {backup, primary, "up", backup + " to " + primary},
            new String[] {primary, FailoverCluster.ARBITER, "up", primary + " to arbiter"},
            new String[] {primary, FailoverCluster.ARBITER, "down", "arbiter to " + primary}));
        if (cluster.names().contains(FailoverCluster.DR))
        {
            choices.add(new String[] {FailoverCluster.DR, primary, "down", primary + " to " + FailoverCluster.DR});
        }
        final String[] choice = choices.get(random.nextInt(choices.size()));
        final FaultProxy link = cluster.link(choice[0], choice[1]);
        link.hold("up".equals(choice[2]), "down".equals(choice[2]));
        sleep(holdMs);
        link.hold(false, false);
        settle();
        return new Injected(choice[3], "bytes from " + choice[3] + " held for " + holdMs + " ms");
    }

    private void restart(final String name)
    {
        cluster.startNode(name);
        cluster.node(name).call("resume", FailoverCluster.CALL);
    }

    /**
     * @return ms from {@code startNs} to the partner's first acknowledged commit in a newer epoch, or -1 when it did
     * not take over within {@code timeoutMs}.
     */
    private long awaitTakeover(final String partner, final long oldEpoch, final long startNs, final long timeoutMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        do
        {
            final String role = cluster.role(partner);
            if (null != role && "PRIMARY".equals(NodeProcess.field(role, "role")))
            {
                final long epoch = Long.parseLong(NodeProcess.field(role, "epoch"));
                if (epoch > oldEpoch && Long.parseLong(NodeProcess.field(role, "ackedLast")) >
                    epoch * FailoverWorkload.EPOCH_TXN_BASE)
                {
                    final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                    takeoverMs.add(ms);
                    return ms;
                }
                cluster.node(partner).call("resume", FailoverCluster.CALL);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        while (System.nanoTime() < deadline);
        return -1;
    }

    /**
     * Wait until one failover member is PRIMARY, the other BACKUP and the DR async ASYNC. A member left FENCED for
     * longer than the settle time is restarted (and counted): rejoining is its job, so the report shows it.
     */
    void settle()
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settleTimeoutMs);
        final long fencedDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(qosTimeoutMs * 4 + 20_000);
        while (true)
        {
            final List<String> states = new ArrayList<>();
            int primaries = 0;
            int backups = 0;
            boolean asyncOk = !cluster.names().contains(FailoverCluster.DR);
            String fenced = null;
            for (final String name : cluster.names())
            {
                final String line = cluster.role(name);
                final String role = null == line ? "DOWN" : NodeProcess.field(line, "role");
                states.add(name + "=" + role);
                primaries += "PRIMARY".equals(role) ? 1 : 0;
                backups += "BACKUP".equals(role) ? 1 : 0;
                asyncOk |= FailoverCluster.DR.equals(name) && "ASYNC".equals(role);
                fenced = "FENCED".equals(role) ? name : fenced;
            }
            if (primaries == 1 && backups == 1 && asyncOk)
            {
                return;
            }
            if (null != fenced && System.nanoTime() > fencedDeadline)
            {
                rebuild(fenced, states);
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("the mirror did not settle within " + settleTimeoutMs + " ms: " +
                    states);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /**
     * A member that stays FENCED cannot follow with what it holds: wipe its directory and start it empty, so it
     * fetches everything again. A restart alone would not do: it would resume from the journal that fenced it.
     */
    private void rebuild(final String name, final List<String> states)
    {
        final String role = cluster.role(name);
        rebuilds.add(name + " at " + states + ": " + (null == role ? "no answer" : NodeProcess.field(role, "reason")));
        cluster.kill(name);
        try
        {
            cluster.wipe(name);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot wipe " + name + " to rebuild it: " + ex, ex);
        }
        restart(name);
        rebuilt++;
    }

    private String awaitPrimary()
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settleTimeoutMs);
        while (System.nanoTime() < deadline)
        {
            final String primary = cluster.primary();
            if (null != primary)
            {
                return primary;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        throw new IllegalStateException("no primary within " + settleTimeoutMs + " ms");
    }

    private long epochOf(final String name)
    {
        final String role = cluster.role(name);
        return null == role ? 0 : Long.parseLong(NodeProcess.field(role, "epoch"));
    }

    private long damageLogged(final String name) throws IOException
    {
        if (!Files.exists(cluster.logFile(name)))
        {
            return 0;
        }
        final String log = Files.readString(cluster.logFile(name), StandardCharsets.UTF_8);
        return log.split(DAMAGE_LOGGED, -1).length - 1;
    }

    private String detected(final String name, final long before) throws IOException
    {
        if (damageLogged(name) > before)
        {
            return "damage detected by journal recovery";
        }
        problems.add("damage to " + name + "'s journal was not reported (no '" + DAMAGE_LOGGED + "' in " +
            cluster.logFile(name) + ")");
        return "damage NOT reported";
    }

    private static void sleep(final long ms)
    {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
    }
}
