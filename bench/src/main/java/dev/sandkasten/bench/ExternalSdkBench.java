package dev.sandkasten.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Streaming throughput reaching a Python and a TypeScript consumer: runs each SDK's own
 * {@code sdk/<lang>/bench.sh} against the benchmark's daemon and prints its one-line JSON result
 * in the benchmark's format. Each script sets up its runtime (venv, node_modules) on first use.
 */
final class ExternalSdkBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExternalSdkBench() {}

    static void run(Path sdkDir, String baseUrl, String key, long bytes) throws IOException, InterruptedException {
        for (String lang : new String[] {"python", "typescript"}) {
            Path script = sdkDir.resolve(lang).resolve("bench.sh");
            if (!Files.isExecutable(script)) continue;
            for (long chunkSize : new long[] {16 * 1024, 256 * 1024}) {
                ProcessBuilder pb = new ProcessBuilder(script.toString()).redirectError(ProcessBuilder.Redirect.DISCARD);
                pb.environment().put("SANDKASTEN_URL", baseUrl);
                pb.environment().put("SANDKASTEN_API_KEY", key);
                pb.environment().put("SANDKASTEN_BENCH_BYTES", Long.toString(bytes));
                pb.environment().put("SANDKASTEN_BENCH_CHUNK_SIZE", Long.toString(chunkSize));
                Process p = pb.start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    System.out.printf("%-40s failed (exit %s): %s%n", "streaming via " + lang + " SDK",
                            p.isAlive() ? "timeout" : p.exitValue(), out);
                    p.destroyForcibly();
                    continue;
                }
                JsonNode r = JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
                System.out.printf("%-40s %8.0f MB/s  %8.0f chunks/s  (chunk_size %d KiB, %.1f GB)%n",
                        "streaming via " + lang + " SDK", r.get("mb_per_s").asDouble(), r.get("chunks_per_s").asDouble(),
                        chunkSize / 1024, r.get("bytes").asLong() / 1e9);
            }
        }
    }
}
