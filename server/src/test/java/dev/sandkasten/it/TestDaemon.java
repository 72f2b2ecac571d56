package dev.sandkasten.it;

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

/**
 * Starts the real daemon in this JVM on a free loopback port with a fresh data directory. One
 * daemon is shared by all integration tests (it is what a user runs; sessions isolate the tests
 * from each other); tests that need other settings start their own with {@link #start(Map)}.
 */
public final class TestDaemon {
    private static Daemon shared;

    private TestDaemon() {}

    public static synchronized Daemon shared() {
        if (shared == null) {
            shared = start(Map.of());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /** A daemon with extra settings (keys as in the config file). The caller closes it. */
    public static Daemon start(Map<String, String> settings) {
        try {
            Path data = Files.createTempDirectory("sandkasten-it-");
            Map<String, String> flags = new HashMap<>();
            flags.put("listen", "127.0.0.1:0");
            flags.put("data_dir", data.toString());
            flags.put("api_key", "test-key-0123456789abcdef");
            flags.putAll(settings);
            Config config = ConfigLoader.load(Optional.empty(), Map.of(), flags);
            return Daemon.start(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestClient client() {
        Daemon d = shared();
        return new TestClient("http://127.0.0.1:" + d.port(), d.apiKey());
    }
}
