package io.jmirror.mirror;

import io.jmirror.shipper.ArbiterRequest;
import io.jmirror.shipper.ArbiterResponse;

/**
 * How a failover member reaches the arbiter: one request, one answer. The real link is a TCP (or TLS) connection;
 * the deterministic simulation delivers requests through its simulated network, late, twice or never.
 */
@FunctionalInterface
public interface ArbiterLink
{
    /**
     * @param request the request.
     * @return the arbiter's answer, or null when the arbiter could not be reached or did not answer in time (the
     * request may still reach it later).
     */
    ArbiterResponse request(ArbiterRequest request);
}
