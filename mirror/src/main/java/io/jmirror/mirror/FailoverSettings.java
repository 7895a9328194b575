package io.jmirror.mirror;

/**
 * What a {@link FailoverControl} needs to know about its member, apart from the environment it acts on.
 *
 * @param mirrorName     the mirror.
 * @param memberName     this member.
 * @param partnerName    the other failover member, or null for an async member.
 * @param isAsync        an async (DR) member: follows whichever member is primary; promoted only by the operator.
 * @param initialPrimary becomes primary when the arbiter knows no primary yet.
 */
public record FailoverSettings(
    String mirrorName, String memberName, String partnerName, boolean isAsync, boolean initialPrimary)
{
}
