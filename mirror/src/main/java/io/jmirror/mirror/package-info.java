/**
 * A mirror member as a whole, above the shipper (journal transfer) and the dejournal (apply).
 * <ul>
 *   <li>{@link io.jmirror.mirror.Member}, {@link io.jmirror.mirror.MemberContext}: a receiver that keeps a
 *   byte-identical copy of the primary's journal wired to a dejournaler that applies it to a target.</li>
 *   <li>{@link io.jmirror.mirror.MirrorNode}, {@link io.jmirror.mirror.MirrorNodeContext}: a failover member that
 *   runs as primary or backup and switches role: takeover with rollback of open transactions, fencing, rejoin of a
 *   former primary. Its decisions are {@link io.jmirror.mirror.FailoverControl}'s, which takes its clock, its
 *   {@link io.jmirror.mirror.ArbiterLink} and a {@link io.jmirror.mirror.FailoverEnvironment} (journal, store,
 *   primary, receiver) through interfaces, so the deterministic simulation runs it unchanged.</li>
 *   <li>{@link io.jmirror.mirror.Arbiter}, {@link io.jmirror.mirror.ArbiterContext},
 *   {@link io.jmirror.mirror.ArbiterRules}, {@link io.jmirror.mirror.ArbiterRecord},
 *   {@link io.jmirror.mirror.ArbiterStore}, {@link io.jmirror.mirror.FileArbiterStore}: the arbiter that hands out
 *   epochs, never grants a takeover while a revoke-backup it granted is in force (a revoked backup is ACTIVE again
 *   only on a primary's report sent after the revoke), and persists before it answers.</li>
 * </ul>
 * This module holds neither wire formats (the shipper's, arbiter protocol included) nor apply logic (the
 * dejournal's, transaction rollback included).
 */
package io.jmirror.mirror;
