package io.jmirror.harness.sim;

/**
 * Known mistakes the simulation can reintroduce, in the harness only, to show that its checkers catch them.
 */
public enum Sabotage
{
    /** None: the production rules. */
    NONE,
    /** The primary stops waiting for an ACTIVE backup without the arbiter's grant (a release that always says yes). */
    RELEASE_WITHOUT_GRANT,
    /** The backup takes over whenever it asks, as if the arbiter had granted it (not ACTIVE, primary alive). */
    TAKEOVER_WITHOUT_GRANT,
    /**
     * The primary reports its backup ACTIVE to the arbiter as soon as the backup's session is ACTIVE, with the
     * backup's acked durable LSN, whether or not the backup has acknowledged durable where the gate closed (what the
     * primary may have acknowledged alone). The window lasts less than a batch, and generated faults do not land a
     * takeover in it: {@link SimScenarios#activeBeforeCover()} forces it.
     */
    ACTIVE_WITHOUT_COVER
}
