package io.jmirror.harness.sim;

import io.jmirror.mirror.Arbiter;
import io.jmirror.mirror.ArbiterContext;
import io.jmirror.mirror.ArbiterRecord;
import io.jmirror.mirror.ArbiterStore;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;
import org.agrona.concurrent.EpochClock;

import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * The production {@link Arbiter}, started without a socket, on the simulated clock, with an in-memory
 * {@link ArbiterStore} that survives its crashes (what was saved before the crash is there after it; a save can
 * fail, and the arbiter then refuses). A crash loses what it heard (members' last contact), as a real one does.
 */
final class SimArbiter
{
    private final String mirrorName;
    private final String[] members;
    private final String[] asyncMembers;
    private final long qosTimeoutMs;
    private final EpochClock clock;
    private final RandomGenerator random;
    private final Store store = new Store();
    private Arbiter arbiter;
    private double storeFailureRate;

    /**
     * The arbiter's disk: a map replaced as a whole, as the file store's write-force-rename does.
     */
    private final class Store implements ArbiterStore
    {
        private Map<String, ArbiterRecord> saved = new TreeMap<>();

        @Override
        public Map<String, ArbiterRecord> load()
        {
            return new TreeMap<>(saved);
        }

        @Override
        public void save(final Map<String, ArbiterRecord> records)
        {
            if (random.nextDouble() < storeFailureRate)
            {
                throw new IllegalStateException("simulated disk failure: arbiter store save failed");
            }
            saved = new TreeMap<>(records);
        }
    }

    SimArbiter(
        final String mirrorName, final String[] members, final String[] asyncMembers, final long qosTimeoutMs,
        final EpochClock clock, final RandomGenerator random)
    {
        this.mirrorName = mirrorName;
        this.members = members.clone();
        this.asyncMembers = asyncMembers.clone();
        this.qosTimeoutMs = qosTimeoutMs;
        this.clock = clock;
        this.random = random;
    }

    void storeFailureRate(final double rate)
    {
        this.storeFailureRate = rate;
    }

    void start()
    {
        final ArbiterContext ctx = new ArbiterContext().store(store).bindAddress(null).insecure(true).clock(clock)
            .qosTimeoutMs(qosTimeoutMs);
        for (final String member : members)
        {
            ctx.member(mirrorName, member);
        }
        for (final String member : asyncMembers)
        {
            ctx.asyncMember(mirrorName, member);
        }
        arbiter = Arbiter.start(ctx);
    }

    void crash()
    {
        arbiter.close();
        arbiter = null;
    }

    boolean isUp()
    {
        return null != arbiter;
    }

    /**
     * @return the answer; null when the arbiter is down.
     */
    ArbiterResponse handle(final ArbiterRequest request)
    {
        return null == arbiter ? null : arbiter.handle(request, null);
    }

    /**
     * @return the record as persisted (what survives a crash), or null.
     */
    ArbiterRecord persisted()
    {
        return store.saved.get(mirrorName);
    }

    static boolean isTakeover(final ArbiterRequest request)
    {
        return request.kind() == io.jmirror.shipper.ArbiterProtocol.Kind.TAKEOVER;
    }
}
