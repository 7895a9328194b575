package io.jmirror.shipper;

import java.util.Objects;

/**
 * One entry of the primary's allow-list: a member name, the role it may take, the certificate subject its TLS
 * connection must present (when TLS is on), and how batches to it are compressed.
 */
public final class AllowedMember
{
    private final String name;
    private final MemberRole role;
    private final String certificateSubject;
    private final CompressionMode compression;

    /**
     * @param name               member name, as the member says in its HELLO.
     * @param role               BACKUP, DR_ASYNC or REPORTING_ASYNC.
     * @param certificateSubject subject DN, or only the common name, the member's certificate must carry; null
     *                           to require a common name equal to the member name.
     * @param compression        how batches to this member are compressed.
     */
    public AllowedMember(
        final String name, final MemberRole role, final String certificateSubject, final CompressionMode compression)
    {
        this.name = Objects.requireNonNull(name, "name");
        this.role = Objects.requireNonNull(role, "role");
        this.certificateSubject = certificateSubject;
        this.compression = null == compression ? CompressionMode.systemSelected() : compression;
        if (role == MemberRole.PRIMARY)
        {
            throw new ShipperException(
                ShipperException.Code.INVALID_CONFIG, "a member cannot be PRIMARY: name=" + name);
        }
    }

    /**
     * @return an allow-list entry with the system-selected compression and the name as certificate common name.
     */
    public static AllowedMember of(final String name, final MemberRole role)
    {
        return new AllowedMember(name, role, null, null);
    }

    /**
     * @param newRole the role the primary now admits this member in (a DR async promoted to failover member, or a
     *                replaced backup that may only rejoin as DR async).
     * @return a copy with that role, the same certificate and compression.
     */
    public AllowedMember withRole(final MemberRole newRole)
    {
        return newRole == role ? this : new AllowedMember(name, newRole, certificateSubject, compression);
    }

    public String name()
    {
        return name;
    }

    public MemberRole role()
    {
        return role;
    }

    public CompressionMode compression()
    {
        return compression;
    }

    /**
     * @param subject the subject DN of the certificate a connection presented.
     * @return true when it is this member's certificate.
     */
    public boolean matches(final String subject)
    {
        if (null == subject)
        {
            return false;
        }
        if (null == certificateSubject)
        {
            return name.equals(TlsConfig.commonName(subject));
        }
        return certificateSubject.equals(subject) || certificateSubject.equals(TlsConfig.commonName(subject));
    }

    @Override
    public String toString()
    {
        return name + "(" + role + ", " + compression + ")";
    }
}
