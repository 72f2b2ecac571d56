package dev.sandkasten.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts the daemon as its own process ({@code java -jar sandkasten-server.jar serve}) on a free
 * loopback port and measures session create, exec round trip, first-chunk latency (program write
 * to client receipt), streaming throughput against the raw pipe rate in the same sandbox, and the
 * daemon's RSS while streaming. Round trips and streams go through {@link RawHttpClient}, a bare
 * keep-alive HTTP/1.1 client, so the figures are the daemon's; the round trip is also measured
 * with java.net.http for comparison.
 */
public final class Bench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = BenchDaemon.KEY;

    private final HttpClient http = HttpClient.newHttpClient();
    private final BenchDaemon daemon;
    private final String base;

    private final Path sdkDir;

    private Bench(BenchDaemon daemon, Path sdkDir) {
        this.daemon = daemon;
        this.base = daemon.base;
        this.sdkDir = sdkDir;
    }

    public static void main(String[] args) throws Exception {
        String jar = null;
        List<String> javaOpts = new ArrayList<>();
        boolean quick = false;
        Path sdkDir = null;
        Usage usage = new Usage("usage: ./sandkasten bench [--quick]   (see docs/benchmarks.md)");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--server-jar" -> jar = usage.value(args, i++);
                case "--quick" -> quick = true;
                case "--sdk-dir" -> sdkDir = Path.of(usage.value(args, i++));
                case "--server-java-opts" -> javaOpts.addAll(List.of(usage.value(args, i++).trim().split("\\s+")));
                case "-h", "--help" -> usage.exit(null);
                default -> usage.exit("unknown argument " + args[i]);
            }
        }
        if (jar == null) usage.exit("--server-jar is required");
        try (BenchDaemon daemon = BenchDaemon.start(jar, javaOpts,
                Map.of("SANDKASTEN_WARM_POOL_SIZE", Integer.toString(POOL)))) {
            Bench b = new Bench(daemon, sdkDir);
            b.run(quick);
            boolean aot = javaOpts.stream().anyMatch(o -> o.startsWith("-XX:AOTCache="));
            System.out.printf("%-40s %8.0f ms  (JVM launch to first /healthz answer; %s)%n", "daemon start",
                    daemon.startMillis,
                    aot ? "with the AOT cache" : "without an AOT cache; with JDK 25 this run writes one for the next");
        }
    }

    /** The bench daemon's warm pool: enough for a round of back-to-back creates. */
    private static final int POOL = 12;

    private void run(boolean quick) throws Exception {
        System.out.printf("machine: %d cores, %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"), Runtime.version());
        Baselines baselines = Baselines.measure(quick);
        baselines.print();
        int creates = quick ? 20 : 100;
        int execs = quick ? 200 : 1000;

        String warm = createSession();
        for (int i = 0; i < 50; i++) exec(warm, "true");

        // Through the bare client, like the round trips below: the figures are the daemon's.
        byte[] coldBody = JSON.writeValueAsBytes(Map.of("env", Map.of("BENCH", "cold")));
        byte[] plainBody = JSON.writeValueAsBytes(Map.of());
        List<Double> create = new ArrayList<>();
        List<Double> pooled = new ArrayList<>();
        try (RawHttpClient raw = daemon.client()) {
            // Cold: a request the warm pool cannot serve (an env of its own) starts its sandbox.
            for (int i = 0; i < creates; i++) {
                long t = System.nanoTime();
                String s = JSON.readTree(raw.call("POST", "/v1/sessions", coldBody)).get("id").asText();
                create.add((System.nanoTime() - t) / 1e6);
                raw.call("DELETE", "/v1/sessions/" + s, null);
            }
            // Warm: a plain request takes a pooled sandbox. Rounds of back-to-back creates (the
            // pool holds POOL), a pause for it to refill, and the sessions deleted between rounds.
            for (int round = 0; round < (quick ? 2 : 5); round++) {
                Thread.sleep(3000);
                List<String> made = new ArrayList<>();
                for (int i = 0; i < POOL - 2; i++) {
                    long t = System.nanoTime();
                    made.add(JSON.readTree(raw.call("POST", "/v1/sessions", plainBody)).get("id").asText());
                    pooled.add((System.nanoTime() - t) / 1e6);
                }
                for (String s : made) raw.call("DELETE", "/v1/sessions/" + s, null);
            }
        }
        Percentiles cold = Percentiles.of(create);
        Percentiles.print("session create (cold)", cold);
        System.out.printf("%-40s %8.1f x a bash -c true spawn (p50)%n", "", cold.p50() / baselines.bashSpawn().p50());
        Percentiles.print("session create (warm pool)", Percentiles.of(pooled));

        byte[] trueBody = JSON.writeValueAsBytes(Map.of("cmd", "true"));
        try (RawHttpClient raw = daemon.client()) {
            for (int i = 0; i < 200; i++) raw.call("POST", "/v1/sessions/" + warm + "/exec", trueBody);
            List<Double> rtt = new ArrayList<>();
            for (int i = 0; i < execs; i++) {
                long t = System.nanoTime();
                raw.call("POST", "/v1/sessions/" + warm + "/exec", trueBody);
                rtt.add((System.nanoTime() - t) / 1e6);
            }
            Percentiles round = Percentiles.of(rtt);
            Percentiles.print("exec round trip (true)", round);
            System.out.printf("%-40s %8.1f x a loopback HTTP round trip, %.2f x a bash -c true spawn (p50)%n", "",
                    round.p50() / baselines.loopbackRtt().p50(), round.p50() / baselines.bashSpawn().p50());
        }
        List<Double> rttJdk = new ArrayList<>();
        for (int i = 0; i < execs; i++) {
            long t = System.nanoTime();
            exec(warm, "true");
            rttJdk.add((System.nanoTime() - t) / 1e6);
        }
        Percentiles.print("  same, via java.net.http", Percentiles.of(rttJdk));

        Percentiles.print("first chunk (write to receipt)", Percentiles.of(firstChunkLatencies(warm, quick ? 100 : 300)));

        long gib = 1L << 30;
        long streamBytes = quick ? gib : 2 * gib;
        // The streaming path is compiled by the JIT during its first gigabyte or so; a long-running
        // daemon is past that, so the figure is taken after one unmeasured stream.
        streamSeconds(warm, "head -c " + gib + " /dev/zero | tr '\\0' a", gib);
        JsonNode raw = exec(warm, "s=$EPOCHREALTIME; head -c " + streamBytes
                + " /dev/zero | tr '\\0' a | cat > /dev/null; e=$EPOCHREALTIME; echo $s $e");
        String[] se = raw.get("stdout").asText().trim().split(" ");
        double rawSeconds = Double.parseDouble(se[1]) - Double.parseDouble(se[0]);
        double rawRate = streamBytes / rawSeconds / 1e6;
        double streamRate = streamBytes / streamSeconds(warm, "head -c " + streamBytes + " /dev/zero | tr '\\0' a",
                streamBytes) / 1e6;
        System.out.printf("%-40s %8.0f MB/s  (raw pipe in the same sandbox: %.0f MB/s, ratio %.2f; on the host: "
                + "ratio %.2f)%n", "streaming throughput (SSE)", streamRate, rawRate, streamRate / rawRate,
                streamRate / baselines.rawPipeMBps());
        SdkBench.run(base, KEY, quick ? gib / 2 : 2 * gib);
        if (sdkDir != null) ExternalSdkBench.run(sdkDir, base, KEY, quick ? gib / 2 : gib);

        long rssBytes = quick ? 2 * gib : 10L * 1_000_000_000L;
        long baseline = daemon.rssBytes();
        AtomicLong peak = new AtomicLong(baseline);
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                try {
                    peak.accumulateAndGet(daemon.rssBytes(), Math::max);
                    Thread.sleep(100);
                } catch (Exception e) {
                    return;
                }
            }
        });
        double secs = streamSeconds(warm, "head -c " + rssBytes + " /dev/zero | tr '\\0' a", rssBytes);
        done.set(true);
        sampler.join();
        System.out.printf("%-40s baseline %d MB, peak %d MB, growth %d MB while streaming %.1f GB (%.0f MB/s)%n",
                "daemon RSS", baseline >> 20, peak.get() >> 20, (peak.get() - baseline) >> 20, rssBytes / 1e9,
                rssBytes / secs / 1e6);
        delete(warm);
    }

    /** Latency of each line from {@code echo $EPOCHREALTIME} inside the sandbox to its receipt here. */
    private List<Double> firstChunkLatencies(String session, int samples) throws Exception {
        List<Double> out = new ArrayList<>();
        HttpResponse<InputStream> r = http.send(streamRequest(session,
                "for i in $(seq " + samples + "); do echo $EPOCHREALTIME; sleep 0.01; done"),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data:")) continue;
                Instant now = Instant.now();
                double receivedMicros = now.getEpochSecond() * 1e6 + now.getNano() / 1e3;
                JsonNode n = JSON.readTree(line.substring(5));
                if (!n.has("chunk")) continue;
                for (String t : n.get("chunk").asText().split("\n")) {
                    if (t.isBlank()) continue;
                    String[] p = t.trim().split("\\.");
                    double written = Long.parseLong(p[0]) * 1e6 + Long.parseLong(p[1]);
                    out.add((receivedMicros - written) / 1e3);
                }
            }
        }
        return out;
    }

    /** Streams a command and returns seconds from request to the done event, checking the byte count. */
    private double streamSeconds(String session, String cmd, long expectedBytes) throws Exception {
        byte[] body = JSON.writeValueAsBytes(Map.of("cmd", cmd, "timeout_ms", 600_000));
        long[] total = {0};
        byte[] tail = new byte[512];
        int[] tailLen = {0};
        long t = System.nanoTime();
        try (RawHttpClient raw = daemon.client()) {
            int code = raw.send("POST", "/v1/sessions/" + session + "/exec/stream", body, (buf, off, len) -> {
                total[0] += len;
                // Keep the last bytes seen, to check that the stream ended with its done event.
                int keep = Math.min(len, tail.length);
                int shift = Math.min(tailLen[0], tail.length - keep);
                System.arraycopy(tail, tailLen[0] - shift, tail, 0, shift);
                System.arraycopy(buf, off + len - keep, tail, shift, keep);
                tailLen[0] = shift + keep;
            });
            if (code != 200) throw new IllegalStateException("stream answered " + code);
        }
        double secs = (System.nanoTime() - t) / 1e9;
        String end = new String(tail, 0, tailLen[0], StandardCharsets.UTF_8);
        if (!end.matches("(?s).*event: ?done.*") || total[0] < expectedBytes) {
            throw new IllegalStateException("stream did not complete: " + total[0] + " bytes, ends with " + end);
        }
        return secs;
    }

    private HttpRequest streamRequest(String session, String cmd) throws IOException {
        return HttpRequest.newBuilder(URI.create(base + "/v1/sessions/" + session + "/exec/stream"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
                        Map.of("cmd", cmd, "timeout_ms", 600_000)))).build();
    }

    private JsonNode call(String method, String path, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(10))
                .header("Authorization", "Bearer " + KEY);
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + " " + r.body());
        return JSON.readTree(r.body());
    }

    private String createSession() throws Exception {
        return call("POST", "/v1/sessions", Map.of()).get("id").asText();
    }

    private void delete(String session) throws Exception {
        call("DELETE", "/v1/sessions/" + session, null);
    }

    private JsonNode exec(String session, String cmd) throws Exception {
        return call("POST", "/v1/sessions/" + session + "/exec", Map.of("cmd", cmd, "timeout_ms", 600_000));
    }
}
