package dev.sandkasten.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What this machine does without Sandkasten, measured in the same run as the figures they are set
 * against, so a ratio stays meaningful on a noisy or differently sized host: an HTTP round trip
 * over loopback to a trivial server in this JVM (through the same bare client the daemon is
 * measured with), a {@code bash -c true} spawn on the host, and a raw pipe's throughput on the
 * host ({@code head | tr | cat}, no sandbox, no cgroup limit).
 */
record Baselines(Percentiles loopbackRtt, Percentiles bashSpawn, double rawPipeMBps) {

    static Baselines measure(boolean quick) throws Exception {
        Percentiles rtt = loopbackRoundTrip(quick ? 500 : 2000);
        Percentiles spawn = bashSpawn(quick ? 200 : 1000);
        double pipe = rawPipe(quick ? 1L << 30 : 2L << 30);
        return new Baselines(rtt, spawn, pipe);
    }

    void print() {
        Percentiles.print("baseline: loopback HTTP round trip", loopbackRtt);
        Percentiles.print("baseline: bash -c true spawn", bashSpawn);
        System.out.printf("%-40s %8.0f MB/s%n", "baseline: raw pipe on the host", rawPipeMBps);
    }

    /** A keep-alive server answering every request with a two-byte body, and the bare client. */
    private static Percentiles loopbackRoundTrip(int n) throws Exception {
        byte[] answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
                .getBytes(StandardCharsets.US_ASCII);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread serving = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    s.setTcpNoDelay(true);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    // A request without a body ends at its blank line.
                    int state = 0;
                    for (int c; (c = in.read()) >= 0; ) {
                        state = c == '\n' ? state + 1 : c == '\r' ? state : 0;
                        if (state == 2) {
                            out.write(answer);
                            out.flush();
                            state = 0;
                        }
                    }
                } catch (IOException e) {
                    // the client closed: the measurement is over
                }
            });
            List<Double> ms = new ArrayList<>();
            try (RawHttpClient client = new RawHttpClient("127.0.0.1", server.getLocalPort(), "none")) {
                for (int i = 0; i < n / 5; i++) client.call("GET", "/", null);
                for (int i = 0; i < n; i++) {
                    long t = System.nanoTime();
                    client.call("GET", "/", null);
                    ms.add((System.nanoTime() - t) / 1e6);
                }
            }
            serving.join(5000);
            return Percentiles.of(ms);
        }
    }

    /** Bash times each spawn itself, so the JVM's own process machinery is not in the figure. */
    private static Percentiles bashSpawn(int n) throws Exception {
        String script = "for ((i=0; i<" + n + "; i++)); do s=$EPOCHREALTIME; bash -c true; e=$EPOCHREALTIME; "
                + "echo $s $e; done";
        List<Double> ms = new ArrayList<>();
        for (String line : host(script).split("\n")) {
            String[] se = line.trim().split(" ");
            ms.add((Double.parseDouble(se[1]) - Double.parseDouble(se[0])) * 1000);
        }
        return Percentiles.of(ms);
    }

    private static double rawPipe(long bytes) throws Exception {
        String[] se = host("s=$EPOCHREALTIME; head -c " + bytes + " /dev/zero | tr '\\0' a | cat > /dev/null; "
                + "echo $s $EPOCHREALTIME").trim().split(" ");
        return bytes / (Double.parseDouble(se[1]) - Double.parseDouble(se[0])) / 1e6;
    }

    private static String host(String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("bash failed: " + out);
        return out;
    }
}
