package io.jmirror.harness;

/**
 * A fault as injected.
 *
 * @param startMs from the start of the run.
 * @param endMs   when it was healed (equal to start for instant faults).
 * @param kind    what.
 * @param member  on which member.
 * @param detail  what happened, for the report.
 */
record FaultEvent(long startMs, long endMs, FaultKind kind, String member, String detail)
{
}
