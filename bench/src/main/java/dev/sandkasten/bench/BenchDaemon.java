package dev.sandkasten.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The daemon under measurement: started as its own process ({@code java -jar
 * sandkasten-server.jar serve}) on a free loopback port with a fresh data directory, the settings
 * a benchmark needs passed as {@code SANDKASTEN_*} environment variables, and stopped at close.
 * Both benchmark commands ({@link Bench}, {@link ScaleBench}) drive the daemon through this.
 */
final class BenchDaemon implements AutoCloseable {
    static final String KEY = "bench-key-0123456789abcdef";

    final int port;
    final String base;
    /** Milliseconds from the JVM launch to the first {@code /healthz} answer. */
    final double startMillis;
    private final Process process;
    private final Path data;

    private BenchDaemon(int port, Process process, double startMillis, Path data) {
        this.port = port;
        this.base = "http://127.0.0.1:" + port;
        this.process = process;
        this.startMillis = startMillis;
        this.data = data;
    }

    static BenchDaemon start(String jar, List<String> javaOpts, Map<String, String> settings) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path data = Files.createTempDirectory("sandkasten-bench-");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(javaOpts);
        cmd.addAll(List.of("-jar", jar, "serve", "--listen", "127.0.0.1:" + port, "--data-dir", data.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SANDKASTEN_API_KEY", KEY);
        pb.environment().put("SANDKASTEN_LOG_LEVEL", "WARN");
        pb.environment().putAll(settings);
        pb.redirectErrorStream(true).redirectOutput(data.resolve("daemon.log").toFile());
        long launched = System.nanoTime();
        Process process = pb.start();
        try {
            awaitHealthy(port, process);
        } catch (Exception e) {
            process.destroy();
            throw new IllegalStateException(e.getMessage() + "; see " + data.resolve("daemon.log"), e);
        }
        return new BenchDaemon(port, process, (System.nanoTime() - launched) / 1e6, data);
    }

    private static void awaitHealthy(int port, Process process) throws Exception {
        // The bare client: java.net.http's first request sets up its machinery (a few hundred ms
        // in a fresh JVM), which would count against the daemon-start figure.
        for (int i = 0; i < 3000; i++) {
            if (!process.isAlive()) throw new IllegalStateException("the daemon exited with " + process.exitValue());
            try (RawHttpClient raw = client(port)) {
                raw.call("GET", "/healthz", null);
                return;
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(10); // fine-grained: the wait is the daemon-start figure
        }
        throw new IllegalStateException("the daemon did not become healthy");
    }

    private static RawHttpClient client(int port) throws IOException {
        return new RawHttpClient("127.0.0.1", port, KEY);
    }

    /** A new keep-alive connection to the daemon. */
    RawHttpClient client() throws IOException {
        return client(port);
    }

    long pid() {
        return process.pid();
    }

    /** The daemon's resident set, from {@code /proc}. */
    long rssBytes() throws IOException {
        return Procfs.status(pid(), "VmRSS:") * 1024;
    }

    /** The daemon's thread count, from {@code /proc}. */
    long threads() throws IOException {
        return Procfs.status(pid(), "Threads:");
    }

    /** CPU seconds (user plus system) the daemon has used so far. */
    double cpuSeconds() throws IOException {
        return Procfs.cpuSeconds(pid());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
        // The disk volume's image is the only large file (the daemon's log stays for a look).
        try {
            Files.deleteIfExists(data.resolve("volume.img"));
        } catch (IOException e) {
            System.err.println("could not delete " + data.resolve("volume.img") + ": " + e);
        }
    }
}
