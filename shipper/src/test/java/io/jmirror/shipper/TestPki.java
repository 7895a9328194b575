package io.jmirror.shipper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI for tests, made at test time so no key material is committed and nothing expires in the repo.
 * <p>
 * The JDK's {@code keytool} does the cryptography (a CA with {@code -ext bc:c}, then {@code -genkeypair},
 * {@code -certreq} and {@code -gencert} per member); the PKCS12 files are assembled with the {@link KeyStore} API,
 * which is quicker than more keytool runs. Members are signed in parallel, since each keytool run is a JVM start.
 * <p>
 * Layout in the directory: {@code trust.p12} (the CA's certificate), {@code <name>.p12} per member (its key and the
 * chain member, CA) with subject {@code CN=<name>,O=jmirror}, and an {@code intruder.p12} signed by a second,
 * unrelated CA, for negative tests. All stores use {@link #PASSWORD}.
 */
public final class TestPki
{
    static final String PASSWORD = "jmirror-test";
    static final String INTRUDER = "intruder";

    private static final long KEYTOOL_TIMEOUT_SECONDS = 60;
    private static final String[] KEY_ALGORITHM = {"-keyalg", "EC", "-groupname", "secp256r1"};

    private final Path dir;
    private final Map<String, Path> keyStores = new LinkedHashMap<>();
    private final Path trustStore;

    private TestPki(final Path dir, final Path trustStore)
    {
        this.dir = dir;
        this.trustStore = trustStore;
    }

    /**
     * @param dir   an empty directory, e.g. a {@code @TempDir}.
     * @param names member names; each gets a key store signed by the CA.
     * @return the PKI, with the intruder's key store as well.
     */
    public static TestPki create(final Path dir, final String... names) throws Exception
    {
        final Path caStore = dir.resolve("ca.p12");
        final Path intruderCaStore = dir.resolve("intruder-ca.p12");
        final ExecutorService executor = Executors.newFixedThreadPool(2);
        try
        {
            final Future<?> ca = executor.submit(() -> genKeyPair(caStore, "ca", "CN=jmirror-test-ca,O=jmirror",
                "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign"));
            final Future<?> intruderCa = executor.submit(() -> genKeyPair(intruderCaStore, "ca",
                "CN=other-ca,O=elsewhere", "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign"));
            ca.get();
            intruderCa.get();

            final Path trustStore = dir.resolve("trust.p12");
            final KeyStore trust = emptyStore();
            trust.setCertificateEntry("ca", certificate(caStore));
            store(trust, trustStore);

            final TestPki pki = new TestPki(dir, trustStore);
            final List<Future<Path>> members = new ArrayList<>();
            for (final String name : names)
            {
                members.add(executor.submit(() -> member(dir, caStore, name)));
            }
            final Future<Path> intruder = executor.submit(() -> member(dir, intruderCaStore, INTRUDER));
            for (int i = 0; i < names.length; i++)
            {
                pki.keyStores.put(names[i], members.get(i).get());
            }
            pki.keyStores.put(INTRUDER, intruder.get());
            return pki;
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    /**
     * @return the password of every store, as a fresh array.
     */
    static char[] password()
    {
        return PASSWORD.toCharArray();
    }

    Path dir()
    {
        return dir;
    }

    Path trustStore()
    {
        return trustStore;
    }

    Path keyStore(final String name)
    {
        final Path path = keyStores.get(name);
        if (null == path)
        {
            throw new IllegalArgumentException("no key store for name=" + name + " known=" + keyStores.keySet());
        }
        return path;
    }

    /**
     * @return a concluded config with the member's key store and the CA as trust.
     */
    public TlsConfig config(final String name)
    {
        return new TlsConfig().keyStore(keyStore(name), password()).trustStore(trustStore, password()).conclude();
    }

    /**
     * @return a concluded config whose certificate comes from the other CA; it trusts the real CA, so the only
     * thing wrong with it is its own certificate.
     */
    public TlsConfig intruderConfig()
    {
        return config(INTRUDER);
    }

    /**
     * @return a concluded config with trust but no key store: a client that presents no certificate.
     */
    TlsConfig withoutCertificateConfig()
    {
        return new TlsConfig().trustStore(trustStore, password()).conclude();
    }

    private static Path member(final Path dir, final Path caStore, final String name) throws Exception
    {
        final Path keyStore = dir.resolve(name + ".p12");
        final Path request = dir.resolve(name + ".csr");
        final Path signed = dir.resolve(name + ".pem");
        genKeyPair(keyStore, name, "CN=" + name + ",O=jmirror");
        keytool("-certreq", "-alias", name, "-keystore", keyStore.toString(), "-storepass", PASSWORD,
            "-file", request.toString());
        keytool("-gencert", "-alias", "ca", "-keystore", caStore.toString(), "-storepass", PASSWORD,
            "-infile", request.toString(), "-outfile", signed.toString(), "-rfc", "-validity", "2",
            "-ext", "ku:c=digitalSignature", "-ext", "eku=serverAuth,clientAuth");

        // Replace the self-signed certificate with the chain member -> CA, as keytool -importcert of the reply would.
        final KeyStore store = load(keyStore);
        final Key key = store.getKey(name, password());
        final Certificate leaf;
        try (InputStream in = Files.newInputStream(signed))
        {
            leaf = CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        store.setKeyEntry(name, key, password(), new Certificate[] {leaf, certificate(caStore)});
        store(store, keyStore);
        return keyStore;
    }

    private static Void genKeyPair(final Path keyStore, final String alias, final String subject,
        final String... extensions) throws IOException, InterruptedException
    {
        final List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias));
        args.addAll(Arrays.asList(KEY_ALGORITHM));
        args.addAll(List.of("-dname", subject, "-validity", "2", "-storetype", "PKCS12", "-keystore",
            keyStore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD));
        args.addAll(Arrays.asList(extensions));
        keytool(args.toArray(new String[0]));
        return null;
    }

    /**
     * Run keytool with a bounded wait; its output goes to a file, so a chatty keytool cannot block on a full pipe.
     */
    private static void keytool(final String... args) throws IOException, InterruptedException
    {
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        final List<String> command = new ArrayList<>();
        command.add(keytool.toString());
        // Small, short-lived JVMs: C1 only and the serial collector start fastest.
        command.add("-J-XX:TieredStopAtLevel=1");
        command.add("-J-XX:+UseSerialGC");
        command.addAll(Arrays.asList(args));
        final Path output = Files.createTempFile("keytool", ".out");
        try
        {
            final Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
            // No input: a keytool that prompts fails at once instead of waiting for an answer.
            process.getOutputStream().close();
            if (!process.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IllegalStateException("keytool timed out after " + KEYTOOL_TIMEOUT_SECONDS + "s: " +
                    command + "\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
            if (0 != process.exitValue())
            {
                throw new IllegalStateException("keytool failed: exit=" + process.exitValue() + " " + command +
                    "\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
        }
        finally
        {
            Files.deleteIfExists(output);
        }
    }

    private static Certificate certificate(final Path caStore) throws Exception
    {
        return load(caStore).getCertificate("ca");
    }

    private static KeyStore emptyStore() throws Exception
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private static KeyStore load(final Path path) throws Exception
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path))
        {
            store.load(in, password());
        }
        return store;
    }

    private static void store(final KeyStore store, final Path path) throws Exception
    {
        try (OutputStream out = Files.newOutputStream(path))
        {
            store.store(out, password());
        }
    }
}
