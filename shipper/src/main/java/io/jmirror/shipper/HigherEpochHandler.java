package io.jmirror.shipper;

/**
 * Told when a {@link Primary} learns of a higher epoch than its own, so that it is no longer the primary: the
 * failover layer steps down on it. By then the primary acknowledges no further commit and has stopped shipping.
 */
@FunctionalInterface
public interface HigherEpochHandler
{
    /**
     * Called on a member session's thread, once for each higher epoch learned; must not block or throw (what it
     * throws is logged and counted as a primary error).
     *
     * @param epoch       the higher epoch.
     * @param primaryName the member that is primary in it, or null when the member that told of it did not know.
     */
    void onHigherEpoch(long epoch, String primaryName);
}
