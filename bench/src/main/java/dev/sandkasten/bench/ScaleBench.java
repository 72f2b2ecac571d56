package dev.sandkasten.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load generator for scale and fairness ({@code ./sandkasten bench --scale}). Against a
 * daemon of its own it measures, in order:
 *
 * <ol>
 *   <li>the baselines of this run ({@link Baselines});
 *   <li>fairness: four sessions stream output as fast as they can while a fifth writes one line a
 *       second (for 300 s by default); the fifth's latency from write to receipt, and each
 *       flooder's share;
 *   <li>{@code N} live sessions at once (default 1,000): create latency under four concurrent
 *       clients, then host memory per idle session, the sandboxes' own share of it (PSS), and the
 *       daemon's RSS, heap and threads; the round trip of the first command in each session;
 *   <li>{@code N} concurrent streaming execs, one per session, each writing a numbered line every
 *       100 ms (after an unmeasured warm-up, {@link #warmUp}): every line's latency from the
 *       program's write to the client's receipt, the time from each request to its first line,
 *       and a check that no line is lost, duplicated or reordered.
 * </ol>
 *
 * Clients are {@link RawHttpClient}s, one connection each (platform threads for fairness, so
 * this JVM's own scheduling cannot delay the quiet reader), except the concurrent streams, which
 * one selector thread reads ({@link StreamLoad}).
 */
public final class ScaleBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Four clients: about what two cores can serve creates to without only queueing. */
    private static final int CREATORS = 4;
    /** Over how long the concurrent streams start (100 a second at the default 1,000), at most a sixth of their run. */
    private static final long RAMP_MILLIS = 10_000;

    private final BenchDaemon daemon;
    private final Path jcmd;
    /**
     * The perl expression that sets {@code ($s, $u)} to the wall clock's seconds and microseconds
     * in the sandbox, or null if the sandboxes' perl cannot (see {@link #lineWriter}).
     */
    private final String perlClock;

    private ScaleBench(BenchDaemon daemon, Path jcmd) throws Exception {
        this.daemon = daemon;
        this.jcmd = jcmd;
        this.perlClock = askPerl();
    }

    /**
     * Finds out whether the sandboxes' perl can read the clock with {@code gettimeofday} called
     * directly: loading Time::HiRes costs ~8 ms of CPU per perl start (9.7 ms in all against 2.1
     * ms, {@code perf stat} on this host), which at 100 starts a second was half of the two cores
     * during the streams' start. Its system call number is the architecture's.
     */
    private String askPerl() throws Exception {
        int gettimeofday = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> 96;
            case "aarch64" -> 169;
            default -> -1;
        };
        if (gettimeofday < 0) return null;
        String clock = "$t = pack(\"qq\"); syscall(" + gettimeofday + ", $t, 0); ($s, $u) = unpack(\"qq\", $t);";
        String session = createSessions(1, new ArrayList<>()).getFirst();
        try (RawHttpClient c = daemon.client()) {
            JsonNode r = JSON.readTree(c.call("POST", "/v1/sessions/" + session + "/exec",
                    JSON.writeValueAsBytes(Map.of("cmd", "perl -e '" + clock + " print \"$s\\n\"' 2>/dev/null"))));
            String out = r.path("stdout").asText().trim();
            boolean plausible = out.matches("[0-9]+")
                    && Math.abs(Long.parseLong(out) - System.currentTimeMillis() / 1000) < 60;
            return plausible ? clock : null;
        } finally {
            deleteAll(List.of(session));
        }
    }

    public static void main(String[] args) throws Exception {
        String jar = null;
        List<String> javaOpts = new ArrayList<>();
        boolean quick = false;
        int sessions = 1000;
        int seconds = 60;
        // 300 lines, so that the p99 is the 3rd-largest latency rather than the largest of 60.
        int fairnessSeconds = 300;
        String only = "";
        Usage usage = new Usage("usage: ./sandkasten bench --scale [--quick] [--only fairness|scale]"
                + " [--sessions N] [--seconds S] [--fairness-seconds S]   (see docs/benchmarks.md)");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--server-jar" -> jar = usage.value(args, i++);
                case "--server-java-opts" -> javaOpts.addAll(List.of(usage.value(args, i++).trim().split("\\s+")));
                case "--quick" -> quick = true;
                case "--sessions" -> sessions = usage.positive(args, i++);
                case "--seconds" -> seconds = usage.positive(args, i++);
                case "--fairness-seconds" -> fairnessSeconds = usage.positive(args, i++);
                case "--only" -> only = usage.value(args, i++);
                case "-h", "--help" -> usage.exit(null);
                default -> usage.exit("unknown argument " + args[i]);
            }
        }
        if (jar == null) usage.exit("--server-jar is required");
        if (!only.isEmpty() && !only.equals("fairness") && !only.equals("scale")) {
            usage.exit("--only takes fairness or scale, not '" + only + "'");
        }
        if (quick) {
            sessions = Math.min(sessions, 100);
            seconds = Math.min(seconds, 10);
            fairnessSeconds = Math.min(fairnessSeconds, 10);
        }
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElse("java")).resolveSibling("jcmd");
        // No warm pool: every session of the figures is one the bench asked for.
        Map<String, String> settings = Map.of("SANDKASTEN_WARM_POOL_SIZE", "0",
                "SANDKASTEN_MAX_SESSIONS", Integer.toString(sessions + 10),
                "SANDKASTEN_SESSION_TTL_SECONDS", "3600");
        System.out.printf("machine: %d cores, %.1f GiB, %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                Procfs.memInfo("MemTotal:") / (double) (1L << 30), System.getProperty("os.name") + " "
                        + System.getProperty("os.version"), Runtime.version());
        Baselines baselines = Baselines.measure(quick);
        baselines.print();
        try (BenchDaemon daemon = BenchDaemon.start(jar, javaOpts, settings)) {
            ScaleBench b = new ScaleBench(daemon, jcmd);
            if (!only.equals("scale")) b.fairness(fairnessSeconds);
            if (!only.equals("fairness")) {
                List<String> ids = b.idleSessions(sessions, baselines);
                b.streams(ids, seconds * 10);
                b.deleteAll(ids);
            }
        }
    }

    // ---- fairness ----------------------------------------------------------------------------

    private void fairness(int seconds) throws Exception {
        List<String> ids = createSessions(5, new ArrayList<>());
        String flood = "head -c 1T /dev/zero | tr '\\0' a";
        long[] flooded = new long[4];
        double[] flooderSeconds = new double[4];
        LineStream slow = new LineStream(ids.get(4), seconds, 1.0);
        OwnGc gcBefore = OwnGc.now();
        // Platform threads: virtual ones are not time-sliced, so in this JVM a flood reader that
        // always finds data would hold a carrier and delay the slow stream's reader.
        try (ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().factory())) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int n = i;
                all.add(threads.submit(() -> {
                    // The command's timeout ends the flood a little after the slow stream's last line.
                    byte[] body = JSON.writeValueAsBytes(Map.of("cmd", flood, "timeout_ms", (seconds + 2) * 1000));
                    long t = System.nanoTime();
                    try (RawHttpClient c = daemon.client()) {
                        c.send("POST", "/v1/sessions/" + ids.get(n) + "/exec/stream", body,
                                (buf, off, len) -> flooded[n] += len);
                    }
                    flooderSeconds[n] = (System.nanoTime() - t) / 1e9;
                    return null;
                }));
            }
            Thread.sleep(500); // the floods are at full speed before the first measured line
            all.add(threads.submit(() -> {
                slow.run();
                return null;
            }));
            for (Future<?> f : all) f.get();
        }
        double sum = 0, squares = 0;
        StringBuilder shares = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            double rate = flooded[i] / flooderSeconds[i] / 1e6;
            sum += rate;
            squares += rate * rate;
            shares.append(i == 0 ? "" : " / ").append(Math.round(rate));
        }
        slow.check();
        Percentiles.print("fairness: 1 line/s beside 4 floods", slow.latencies());
        System.out.printf("%-40s %s MB/s of SSE each, %.0f in all; Jain's index %.3f (1 = equal shares)%n",
                "fairness: the 4 floods", shares, sum, sum * sum / (4 * squares));
        System.out.printf("%-40s the load generator's own GC: %s%n", "", OwnGc.now().since(gcBefore));
        deleteAll(ids);
    }

    // ---- idle sessions -----------------------------------------------------------------------

    private List<String> idleSessions(int n, Baselines baselines) throws Exception {
        long memBefore = Procfs.memInfo("MemAvailable:");
        long rssBefore = daemon.rssBytes();
        List<Double> createMs = new ArrayList<>();
        long t = System.nanoTime();
        List<String> ids = createSessions(n, createMs);
        double secs = (System.nanoTime() - t) / 1e9;
        Percentiles create = Percentiles.of(createMs);
        Percentiles.print("create, " + CREATORS + " clients at once", create);
        System.out.printf("%-40s %8.0f sessions/s (%d live); p50 %.1f x a bash -c true spawn%n", "", n / secs, n,
                create.p50() / baselines.bashSpawn().p50());
        Thread.sleep(3000); // let the last shells settle and the page cache catch up
        long hostPerSession = (memBefore - Procfs.memInfo("MemAvailable:")) / n;
        long pss = sandboxPss() / n;
        long rss = daemon.rssBytes();
        System.out.printf("%-40s %8.2f MiB per session (host MemAvailable drop / %d)%n", "idle sessions: host memory",
                hostPerSession / 1048576.0, n);
        System.out.printf("%-40s %8.2f MiB per session (PSS of the sandboxes' processes)%n", "", pss / 1048576.0);
        System.out.printf("%-40s %8.2f MiB per session (daemon RSS %d -> %d MiB, heap used %d MiB, %d threads)%n", "",
                (rss - rssBefore) / (double) n / 1048576.0, rssBefore >> 20, rss >> 20, heapUsedBytes() >> 20,
                daemon.threads());

        byte[] trueBody = JSON.writeValueAsBytes(Map.of("cmd", "true"));
        List<Double> rtt = new ArrayList<>();
        try (RawHttpClient c = daemon.client()) {
            // The first command of each session: what a fresh session costs beyond its create.
            int count = Math.min(n, 600);
            for (int i = 0; i < count; i++) {
                long s = System.nanoTime();
                c.call("POST", "/v1/sessions/" + ids.get(i) + "/exec", trueBody);
                if (i >= count / 6) rtt.add((System.nanoTime() - s) / 1e6);
            }
        }
        Percentiles round = Percentiles.of(rtt);
        Percentiles.print("exec round trip, 1st in each session", round);
        System.out.printf("%-40s %8.1f x a loopback HTTP round trip (p50)%n", "",
                round.p50() / baselines.loopbackRtt().p50());
        return ids;
    }

    // ---- concurrent streams ------------------------------------------------------------------

    /**
     * Runs the streams' code paths before they are measured: a fifth of the sessions (at most
     * 200) stream 50 lines each. A daemon that has served streams before has them compiled; a
     * fresh one spent a tenth of both cores in the JIT compiler during the measured starts.
     */
    private void warmUp(List<String> ids) throws Exception {
        List<StreamLoad.Request> requests = new ArrayList<>();
        for (String id : ids.subList(0, Math.min(200, Math.max(1, ids.size() / 5)))) {
            requests.add(new LineStream(id, 50, 0.1).request());
        }
        StreamLoad.run(daemon.port, requests, 2000);
    }

    private void streams(List<String> ids, int lines) throws Exception {
        warmUp(ids);
        List<LineStream> streams = new ArrayList<>();
        for (String id : ids) streams.add(new LineStream(id, lines, 0.1));
        double cpuBefore = daemon.cpuSeconds();
        OwnGc gcBefore = OwnGc.now();
        long t = System.nanoTime();
        long[] peakRss = {0};
        long[] peakThreads = {0};
        long[] midHeap = {0};
        String steady;
        List<StreamLoad.Request> requests = new ArrayList<>();
        for (LineStream s : streams) requests.add(s.request());
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            // Starts spread over the ramp, as independent clients would arrive; one selector
            // thread reads every stream.
            Future<?> load = threads.submit(() -> {
                StreamLoad.run(daemon.port, requests, Math.min(RAMP_MILLIS, lines * 100L / 6));
                return null;
            });
            CpuUse[] cpuWindow = new CpuUse[2];
            Future<?> sampler = threads.submit(() -> {
                long begin = System.nanoTime();
                long end = begin + lines * 100_000_000L;
                while (System.nanoTime() < end) {
                    // The steady state: after every stream has started, before the first ends.
                    if (lines >= 200 && cpuWindow[0] == null && System.nanoTime() > begin + 5_000_000_000L) {
                        cpuWindow[0] = cpuUse();
                    }
                    if (cpuWindow[0] != null && cpuWindow[1] == null && System.nanoTime() > end - 5_000_000_000L) {
                        cpuWindow[1] = cpuUse();
                    }
                    peakRss[0] = Math.max(peakRss[0], daemon.rssBytes());
                    peakThreads[0] = Math.max(peakThreads[0], daemon.threads());
                    if (midHeap[0] == 0 && System.nanoTime() > end - lines * 50_000_000L) midHeap[0] = heapUsedBytes();
                    Thread.sleep(500);
                }
                return null;
            });
            load.get();
            sampler.cancel(true);
            steady = cpuWindow[1] != null ? cpuWindow[1].since(cpuWindow[0]) : "(too short to tell)";
        }
        double secs = (System.nanoTime() - t) / 1e9;
        double cpu = daemon.cpuSeconds() - cpuBefore;
        int lost = 0, duplicated = 0, unfinished = 0;
        int samples = 0;
        for (LineStream s : streams) samples += s.received;
        double[] all = new double[samples];
        int k = 0;
        for (LineStream s : streams) {
            lost += s.lost();
            duplicated += s.outOfOrder;
            if (!s.finished) unfinished++;
            System.arraycopy(s.latencyMs, 0, all, k, s.received);
            k += s.received;
        }
        Percentiles.print(ids.size() + " streams, a line per 100 ms each", Percentiles.of(all, samples));
        double[] firstLine = streams.stream().mapToDouble(s -> s.firstLineMs).filter(ms -> ms >= 0).toArray();
        Percentiles.print("  request sent to first line received", Percentiles.of(firstLine, firstLine.length));
        steadyState(streams);
        timeline(streams, 10);
        System.out.printf("%-40s %d lines in %.0f s; lost %d, duplicated or out of order %d, streams not ended "
                + "by done/0: %d%n", "", samples, secs, lost, duplicated, unfinished);
        System.out.printf("%-40s daemon CPU %.0f%% of one core, RSS peak %d MiB, heap used %d MiB, threads peak %d%n",
                "", cpu / secs * 100, peakRss[0] >> 20, midHeap[0] >> 20, peakThreads[0]);
        System.out.printf("%-40s CPU in the steady state: %s%n", "", steady);
        System.out.printf("%-40s the lines' writer: %s%n", "", perlClock != null ? "perl (gettimeofday)" : "bash loop");
        System.out.printf("%-40s the load generator's own GC: %s%n", "", OwnGc.now().since(gcBefore));
    }

    /**
     * The program that writes {@code count} numbered, timestamped lines {@code period} seconds
     * apart. Perl where the sandbox has it (asked at start): it costs a third less CPU per line
     * than the bash loop, which counts when a thousand of them share two cores with the daemon.
     * The bash loop waits with its own {@code read -t} on a FIFO it holds open, so it does not
     * fork a {@code sleep} per line either.
     */
    private String lineWriter(int count, double period) {
        if (perlClock != null) {
            return "perl -e '$|=1; for $i (1.." + count + ") { " + perlClock + " printf \"%d %d.%06d\\n\", $i, $s, $u; "
                    + "select(undef, undef, undef, " + period + ") }'";
        }
        return "f=$(mktemp -u); mkfifo $f; exec 3<>$f; rm $f; for ((i=1; i<=" + count + "; i++)); do "
                + "echo \"$i $EPOCHREALTIME\"; read -t " + period + " -u 3; done; exec 3<&-";
    }

    /** The latencies of the lines written while every stream ran: after the last start, before the first end. */
    private static void steadyState(List<LineStream> streams) {
        double from = 0, to = Double.MAX_VALUE;
        for (LineStream s : streams) {
            if (s.received == 0) return;
            from = Math.max(from, s.writtenAt[0]);
            to = Math.min(to, s.writtenAt[s.received - 1]);
        }
        List<Double> ms = new ArrayList<>();
        for (LineStream s : streams) {
            for (int i = 0; i < s.received; i++) if (s.writtenAt[i] > from && s.writtenAt[i] < to) ms.add(s.latencyMs[i]);
        }
        if (!ms.isEmpty()) Percentiles.print(String.format("  all %d running (%.0f s)", streams.size(), to - from), Percentiles.of(ms));
    }

    /** The latencies by when the line was written, in windows of {@code seconds}: where the tail comes from. */
    private static void timeline(List<LineStream> streams, int seconds) {
        double start = Double.MAX_VALUE;
        for (LineStream s : streams) if (s.received > 0) start = Math.min(start, s.writtenAt[0]);
        Map<Integer, List<Double>> windows = new java.util.TreeMap<>();
        for (LineStream s : streams) {
            for (int i = 0; i < s.received; i++) {
                windows.computeIfAbsent((int) ((s.writtenAt[i] - start) / seconds), w -> new ArrayList<>()).add(s.latencyMs[i]);
            }
        }
        for (Map.Entry<Integer, List<Double>> w : windows.entrySet()) {
            int from = w.getKey() * seconds;
            Percentiles.print("  lines written in " + from + "-" + (from + seconds) + " s", Percentiles.of(w.getValue()));
        }
    }

    /**
     * One streaming exec whose program ({@link #lineWriter}) writes {@code count} lines,
     * {@code "<n> <epoch seconds>"}, one per {@code period} seconds, and the check of what arrives:
     * each line's latency, and whether the numbers came exactly once and in order.
     */
    private final class LineStream {
        private final String session;
        private final int count;
        private final double period;
        final double[] latencyMs;
        /** When each received line was written, in seconds of the epoch. */
        final double[] writtenAt;
        int received;
        int outOfOrder;
        boolean finished;
        /** When {@link StreamLoad} sent the request (epoch microseconds), and from then to the first line's receipt. */
        double sentMicros;
        double firstLineMs = -1;
        private int next = 1;
        private final StringBuilder partial = new StringBuilder();

        LineStream(String session, int count, double period) {
            this.session = session;
            this.count = count;
            this.period = period;
            this.latencyMs = new double[count];
            this.writtenAt = new double[count];
        }

        /** Streams on a connection of its own, on this thread. */
        void run() throws IOException {
            try (RawHttpClient c = daemon.client()) {
                int code = c.send("POST", path(), body(), new SseEvents(this::onEvent));
                if (code != 200) throw new IOException("stream answered " + code);
            }
        }

        /** The same request, for {@link StreamLoad}. */
        StreamLoad.Request request() throws IOException {
            return new StreamLoad.Request(RawHttpClient.request("POST", "127.0.0.1:" + daemon.port, BenchDaemon.KEY,
                    path(), body()), () -> sentMicros = nowMicros(), new SseEvents(this::onEvent));
        }

        private String path() {
            return "/v1/sessions/" + session + "/exec/stream";
        }

        private byte[] body() throws IOException {
            return JSON.writeValueAsBytes(Map.of("cmd", lineWriter(count, period),
                    "timeout_ms", (long) (count * period * 1000) + 120_000));
        }

        private static double nowMicros() {
            Instant now = Instant.now();
            return now.getEpochSecond() * 1e6 + now.getNano() / 1e3;
        }

        private void onEvent(String event, String data) {
            double receivedMicros = nowMicros();
            try {
                String prefix = "{\"chunk\":\"";
                if (event.equals("chunk") && data.startsWith(prefix)) {
                    // The writer's lines hold digits, a space and a dot: the only escape is \n. Cheaper
                    // than a JSON parse, and the load generator shares the cores with the daemon.
                    partial.append(data, prefix.length(), data.indexOf('"', prefix.length()));
                    int esc;
                    while ((esc = partial.indexOf("\\n")) >= 0) partial.replace(esc, esc + 2, "\n");
                } else {
                    JsonNode n = JSON.readTree(data);
                    if (event.equals("done")) finished = n.path("exit_code").asInt(-1) == 0;
                    if (!event.equals("chunk")) return;
                    partial.append(n.get("chunk").asText());
                }
                int nl;
                while ((nl = partial.indexOf("\n")) >= 0) {
                    String[] f = partial.substring(0, nl).trim().split(" ");
                    partial.delete(0, nl + 1);
                    int seq = Integer.parseInt(f[0]);
                    if (seq < next) outOfOrder++; // a gap shows in lost()
                    next = Math.max(next, seq + 1);
                    String[] sec = f[1].split("\\.");
                    double written = Long.parseLong(sec[0]) * 1e6 + Long.parseLong(sec[1]);
                    if (received == 0 && sentMicros > 0) firstLineMs = (receivedMicros - sentMicros) / 1e3;
                    if (received < latencyMs.length) {
                        writtenAt[received] = written / 1e6;
                        latencyMs[received++] = (receivedMicros - written) / 1e3;
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("bad event data: " + data, e);
            }
        }

        int lost() {
            return count - received;
        }

        void check() {
            if (lost() != 0 || outOfOrder != 0 || !finished) {
                throw new IllegalStateException("stream of " + session + ": lost " + lost() + ", out of order "
                        + outOfOrder + ", finished " + finished);
            }
        }

        Percentiles latencies() {
            return Percentiles.of(latencyMs.clone(), received);
        }
    }

    /** Splits a Server-Sent Events body into (event, data) pairs, across reads of any size. */
    private static final class SseEvents implements RawHttpClient.BodySink {
        interface Handler {
            void accept(String event, String data);
        }

        private final Handler handler;
        private final StringBuilder line = new StringBuilder();
        private String event = "message";
        private String data = "";

        SseEvents(Handler handler) {
            this.handler = handler;
        }

        @Override
        public void accept(byte[] buf, int off, int len) {
            // The daemon's field names and values are ASCII except inside data, which is JSON with
            // \\u escapes for anything else, so one byte is one char here.
            for (int i = off; i < off + len; i++) {
                char c = (char) (buf[i] & 0xFF);
                if (c != '\n') {
                    line.append(c);
                    continue;
                }
                if (line.isEmpty()) {
                    if (!data.isEmpty()) handler.accept(event, data);
                    event = "message";
                    data = "";
                } else if (line.indexOf("event:") == 0) {
                    event = line.substring(6).trim();
                } else if (line.indexOf("data:") == 0) {
                    data = line.substring(5).trim();
                }
                line.setLength(0);
            }
        }
    }

    // ---- sessions and measurements -------------------------------------------------------------

    /** Creates {@code n} sessions from {@link #CREATORS} clients at once, each create's latency into {@code ms}. */
    private List<String> createSessions(int n, List<Double> ms) throws Exception {
        byte[] body = JSON.writeValueAsBytes(Map.of());
        ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Double> times = new ConcurrentLinkedQueue<>();
        AtomicInteger left = new AtomicInteger(n);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < Math.min(CREATORS, n); c++) {
                all.add(threads.submit(() -> {
                    try (RawHttpClient client = daemon.client()) {
                        while (left.getAndDecrement() > 0) {
                            long t = System.nanoTime();
                            ids.add(JSON.readTree(client.call("POST", "/v1/sessions", body)).get("id").asText());
                            times.add((System.nanoTime() - t) / 1e6);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) f.get();
        }
        ms.addAll(times);
        return new ArrayList<>(ids);
    }

    private void deleteAll(List<String> ids) throws Exception {
        ConcurrentLinkedQueue<String> left = new ConcurrentLinkedQueue<>(ids);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < CREATORS; c++) {
                all.add(threads.submit(() -> {
                    try (RawHttpClient client = daemon.client()) {
                        for (String id; (id = left.poll()) != null; ) client.call("DELETE", "/v1/sessions/" + id, null);
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) f.get();
        }
    }

    /** The proportional set size of every process below the daemon: the sandboxes' own memory. */
    private long sandboxPss() throws IOException {
        long kib = 0;
        for (long pid : descendants()) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
                    if (line.startsWith("Pss:")) kib += Long.parseLong(line.replaceAll("\\D", ""));
                }
            } catch (IOException e) {
                // ended meanwhile
            }
        }
        return kib * 1024;
    }

    /** Every process below the daemon: the sandboxes and their helpers. */
    private Set<Long> descendants() throws IOException {
        Map<Long, List<Long>> children = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    long pid = Long.parseLong(p.getFileName().toString());
                    long ppid = Long.parseLong(Procfs.statFields(pid)[1]);
                    children.computeIfAbsent(ppid, x -> new ArrayList<>()).add(pid);
                } catch (IOException | RuntimeException e) {
                    // the process ended while we looked
                }
            }
        }
        Set<Long> below = new HashSet<>();
        List<Long> todo = new ArrayList<>(children.getOrDefault(daemon.pid(), List.of()));
        while (!todo.isEmpty()) {
            long pid = todo.removeLast();
            if (below.add(pid)) todo.addAll(children.getOrDefault(pid, List.of()));
        }
        return below;
    }

    /** Where the CPU goes: the host in all, the daemon, this load generator, and the sandboxes. */
    private record CpuUse(double host, double daemon, double generator, double sandboxes, long at) {
        String since(CpuUse before) {
            double secs = (at - before.at) / 1e9;
            return String.format("host %.0f%%, daemon %.0f%%, sandboxes %.0f%%, load generator %.0f%% (of one core)",
                    (host - before.host) / secs * 100, (daemon - before.daemon) / secs * 100,
                    (sandboxes - before.sandboxes) / secs * 100, (generator - before.generator) / secs * 100);
        }
    }

    private CpuUse cpuUse() throws IOException {
        // The first line of /proc/stat: user nice system idle iowait irq softirq steal, in ticks.
        String[] cpu = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
        long busy = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) busy += Long.parseLong(cpu[i]);
        double sandboxes = 0;
        for (long pid : descendants()) {
            try {
                sandboxes += Procfs.cpuSeconds(pid);
            } catch (IOException | RuntimeException e) {
                // ended meanwhile
            }
        }
        return new CpuUse(busy / 100.0, daemon.cpuSeconds(), Procfs.cpuSeconds(ProcessHandle.current().pid()), sandboxes,
                System.nanoTime());
    }

    private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");

    /** The daemon's used heap, as {@code jcmd GC.heap_info} reports it (0 if jcmd is not at hand). */
    private long heapUsedBytes() {
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(daemon.pid()), "GC.heap_info")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            long kib = 0;
            for (String line : out.split("\n")) {
                Matcher m = HEAP_USED.matcher(line);
                if (m.find()) kib += Long.parseLong(m.group(1));
            }
            return kib * 1024;
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
