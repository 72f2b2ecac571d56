package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sandkasten.daemon.Daemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Leases, the reaper, and sandboxes that die under a session. */
class LifecycleIT {

    @Test
    void expiredSessionsAreReaped() {
        try (Daemon d = TestDaemon.start(Map.of("reaper_interval_ms", "100"))) {
            TestClient c = new TestClient("http://127.0.0.1:" + d.port(), d.apiKey());
            String s = c.createSession(Map.of("ttl_seconds", 2));
            c.run(s, "true"); // extends the lease
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(c.request("GET", "/v1/sessions/" + s, null).body().get("status").asText())
                            .isEqualTo("expired"));
            assertThat(c.exec(s, "true").status()).isEqualTo(410);
            assertThat(d.sessions().liveCount()).isZero();
        }
    }

    @Test
    void aPublicListenAddressNeedsAConfiguredKey() throws Exception {
        var config = dev.sandkasten.config.ConfigLoader.load(java.util.Optional.empty(), Map.of(), Map.of(
                "listen", "0.0.0.0:0", "data_dir", Files.createTempDirectory("sandkasten-it-").toString()));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Daemon.start(config))
                .hasMessageContaining("without a configured API key");
    }

    @Test
    void aSandboxKilledFromOutsideMakesTheSessionLostAndEndsItsStream() throws Exception {
        TestClient c = TestDaemon.client();
        String s = c.createSession();
        try (var st = c.stream(s, "echo hi; sleep 100")) {
            assertThat(st.next().name()).isEqualTo("start");
            assertThat(st.next().name()).isEqualTo("chunk");
            killEverything(s);
            List<TestClient.Event> rest = st.readAll();
            assertThat(rest.getLast().name()).isEqualTo("error");
            assertThat(rest.getLast().data().get("code").asText()).isEqualTo("SESSION_GONE");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(c.request("GET", "/v1/sessions/" + s, null).body().get("status").asText()).isEqualTo("lost"));
        assertThat(c.exec(s, "true").status()).isEqualTo(410);
        assertThat(c.request("GET", "/healthz", null).status()).isEqualTo(200);
        assertThat(c.request("DELETE", "/v1/sessions/" + s, null).status()).isEqualTo(200);
        // The daemon is fine: a new session works.
        String next = c.createSession();
        assertThat(c.run(next, "echo fine")).isEqualTo("fine\n");
        c.destroy(next);
    }

    /** Kills every process of a session from the host, as an operator or the OOM killer might. */
    static void killEverything(String session) throws Exception {
        for (long pid : hostPids(session)) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    /** Host pids of every process in a session, found through its group in the cgroup2 tree. */
    static List<Long> hostPids(String session) throws Exception {
        Path root = Files.isDirectory(Path.of("/sys/fs/cgroup/unified")) ? Path.of("/sys/fs/cgroup/unified")
                : Path.of("/sys/fs/cgroup");
        try (var groups = Files.walk(root, 2)) {
            Path g = groups.filter(p -> p.getFileName().toString().equals(session)).findFirst().orElseThrow();
            try (var all = Files.walk(g)) {
                List<Long> pids = new java.util.ArrayList<>();
                for (Path p : all.filter(f -> f.getFileName().toString().equals("cgroup.procs")).toList()) {
                    for (String line : Files.readAllLines(p)) pids.add(Long.parseLong(line.trim()));
                }
                return pids;
            }
        }
    }
}
