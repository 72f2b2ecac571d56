package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandkasten.daemon.Daemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code "background": true}: commands that run beside the session's foreground commands. */
class BackgroundExecIT {
    final TestClient raw = TestDaemon.client();

    private TestClient.Reply background(String s, Map<String, Object> body) {
        Map<String, Object> b = new java.util.HashMap<>(body);
        b.put("background", true);
        TestClient.Reply r = raw.exec(s, b);
        assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(202);
        return r;
    }

    private String start(String s, String cmd) {
        return background(s, Map.of("cmd", cmd)).body().get("exec_id").asText();
    }

    private JsonNode info(String s, String id) {
        return raw.request("GET", "/v1/sessions/" + s + "/execs/" + id, null).body();
    }

    /** Waits for the exec to end and returns its final info. */
    private JsonNode awaitEnd(String s, String id) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            last.set(info(s, id));
            assertThat(last.get().get("state").asText()).isNotIn("queued", "running");
        });
        return last.get();
    }

    private String output(String s, String id) throws Exception {
        try (var a = raw.attach(s, id, null, null)) {
            return a.readAll().stream().filter(e -> e.name().equals("chunk"))
                    .map(e -> e.data().get("chunk").asText()).reduce("", String::concat);
        }
    }

    private String run(String s, String cmd) {
        TestClient.Reply r = raw.exec(s, Map.of("cmd", cmd));
        assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(200);
        return r.body().get("stdout").asText();
    }

    @Test
    void answersAtOnceAndRunsBesideForegroundCommands() throws Exception {
        String s = raw.createSession();
        try {
            long t0 = System.nanoTime();
            TestClient.Reply r = background(s, Map.of("cmd", "sleep 3; echo bg done"));
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(2.5);
            String id = r.body().get("exec_id").asText();
            assertThat(id).startsWith("ex_");
            assertThat(r.body().get("background").asBoolean()).isTrue();
            assertThat(r.body().get("state").asText()).isIn("queued", "running");
            assertThat(r.headers().get("location")).containsExactly("/v1/sessions/" + s + "/execs/" + id);
            // The foreground is free while it runs.
            assertThat(run(s, "echo fg")).isEqualTo("fg\n");
            assertThat(info(s, id).get("state").asText()).isEqualTo("running");
            JsonNode end = awaitEnd(s, id);
            assertThat(end.get("state").asText()).isEqualTo("exited");
            assertThat(end.get("exit_code").asInt()).isZero();
            assertThat(output(s, id)).isEqualTo("bg done\n");
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void startsWithTheSessionsStateAndLeavesItAlone() throws Exception {
        String s = raw.createSession();
        try {
            run(s, "cd /tmp; export FOO=bar; greet() { echo hello \"$1\"; }; LOCAL=only-here");
            String id = start(s, "pwd; echo $FOO $LOCAL; greet bg; cd /; export FOO=changed; exit 7");
            JsonNode end = awaitEnd(s, id);
            assertThat(end.get("exit_code").asInt()).isEqualTo(7);
            assertThat(end.get("cwd").asText()).isEqualTo("/tmp");
            assertThat(output(s, id)).isEqualTo("/tmp\nbar only-here\nhello bg\n");
            assertThat(run(s, "pwd; echo $FOO")).isEqualTo("/tmp\nbar\n");
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void itsTimeoutKillsOnlyItAndAForegroundTimeoutSparesIt() throws Exception {
        String s = raw.createSession();
        try {
            run(s, "export KEEP=1; sleep 400 &");
            String doomed = background(s, Map.of("cmd", "echo up; sleep 300 & setsid sleep 301", "timeout_ms", 1000))
                    .body().get("exec_id").asText();
            String survivor = start(s, "sleep 4; echo survived");
            TestClient.Reply fg = raw.exec(s, Map.of("cmd", "sleep 30", "timeout_ms", 1500));
            assertThat(fg.status()).isEqualTo(504);
            JsonNode end = awaitEnd(s, doomed);
            assertThat(end.get("state").asText()).isEqualTo("timed_out");
            assertThat(end.get("state_lost").asBoolean()).isFalse();
            assertThat(output(s, doomed)).isEqualTo("up\n");
            assertThat(run(s, "pgrep -c -f 'sleep 30[01]' || true").trim()).isEqualTo("0");
            // The session's own background job and its shell state are untouched.
            assertThat(run(s, "pgrep -c -f 'sleep 400'").trim()).isEqualTo("1");
            assertThat(run(s, "echo $KEEP")).isEqualTo("1\n");
            JsonNode other = awaitEnd(s, survivor);
            assertThat(other.get("state").asText()).isEqualTo("exited");
            assertThat(output(s, survivor)).isEqualTo("survived\n");
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void aCancelKillsItsWholeTreeButNotTheForeground() throws Exception {
        String s = raw.createSession();
        try {
            String id = start(s, "sleep 310 & (setsid sleep 311 &); sleep 312");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(run(s, "pgrep -c -f 'sleep 31[012]' || true").trim()).isEqualTo("3"));
            try (var fg = raw.stream(s, Map.of("cmd", "sleep 2; echo fg survived"))) {
                fg.next();
                assertThat(raw.request("DELETE", "/v1/sessions/" + s + "/execs/" + id, null).status()).isEqualTo(200);
                assertThat(awaitEnd(s, id).get("state").asText()).isEqualTo("cancelled");
                List<TestClient.Event> rest = fg.readAll();
                assertThat(rest.getLast().name()).isEqualTo("done");
                assertThat(rest.getFirst().data().get("chunk").asText()).isEqualTo("fg survived\n");
            }
            assertThat(run(s, "pgrep -c -f 'sleep 31[012]' || true").trim()).isEqualTo("0");
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void jobsItLeavesBehindKeepRunningAndALaterWaitDoesNotWaitForIt() throws Exception {
        String s = raw.createSession();
        try {
            String id = start(s, "sleep 320 & echo started");
            assertThat(awaitEnd(s, id).get("exit_code").asInt()).isZero();
            assertThat(run(s, "pgrep -c -f 'sleep 320'").trim()).isEqualTo("1");
            String slow = start(s, "sleep 20");
            long t0 = System.nanoTime();
            assertThat(run(s, "wait; echo waited")).isEqualTo("waited\n");
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10.0);
            raw.request("DELETE", "/v1/sessions/" + s + "/execs/" + slow, null);
            awaitEnd(s, slow);
            // Its kill group is gone once it ended.
            Path session = Path.of("/sys/fs/cgroup/unified", Daemon.cgroupName(TestDaemon.sharedDataDir()), s);
            if (!Files.isDirectory(session)) session = Path.of("/sys/fs/cgroup", Daemon.cgroupName(TestDaemon.sharedDataDir()), s);
            try (var dirs = Files.list(session)) {
                assertThat(dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).toList()).containsExactly("cmd");
            }
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void aStreamingClientLeavingDoesNotCancelIt() throws Exception {
        String s = raw.createSession();
        try {
            String id;
            try (var st = raw.stream(s, Map.of("cmd", "echo one; sleep 5; echo two", "background", true, "detach_grace_ms", 0))) {
                id = st.next().data().get("exec_id").asText();
                assertThat(st.next().data().get("chunk").asText()).isEqualTo("one\n");
            }
            JsonNode end = awaitEnd(s, id);
            assertThat(end.get("state").asText()).isEqualTo("exited");
            assertThat(output(s, id)).isEqualTo("one\ntwo\n");
            TestClient.Reply list = raw.request("GET", "/v1/sessions/" + s + "/execs", null);
            assertThat(list.body().get(0).get("background").asBoolean()).isTrue();
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void destroyingTheSessionEndsItsBackgroundCommands() throws Exception {
        String s = raw.createSession();
        String id = start(s, "sleep 300");
        await().atMost(Duration.ofSeconds(10)).until(() -> info(s, id).get("state").asText().equals("running"));
        try (var a = raw.attach(s, id, null, null)) {
            a.next();
            raw.destroy(s);
            TestClient.Event last = a.readAll().getLast();
            assertThat(last.name()).isEqualTo("error");
            assertThat(last.data().get("code").asText()).isEqualTo("SESSION_GONE");
        }
    }
}
