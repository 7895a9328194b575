/**
 * A mirror member as a whole, above the shipper (journal transfer) and the dejournal (apply).
 * <ul>
 *   <li>{@link io.jmirror.mirror.Member}, {@link io.jmirror.mirror.MemberContext}: a receiver that keeps a
 *   byte-identical copy of the primary's journal wired to a dejournaler that applies it to a target.</li>
 * </ul>
 * Failover (the arbiter, epochs and fencing, takeover, rejoin, promotion) grows here: this module may hold neither
 * wire formats (the shipper's) nor apply logic (the dejournal's).
 */
package io.jmirror.mirror;
