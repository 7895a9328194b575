package io.jmirror.harness.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * The simulated network: every message is delayed, and may be dropped, duplicated (and so reordered); a link can be
 * cut in one direction or both. Deterministic: delivery is ordered by time, then by sending order. A message to or
 * from a DR async member draws its fate from the async members' random source, so the failover members' messages
 * fare as they would without async members.
 */
final class SimNetwork
{
    /** The arbiter's address on the simulated network. */
    static final String ARBITER = "arbiter";

    private final RandomGenerator random;
    private final RandomGenerator asyncRandom;
    private final Set<String> asyncEnds;
    private final PriorityQueue<InFlight> inFlight = new PriorityQueue<>();
    private final TreeSet<String> cut = new TreeSet<>();
    private long sequence;
    private double dropRate;
    private double duplicateRate;
    private long maxDelayMs;
    private long sent;
    private long dropped;

    record InFlight(long deliverAtMs, long sequence, String from, String to, SimMessage message, long retryUntilMs)
        implements Comparable<InFlight>
    {
        @Override
        public int compareTo(final InFlight other)
        {
            final int byTime = Long.compare(deliverAtMs, other.deliverAtMs);
            return 0 != byTime ? byTime : Long.compare(sequence, other.sequence);
        }
    }

    SimNetwork(final RandomGenerator random, final RandomGenerator asyncRandom, final Set<String> asyncEnds)
    {
        this.random = random;
        this.asyncRandom = asyncRandom;
        this.asyncEnds = Set.copyOf(asyncEnds);
    }

    boolean isAsyncLink(final String from, final String to)
    {
        return asyncEnds.contains(from) || asyncEnds.contains(to);
    }

    private RandomGenerator randomFor(final String from, final String to)
    {
        return isAsyncLink(from, to) ? asyncRandom : random;
    }

    /**
     * @param dropRate      share of messages lost.
     * @param duplicateRate share of messages delivered twice.
     * @param maxDelayMs    the longest delay.
     */
    void conditions(final double dropRate, final double duplicateRate, final long maxDelayMs)
    {
        this.dropRate = dropRate;
        this.duplicateRate = duplicateRate;
        this.maxDelayMs = maxDelayMs;
    }

    static String link(final String from, final String to)
    {
        return from + "->" + to;
    }

    void cut(final String from, final String to)
    {
        cut.add(link(from, to));
    }

    void heal(final String from, final String to)
    {
        cut.remove(link(from, to));
    }

    void healAll()
    {
        cut.clear();
    }

    boolean isCut(final String from, final String to)
    {
        return cut.contains(link(from, to));
    }

    TreeSet<String> cutLinks()
    {
        return cut;
    }

    /**
     * @return true when the message left (it may still be lost on the way); false when the link is cut.
     */
    boolean send(final long nowMs, final String from, final String to, final SimMessage message)
    {
        sent++;
        final RandomGenerator fate = randomFor(from, to);
        if (isCut(from, to) || fate.nextDouble() < dropRate)
        {
            dropped++;
            return false;
        }
        inFlight.add(new InFlight(nowMs + 1 + fate.nextLong(Math.max(1, maxDelayMs)), sequence++, from, to,
            message, 0));
        if (fate.nextDouble() < duplicateRate)
        {
            inFlight.add(new InFlight(nowMs + 1 + fate.nextLong(Math.max(1, maxDelayMs * 2)), sequence++, from, to,
                message, 0));
        }
        return true;
    }

    /**
     * A message held up on the way, delivered after {@code delayMs}: a request that reaches the arbiter after its
     * sender gave up on it. While its link is cut it is retransmitted (as TCP does) until {@code retryForMs} after it
     * was sent, so a cut that heals in time delivers it at the heal.
     */
    void sendLate(
        final long nowMs, final String from, final String to, final SimMessage message, final long delayMs,
        final long retryForMs)
    {
        sent++;
        inFlight.add(new InFlight(nowMs + delayMs, sequence++, from, to, message, nowMs + retryForMs));
    }

    /**
     * Take the messages due by {@code nowMs}; a message on a link cut meanwhile is lost.
     */
    List<InFlight> due(final long nowMs)
    {
        final List<InFlight> due = new ArrayList<>();
        while (!inFlight.isEmpty() && inFlight.peek().deliverAtMs() <= nowMs)
        {
            final InFlight next = inFlight.poll();
            if (isCut(next.from(), next.to()))
            {
                if (next.retryUntilMs() > nowMs)
                {
                    // Each request has its own connection, so which retransmission gets through first is chance.
                    final RandomGenerator fate = randomFor(next.from(), next.to());
                    inFlight.add(new InFlight(nowMs + 1 + fate.nextLong(Math.max(1, maxDelayMs)), sequence++,
                        next.from(), next.to(), next.message(), next.retryUntilMs()));
                }
                else
                {
                    dropped++;
                }
                continue;
            }
            due.add(next);
        }
        return due;
    }

    long sent()
    {
        return sent;
    }

    long dropped()
    {
        return dropped;
    }
}
