/**
 * Deterministic failover simulation ({@code jmirror simulate}): two failover members, DR async members
 * ({@code --async N}, one by default) and an arbiter on one thread, with a simulated clock and network, every choice
 * drawn from seeded random sources, so the same seed gives the same run, event for event.
 * <p>
 * <b>Production code, run unchanged:</b> {@link io.jmirror.mirror.FailoverControl} (each member's role decisions:
 * candidate, backup, takeover, primary, fence, rejoin; an async member's follow, undo and cut at a failover),
 * {@link io.jmirror.mirror.Arbiter} with
 * {@link io.jmirror.mirror.ArbiterRules} (started without a socket, on the simulated clock, over an in-memory
 * {@link io.jmirror.mirror.ArbiterStore}), and the primary's commit gate {@link io.jmirror.shipper.BackupGate} asked
 * through the control's {@link io.jmirror.shipper.BackupRelease}.
 * <p>
 * <b>Modelled here:</b> journals (records with LSN, epoch, checksum and a durable point; a process kill keeps every
 * record written, a machine crash ({@link io.jmirror.harness.sim.SimOptions#machineCrashes()}) keeps what was
 * durable and perhaps part of the rest, torn, and recovery cuts the tail at the first bad record; a bit flipped at
 * rest in a record a member has not applied yet must be caught by the apply's checksum check, which then stops
 * FAILED), the
 * store (in memory, lost in a crash, rebuilt from the journal; undo beyond a divergence point is modelled as a replay
 * of the journal below it), shipping (HELLO, batches, heartbeats, acks and STALE_EPOCH as messages; the primary's
 * per-member sessions CATCHUP/ACTIVE/TROUBLE, ACTIVE when caught up as {@code MemberSession.isCaughtUp} says; a
 * refused HELLO as in {@code MemberSession}), the commit rule of
 * {@code CommitPosition.isCommittedNow}, stalled members (they run nothing and read what arrived when they resume,
 * their clock jumped), the network (delay, loss, duplication and so reordering, links cut one way or both, arbiter
 * requests delivered after their sender gave up, answers lost), and the operator, who in the heal phase rebuilds a
 * member that says it cannot go on (FAILED, or must be rebuilt). Async members draw their faults, their links' fate and
 * their arbiter round trips from a random source of their own, so adding them leaves the failover members' draws as
 * they were. Transactions (and so rollback of open ones) and the operator's promotion of an async member are not
 * modelled yet.
 * <p>
 * After every step {@link io.jmirror.harness.sim.SimInvariants} checks: no acknowledged commit lost; at most one
 * member accepts writes in an epoch; epochs never go backward (member journals, the arbiter); journals agree below
 * what a member acknowledged; per-global order (the store is the journal applied in order); an async member stays
 * one (never a failover role, never named by the arbiter, never waited for) and, once in the primary's epoch, holds
 * only the primary's records. After the faults stop,
 * every member must converge within the heal phase. {@link io.jmirror.harness.sim.Sabotage} reintroduces known
 * mistakes, in this package only, to show the checks fail. A {@link io.jmirror.harness.sim.SimScript} replaces the
 * drawn faults with scripted steps (each after a wait, once a condition on the run holds) to force a situation random
 * faults reach too rarely: {@link io.jmirror.harness.sim.SimScenarios} holds those the tests run.
 */
package io.jmirror.harness.sim;
