package io.jmirror.shipper;

/**
 * Decides arbiter requests; the {@link ArbiterServer} handles the wire and authentication, the failover layer
 * (the mirror module's {@code Arbiter}) decides.
 */
@FunctionalInterface
public interface ArbiterHandler
{
    /**
     * @param request       a well-formed request.
     * @param certifiedName the common name of the peer's certificate with TLS, or null without.
     * @return the answer; never null. Must not throw: a failure to decide is a refusal.
     */
    ArbiterResponse handle(ArbiterRequest request, String certifiedName);
}
