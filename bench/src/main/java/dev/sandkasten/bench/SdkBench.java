package dev.sandkasten.bench;

import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecStream;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;

/**
 * Streaming throughput through the Java SDK: {@code head -c N /dev/zero | tr '\0' a} streamed with
 * {@link Session#execStream}, every chunk's text taken by the consumer, at the daemon's default
 * chunk size and at a large one. The figure is what reaches application code, SSE parsing and JSON
 * decoding included, from the request to the done chunk.
 */
final class SdkBench {
    private static final int LARGE_CHUNK = 256 * 1024;

    private SdkBench() {}

    static void run(String baseUrl, String apiKey, long bytes) {
        try (SandboxClient client = SandboxClient.builder().baseUrl(baseUrl).apiKey(apiKey).build();
             Session session = client.createSession()) {
            report(session, bytes, null);
            report(session, bytes, LARGE_CHUNK);
        }
    }

    private static void report(Session session, long bytes, Integer chunkSize) {
        ExecOptions.Builder options = ExecOptions.builder().timeoutMs(600_000);
        if (chunkSize != null) options.chunkSize(chunkSize);
        long chars = 0;
        long chunks = 0;
        long t = System.nanoTime();
        try (ExecStream stream = session.execStream("head -c " + bytes + " /dev/zero | tr '\\0' a", options.build())) {
            for (var chunk : stream) {
                if (chunk.done()) {
                    if (chunk.exitCode() != 0) throw new IllegalStateException("the command failed: " + chunk);
                    break;
                }
                String text = chunk.output();
                // Touch the text itself, not just its length, as a consumer would.
                if (text.charAt(text.length() - 1) != 'a') throw new IllegalStateException("unexpected output");
                chars += text.length();
                chunks++;
            }
        }
        double secs = (System.nanoTime() - t) / 1e9;
        if (chars != bytes) throw new IllegalStateException("received " + chars + " of " + bytes + " bytes");
        System.out.printf("%-40s %8.0f MB/s  %8.0f chunks/s  (%s chunks, %.1f GB)%n", "streaming via Java SDK",
                bytes / secs / 1e6, chunks / secs, chunkSize == null ? "default" : (chunkSize / 1024) + " KiB",
                bytes / 1e9);
    }
}
