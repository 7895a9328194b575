package io.jmirror.shipper;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static io.jmirror.shipper.ShipperException.Code.INVALID_CONFIG;

/**
 * Key and trust material for mutual TLS between the primary and its members: a PKCS12 key store (this side's key
 * and certificate chain) and a PKCS12 trust store (the mirror's CA).
 * <p>
 * Both ends present certificates. The server always demands one ({@code needClientAuth}), because the primary
 * decides who may join by the member's certificate subject checked against its allow-list, not by host name; for the
 * same reason client engines do not check the server's host name (members connect by address, and a primary's
 * certificate names the primary, not the machine it happens to run on).
 * <p>
 * {@link #conclude()} loads the stores and builds the {@link SSLContext} once, failing early with a message naming
 * the bad file, so a typo in a path or password shows up at start-up rather than as a handshake failure later. The
 * key store may be left out on a side that only connects (the primary will then refuse it); the trust store may not,
 * because falling back to the JDK's public CAs would let any publicly signed certificate in.
 */
public final class TlsConfig
{
    /** Protocol used unless {@link #protocols(String...)} says otherwise. */
    public static final String PROTOCOL_DEFAULT = "TLSv1.3";

    private static final String STORE_TYPE = "PKCS12";

    private Path keyStorePath;
    private char[] keyStorePassword;
    private Path trustStorePath;
    private char[] trustStorePassword;
    private String[] protocols = {PROTOCOL_DEFAULT};
    private SSLContext context;

    /**
     * @param path     PKCS12 file with this side's private key and its certificate chain.
     * @param password of the file and of the key in it (PKCS12 uses one password for both); copied.
     * @return this for a fluent API.
     */
    public TlsConfig keyStore(final Path path, final char[] password)
    {
        ensureNotConcluded("keyStore");
        keyStorePath = path;
        keyStorePassword = null == password ? null : password.clone();
        return this;
    }

    /**
     * @return the key store file, or null when none was set.
     */
    public Path keyStore()
    {
        return keyStorePath;
    }

    /**
     * @param path     PKCS12 file with the certificates (normally the mirror's CA) that peers' chains must lead to.
     * @param password of the file; copied.
     * @return this for a fluent API.
     */
    public TlsConfig trustStore(final Path path, final char[] password)
    {
        ensureNotConcluded("trustStore");
        trustStorePath = path;
        trustStorePassword = null == password ? null : password.clone();
        return this;
    }

    /**
     * @return the trust store file, or null when none was set.
     */
    public Path trustStore()
    {
        return trustStorePath;
    }

    /**
     * @param protocols enabled TLS protocol versions, default {@value #PROTOCOL_DEFAULT}.
     * @return this for a fluent API.
     */
    public TlsConfig protocols(final String... protocols)
    {
        ensureNotConcluded("protocols");
        this.protocols = null == protocols ? null : protocols.clone();
        return this;
    }

    /**
     * @return a copy of the enabled protocol versions.
     */
    public String[] protocols()
    {
        return null == protocols ? null : protocols.clone();
    }

    /**
     * Load both stores and build the SSL context. Calling it again does nothing. Passwords are wiped from this
     * object once the stores are loaded.
     *
     * @return this for a fluent API.
     * @throws ShipperException {@code INVALID_CONFIG} naming the setting and file when a store is missing,
     *                          unreadable, has the wrong password or holds nothing usable, or when a protocol is not
     *                          supported.
     */
    public TlsConfig conclude()
    {
        if (null != context)
        {
            return this;
        }
        if (null == trustStorePath)
        {
            throw new ShipperException(INVALID_CONFIG, "trustStore is required: trustStore=null reason=not set");
        }
        if (null == protocols || 0 == protocols.length)
        {
            throw new ShipperException(INVALID_CONFIG, "no TLS protocol enabled: protocols=" +
                Arrays.toString(protocols));
        }

        KeyManager[] keyManagers = null;
        if (null != keyStorePath)
        {
            final KeyStore keyStore = load("keyStore", keyStorePath, keyStorePassword);
            if (!hasEntry(keyStore, true))
            {
                throw new ShipperException(INVALID_CONFIG, "key store holds no private key: keyStore=" +
                    keyStorePath + " reason=no key entry");
            }
            try
            {
                final KeyManagerFactory factory = KeyManagerFactory.getInstance(
                    KeyManagerFactory.getDefaultAlgorithm());
                factory.init(keyStore, keyStorePassword);
                keyManagers = factory.getKeyManagers();
                for (int i = 0; i < keyManagers.length; i++)
                {
                    if (keyManagers[i] instanceof X509ExtendedKeyManager)
                    {
                        keyManagers[i] = new OwnCertificateKeyManager((X509ExtendedKeyManager)keyManagers[i]);
                    }
                }
            }
            catch (final GeneralSecurityException ex)
            {
                throw new ShipperException(INVALID_CONFIG, "cannot use key store: keyStore=" + keyStorePath +
                    " reason=" + PlainTransport.reason(ex), ex);
            }
        }

        final KeyStore trustStore = load("trustStore", trustStorePath, trustStorePassword);
        if (!hasEntry(trustStore, false))
        {
            throw new ShipperException(INVALID_CONFIG, "trust store holds no certificate: trustStore=" +
                trustStorePath + " reason=no trusted certificate entry");
        }

        final SSLContext sslContext;
        try
        {
            final TrustManagerFactory factory = TrustManagerFactory.getInstance(
                TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trustStore);
            sslContext = SSLContext.getInstance("TLS");
            sslContext.init(keyManagers, factory.getTrustManagers(), null);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new ShipperException(INVALID_CONFIG, "cannot build SSL context: trustStore=" + trustStorePath +
                " reason=" + PlainTransport.reason(ex), ex);
        }

        final List<String> supported = Arrays.asList(sslContext.getSupportedSSLParameters().getProtocols());
        for (final String protocol : protocols)
        {
            if (!supported.contains(protocol))
            {
                throw new ShipperException(INVALID_CONFIG, "TLS protocol not supported: protocols=" +
                    Arrays.toString(protocols) + " reason=" + protocol + " not in " + supported);
            }
        }

        wipe(keyStorePassword);
        wipe(trustStorePassword);
        context = sslContext;
        return this;
    }

    /**
     * @return true once {@link #conclude()} has succeeded.
     */
    public boolean isConcluded()
    {
        return null != context;
    }

    /**
     * @return the SSL context built by {@link #conclude()}, for blocking sockets (the arbiter's links).
     * @throws ShipperException {@code INVALID_CONFIG} before {@link #conclude()}.
     */
    public SSLContext sslContext()
    {
        ensureConcluded("sslContext");
        return context;
    }

    /**
     * @return a new engine for the accepting side (the primary): server mode, a client certificate required.
     * @throws ShipperException {@code INVALID_CONFIG} before {@link #conclude()} or without a key store.
     */
    public SSLEngine serverEngine()
    {
        ensureConcluded("serverEngine");
        if (null == keyStorePath)
        {
            throw new ShipperException(INVALID_CONFIG, "a server needs a key store: keyStore=null reason=not set");
        }
        final SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        final SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(protocols);
        parameters.setNeedClientAuth(true);
        engine.setSSLParameters(parameters);
        return engine;
    }

    /**
     * @param host the peer's host, used by the engine for session caching and SNI; not checked against the
     *             certificate.
     * @param port the peer's port.
     * @return a new engine for the connecting side (a member): client mode, host name verification off.
     * @throws ShipperException {@code INVALID_CONFIG} before {@link #conclude()}.
     */
    public SSLEngine clientEngine(final String host, final int port)
    {
        ensureConcluded("clientEngine");
        final SSLEngine engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        final SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(protocols);
        parameters.setEndpointIdentificationAlgorithm(null);
        engine.setSSLParameters(parameters);
        return engine;
    }

    /**
     * The common name is what members are known by (in allow-lists, status and messages), so it is pulled out of
     * the subject here, once, with proper DN parsing rather than string splitting.
     *
     * @param subjectDn an RFC 2253 distinguished name, e.g. {@code "CN=backup-1,O=jmirror"}.
     * @return the value of its most specific CN, e.g. {@code "backup-1"}, or null when the name is null, not a
     * valid DN, or has no CN.
     */
    public static String commonName(final String subjectDn)
    {
        if (null == subjectDn)
        {
            return null;
        }
        try
        {
            final List<Rdn> rdns = new LdapName(subjectDn).getRdns();
            // LdapName lists RDNs from the least specific (rightmost) to the most specific (leftmost).
            for (int i = rdns.size() - 1; i >= 0; i--)
            {
                final Rdn rdn = rdns.get(i);
                if ("CN".equalsIgnoreCase(rdn.getType()))
                {
                    return String.valueOf(rdn.getValue());
                }
            }
            return null;
        }
        catch (final InvalidNameException | IllegalArgumentException ex)
        {
            return null;
        }
    }

    @Override
    public String toString()
    {
        return "TlsConfig{keyStore=" + keyStorePath + ", trustStore=" + trustStorePath + ", protocols=" +
            Arrays.toString(protocols) + ", concluded=" + isConcluded() + "}";
    }

    private static KeyStore load(final String setting, final Path path, final char[] password)
    {
        try (InputStream in = Files.newInputStream(path))
        {
            final KeyStore store = KeyStore.getInstance(STORE_TYPE);
            store.load(in, password);
            return store;
        }
        catch (final IOException | GeneralSecurityException | RuntimeException ex)
        {
            throw new ShipperException(INVALID_CONFIG, "cannot load " + STORE_TYPE + " store: " + setting + "=" +
                path + " reason=" + reason(ex), ex);
        }
    }

    /**
     * @return the most telling message: a wrong password surfaces as an IOException whose cause says so.
     */
    private static String reason(final Throwable ex)
    {
        final Throwable cause = ex.getCause();
        if (ex instanceof NoSuchFileException)
        {
            return "no such file";
        }
        if (null != cause && null != cause.getMessage() && null == ex.getMessage())
        {
            return PlainTransport.reason(cause);
        }
        return PlainTransport.reason(ex);
    }

    private static boolean hasEntry(final KeyStore store, final boolean isKey)
    {
        try
        {
            for (final String alias : Collections.list(store.aliases()))
            {
                if (isKey ? store.isKeyEntry(alias) : store.isCertificateEntry(alias))
                {
                    return true;
                }
            }
            return false;
        }
        catch (final GeneralSecurityException ex)
        {
            return false;
        }
    }

    private static void wipe(final char[] password)
    {
        if (null != password)
        {
            Arrays.fill(password, '\0');
        }
    }

    /**
     * Presents this side's certificate even when the server's CertificateRequest names other CAs. The JDK's key
     * manager would then send an empty chain, and the primary would report "no client certificate" instead of the
     * real problem, a certificate it does not trust; an operator chasing the first would look in the wrong place.
     */
    private static final class OwnCertificateKeyManager extends X509ExtendedKeyManager
    {
        private final X509ExtendedKeyManager delegate;

        OwnCertificateKeyManager(final X509ExtendedKeyManager delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public String[] getClientAliases(final String keyType, final Principal[] issuers)
        {
            return delegate.getClientAliases(keyType, null);
        }

        @Override
        public String chooseClientAlias(final String[] keyTypes, final Principal[] issuers, final Socket socket)
        {
            return delegate.chooseClientAlias(keyTypes, null, socket);
        }

        @Override
        public String chooseEngineClientAlias(final String[] keyTypes, final Principal[] issuers,
            final SSLEngine engine)
        {
            return delegate.chooseEngineClientAlias(keyTypes, null, engine);
        }

        @Override
        public String[] getServerAliases(final String keyType, final Principal[] issuers)
        {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(final String keyType, final Principal[] issuers, final Socket socket)
        {
            return delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(final String keyType, final Principal[] issuers,
            final SSLEngine engine)
        {
            return delegate.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(final String alias)
        {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(final String alias)
        {
            return delegate.getPrivateKey(alias);
        }
    }

    private void ensureNotConcluded(final String setting)
    {
        if (null != context)
        {
            throw new ShipperException(INVALID_CONFIG, "TlsConfig already concluded: setting=" + setting);
        }
    }

    private void ensureConcluded(final String operation)
    {
        if (null == context)
        {
            throw new ShipperException(INVALID_CONFIG, "TlsConfig not concluded: operation=" + operation);
        }
    }
}
