package io.jmirror.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmirror.shipper.ArbiterProtocol;
import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterProtocol.Kind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An arbiter's meters follow its record: epoch, ACTIVE backup, grants and refusals.
 */
class ArbiterMeterBinderTest
{
    @TempDir
    Path dir;

    @Test
    void theMetersFollowTheArbitersRecord()
    {
        try (Arbiter arbiter = Arbiter.start(new ArbiterContext().dir(dir).insecure(true).bindAddress(null)
            .member("M", "node-a").member("M", "node-b")))
        {
            final SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new ArbiterMeterBinder(arbiter, List.of("M")).bindTo(registry);
            assertTrue(Double.isNaN(registry.get("jmirror.arbiter.epoch").tag("mirror", "M").gauge().value()),
                "no record yet");

            assertTrue(arbiter.handle(new ArbiterRequest(Kind.CLAIM_PRIMARY, "M", "node-a", 0, 0), null)
                .isGranted());
            arbiter.handle(new ArbiterRequest(Kind.POLL, "M", "node-b", 1, 0), null);
            arbiter.handle(new ArbiterRequest(Kind.POLL, "M", "node-a", 1, ArbiterProtocol.FLAG_BACKUP_ACTIVE), null);
            assertEquals(1, registry.get("jmirror.arbiter.epoch").tag("mirror", "M").gauge().value());
            assertEquals(1, registry.get("jmirror.arbiter.backup.active").tag("mirror", "M").gauge().value());
            assertEquals(0, registry.get("jmirror.arbiter.no.failover").tag("mirror", "M").gauge().value());
            assertEquals(arbiter.grants(), registry.get("jmirror.arbiter.grants").functionCounter().count());
            assertTrue(arbiter.grants() >= 1);

            arbiter.handle(new ArbiterRequest(Kind.CLAIM_PRIMARY, "M", "intruder", 0, 0), null);
            assertEquals(1, registry.get("jmirror.arbiter.refusals").functionCounter().count(),
                "a member not on the allow-list is refused and counted");
        }
    }
}
