package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecStream;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.client.SessionGoneException;
import dev.sandkasten.client.SessionStatus;
import dev.sandkasten.client.StreamException;
import dev.sandkasten.daemon.Daemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Leases, the reaper, and sandboxes that die under a session. */
class LifecycleIT {

    @Test
    void expiredSessionsAreReaped() {
        try (Daemon d = TestDaemon.start(Map.of("reaper_interval_ms", "100")); SandboxClient c = TestDaemon.sdk(d)) {
            Session s = c.createSession(CreateSessionOptions.builder().ttlSeconds(2).build());
            Sdk.run(s, "true"); // extends the lease
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(s.info().status()).isEqualTo(SessionStatus.EXPIRED));
            assertThatThrownBy(() -> s.exec("true")).isInstanceOfSatisfying(SessionGoneException.class,
                    e -> assertThat(e.status()).isEqualTo(410));
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
    void aDataDirectoryTheSandboxUidCannotReachIsAClearStartError() throws Exception {
        Path closed = Files.createTempDirectory("sandkasten-it-closed-"); // mode 0700
        Path data = closed.resolve("data");
        assertThatThrownBy(() -> TestDaemon.start(Map.of("data_dir", data.toString())))
                .isInstanceOf(dev.sandkasten.config.ConfigException.class)
                .hasMessageContaining("chmod o+x " + closed);
    }

    @Test
    void aSandboxKilledFromOutsideMakesTheSessionLostAndEndsItsStream() throws Exception {
        SandboxClient c = TestDaemon.sdk();
        Session s = c.createSession();
        try (ExecStream st = s.execStream("echo hi; sleep 100")) {
            assertThat(st.execId()).startsWith("ex_");
            Iterator<ExecChunk> it = st.iterator();
            assertThat(it.next().output()).isEqualTo("hi\n");
            killEverything(s.id());
            // An error event with SESSION_GONE ends the stream (a broken connection would have no code).
            assertThatThrownBy(() -> it.forEachRemaining(chunk -> {}))
                    .isInstanceOfSatisfying(StreamException.class, e -> assertThat(e.code()).isEqualTo("SESSION_GONE"));
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(s.info().status()).isEqualTo(SessionStatus.LOST));
        assertThatThrownBy(() -> s.exec("true")).isInstanceOfSatisfying(SessionGoneException.class,
                e -> assertThat(e.status()).isEqualTo(410));
        // Raw HTTP: the SDK has no health call (/healthz is for probes and needs no key).
        assertThat(TestDaemon.client().request("GET", "/healthz", null).status()).isEqualTo(200);
        s.destroy();
        assertThat(s.info().status()).isEqualTo(SessionStatus.DESTROYED);
        // The daemon is fine: a new session works.
        try (Session next = c.createSession()) {
            assertThat(Sdk.run(next, "echo fine")).isEqualTo("fine\n");
        }
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
