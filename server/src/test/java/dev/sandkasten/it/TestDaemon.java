package dev.sandkasten.it;

import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.config.Config;
import dev.sandkasten.config.ConfigLoader;
import dev.sandkasten.daemon.Daemon;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts the real daemon in this JVM on a free loopback port with a fresh data directory. One
 * daemon is shared by all integration tests (it is what a user runs; sessions isolate the tests
 * from each other); tests that need other settings start their own with {@link #start(Map)}.
 * Tests talk to it through the Java SDK ({@link #sdk()}); {@link #client()} is a raw HTTP client
 * for the few tests that check wire-level details the SDK hides.
 */
public final class TestDaemon {
    private static Daemon shared;
    private static Path sharedDataDir;
    private static SandboxClient sharedSdk;
    /** Every data directory a daemon was started on, whose disk volume goes when the tests end. */
    private static final Set<Path> dataDirs = ConcurrentHashMap.newKeySet();

    static {
        // At the end of the run: stop the shared daemon, then delete the volume images, which
        // keep the blocks of deleted files when a daemon stops before its discards are done (a
        // run of the suite would otherwise leave ~1.5 GB in the temporary directory).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (TestDaemon.class) {
                if (shared != null) shared.close();
            }
            for (Path d : dataDirs) {
                try {
                    Files.deleteIfExists(d.resolve("volume.img"));
                } catch (IOException e) {
                    System.err.println("could not delete " + d.resolve("volume.img") + ": " + e);
                }
            }
        }));
    }

    private TestDaemon() {}

    public static synchronized Daemon shared() {
        if (shared == null) {
            try {
                sharedDataDir = Files.createTempDirectory("sandkasten-it-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            shared = start(Map.of("data_dir", sharedDataDir.toString()));
        }
        return shared;
    }

    /** The data directory of the shared daemon. */
    public static synchronized Path sharedDataDir() {
        shared();
        return sharedDataDir;
    }

    /** A daemon with extra settings (keys as in the config file). The caller closes it. */
    public static Daemon start(Map<String, String> settings) {
        return start(settings, null);
    }

    /** A daemon reading {@code configFile} (YAML) too, for what only a file can say (tenants). */
    public static Daemon start(Map<String, String> settings, Path configFile) {
        try {
            Path data = settings.containsKey("data_dir")
                    ? Path.of(settings.get("data_dir")) : Files.createTempDirectory("sandkasten-it-");
            dataDirs.add(data);
            Map<String, String> flags = new HashMap<>();
            flags.put("listen", "127.0.0.1:0");
            flags.put("data_dir", data.toString());
            flags.put("api_key", "test-key-0123456789abcdef");
            flags.putAll(settings);
            Config config = ConfigLoader.load(Optional.ofNullable(configFile), Map.of(), flags);
            return Daemon.start(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The SDK client for the shared daemon (one for all tests, as an application would have). */
    public static synchronized SandboxClient sdk() {
        if (sharedSdk == null) sharedSdk = sdk(shared());
        return sharedSdk;
    }

    /** A new SDK client for the given daemon; the caller closes it. */
    public static SandboxClient sdk(Daemon d) {
        return SandboxClient.builder().baseUrl(url(d)).apiKey(d.apiKey()).build();
    }

    public static String url(Daemon d) {
        return "http://127.0.0.1:" + d.port();
    }

    /** A raw HTTP client for the shared daemon, for wire-level checks. */
    public static TestClient client() {
        Daemon d = shared();
        return new TestClient(url(d), d.apiKey());
    }
}
