package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.client.SessionGoneException;
import dev.sandkasten.daemon.Daemon;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A daemon killed with SIGKILL (no clean-up at all) and started again on the same data
 * directory: its sessions are reported lost (410 on use, status lost on lookup), and nothing of
 * them is left running. The first daemon runs as its own process so that it can really be killed.
 */
class RestartIT {
    private static final String KEY = "restart-key-0123456789abcdef";

    @Test
    void sessionsOfAKilledDaemonAreReportedLostAfterARestart() throws Exception {
        Path data = Files.createTempDirectory("sandkasten-it-restart-");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.sandkasten.Main",
                "serve", "--listen", "127.0.0.1:" + port, "--data-dir", data.toString());
        pb.environment().put("SANDKASTEN_API_KEY", KEY);
        pb.redirectErrorStream(true).redirectOutput(data.resolve("first-daemon.log").toFile());
        Process first = pb.start();
        String sessionId;
        List<ProcessHandle> sandboxProcesses;
        try {
            awaitHealthy(port);
            try (SandboxClient c = SandboxClient.builder().baseUrl("http://127.0.0.1:" + port).apiKey(KEY).build()) {
                Session s = c.createSession();
                sessionId = s.id();
                assertThat(Sdk.run(s, "echo x > f; sleep 300 & echo started")).isEqualTo("started\n");
            }
            // Handles, not pids: a handle remembers its process's start time, so a pid reused
            // meanwhile (pid_max is small on some hosts) is not mistaken for a survivor.
            sandboxProcesses = first.descendants().toList();
            assertThat(sandboxProcesses).isNotEmpty();
        } finally {
            first.destroyForcibly(); // SIGKILL: no shutdown hook runs
            first.waitFor();
        }

        try (Daemon second = TestDaemon.start(Map.of("data_dir", data.toString()));
                SandboxClient c = TestDaemon.sdk(second)) {
            assertThat(c.getSession(sessionId).info().status().toString()).isEqualToIgnoringCase("lost");
            assertThatThrownBy(() -> c.getSession(sessionId).exec("true")).isInstanceOf(SessionGoneException.class);
            // The killed run's session directory and control directory (on a tmpfs, the same place
            // for the same data directory) are cleared; what is there now is the new run's warm pool.
            assertThat(data.resolve("sessions").resolve(sessionId)).doesNotExist();
            // Its disk volume, still mounted, is used as it is; the session's subvolume is gone.
            assertThat(data.resolve("volume/sessions").resolve(sessionId)).doesNotExist();
            String volume = " " + data.resolve("volume").toAbsolutePath() + " ";
            assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(volume))).hasSize(1);
            assertThat(second.controlRoot().resolve(sessionId)).doesNotExist();
            // bubblewrap's --die-with-parent and the cgroup clean-up leave nothing of the old sandbox.
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                for (ProcessHandle p : sandboxProcesses) assertThat(running(p)).as("pid " + p.pid()).isFalse();
            });
        }
    }

    /**
     * Alive and not a zombie: orphans of the killed daemon are reaped by the host's init, which
     * may take its time, and a zombie is already dead.
     */
    private static boolean running(ProcessHandle p) {
        if (!p.isAlive()) return false;
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitHealthy(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 300; i++) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("daemon did not become healthy");
    }
}
