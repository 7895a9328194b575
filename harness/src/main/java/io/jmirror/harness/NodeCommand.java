package io.jmirror.harness;

import picocli.CommandLine.Command;

/**
 * The processes {@code demo} and {@code soak} start: one primary with the synthetic application, and members.
 * Hidden from help: they are driven over stdin by those commands, not by hand.
 */
@Command(name = "node", hidden = true, description = "A node process driven by demo or soak.",
    subcommands = {PrimaryNode.class, MemberNode.class, FailoverNode.class,
        ClusterArbiterNode.class}, mixinStandardHelpOptions = true)
final class NodeCommand
{
}
