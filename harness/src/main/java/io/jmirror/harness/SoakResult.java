package io.jmirror.harness;

/**
 * A soak's verdict and its counts.
 *
 * @param pass              no record lost, no order violation, no digest mismatch, every checkpoint caught up, and
 *                          every planned fault injected.
 * @param records           records the application journaled.
 * @param faultsInjected    faults injected.
 * @param recordsLost       records a member never applied at a checkpoint.
 * @param orderViolations   SETs a member applied over a newer version of the node.
 * @param digestMismatches  globals whose digest differed at a checkpoint, summed over members and checkpoints.
 * @param checkpoints       checkpoints run.
 * @param line              the final line printed.
 */
record SoakResult(
    boolean pass,
    long records,
    long faultsInjected,
    long recordsLost,
    long orderViolations,
    long digestMismatches,
    long checkpoints,
    String line)
{
}
