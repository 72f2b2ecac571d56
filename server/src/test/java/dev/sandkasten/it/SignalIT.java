package dev.sandkasten.it;

import static dev.sandkasten.it.ExecResourcesIT.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code POST .../execs/{id}/signal}: a signal reaches the command's process tree, never the shell. */
class SignalIT {
    final TestClient raw = TestDaemon.client();

    private TestClient.Reply signal(String s, String id, Object name) {
        return raw.request("POST", "/v1/sessions/" + s + "/execs/" + id + "/signal", Map.of("signal", name));
    }

    private String run(String s, String cmd) {
        TestClient.Reply r = raw.exec(s, Map.of("cmd", cmd));
        assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(200);
        return r.body().get("stdout").asText();
    }

    private static String text(List<TestClient.Event> events, String stream) {
        return events.stream().filter(e -> e.name().equals("chunk") && e.data().get("stream").asText().equals(stream))
                .map(e -> e.data().get("chunk").asText()).reduce("", String::concat);
    }

    private JsonNode awaitEnd(String s, String id) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            last.set(raw.request("GET", "/v1/sessions/" + s + "/execs/" + id, null).body());
            assertThat(last.get().get("state").asText()).isNotIn("queued", "running");
        });
        return last.get();
    }

    @Test
    void sigintEndsASleepingPythonLikeCtrlCAndTheShellStays() throws Exception {
        String s = raw.createSession();
        try {
            run(s, "cd /tmp; export STATE=kept; counter() { echo \"fn $1\"; }");
            try (var st = raw.stream(s, Map.of("cmd", "python3 -c 'import time; print(\"ready\", flush=True); time.sleep(100)'; echo after $?"))) {
                String id = st.next().data().get("exec_id").asText();
                // PYTHONUNBUFFERED: "ready" and its newline may come as two writes, so two chunks.
                StringBuilder first = new StringBuilder();
                while (!first.toString().endsWith("\n")) first.append(st.next().data().get("chunk").asText());
                assertThat(first.toString()).isEqualTo("ready\n");
                long t0 = System.nanoTime();
                TestClient.Reply r = signal(s, id, "SIGINT");
                assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(200);
                assertThat(r.body().get("signal").asText()).isEqualTo("SIGINT");
                assertThat(r.body().get("processes").asInt()).isPositive();
                List<TestClient.Event> rest = st.readAll();
                assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10.0);
                assertThat(text(rest, "stderr")).contains("KeyboardInterrupt");
                assertThat(text(rest, "stdout")).isEqualTo("after 130\n");
                TestClient.Event done = rest.getLast();
                assertThat(done.name()).isEqualTo("done");
                assertThat(done.data().get("state_lost").asBoolean()).isFalse();
            }
            assertThat(run(s, "echo $STATE; pwd; counter 1")).isEqualTo("kept\n/tmp\nfn 1\n");
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void sigtermReachesTheWholeTreeIncludingSetsidChildren() throws Exception {
        String s = raw.createSession();
        try {
            try (var st = raw.stream(s, Map.of("cmd", "sleep 330 & setsid sleep 331 & echo up; sleep 332"))) {
                String id = st.next().data().get("exec_id").asText();
                st.next();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(raw.request("GET", "/v1/sessions/" + s + "/execs/" + id, null).body()
                                .get("state").asText()).isEqualTo("running"));
                Thread.sleep(300);
                TestClient.Reply r = signal(s, id, "term");
                assertThat(r.body().get("processes").asInt()).isGreaterThanOrEqualTo(3);
                TestClient.Event done = st.readAll().getLast();
                assertThat(done.data().get("exit_code").asInt()).isEqualTo(143);
            }
            assertThat(run(s, "pgrep -c -f 'sleep 33[012]' || true").trim()).isEqualTo("0");
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void stopAndContPauseAndResumeACommand() throws Exception {
        String s = raw.createSession();
        try (var st = raw.stream(s, Map.of("cmd", "for i in $(seq 1 40); do echo $i; sleep 0.1; done"))) {
            String id = st.next().data().get("exec_id").asText();
            st.next();
            assertThat(signal(s, id, "SIGSTOP").status()).isEqualTo(200);
            Thread.sleep(300); // let a line in flight arrive
            long before = raw.request("GET", "/v1/sessions/" + s + "/execs/" + id, null).body().get("stdout_bytes").asLong();
            Thread.sleep(1500);
            long paused = raw.request("GET", "/v1/sessions/" + s + "/execs/" + id, null).body().get("stdout_bytes").asLong();
            assertThat(paused).isEqualTo(before);
            assertThat(signal(s, id, "CONT").status()).isEqualTo(200);
            List<TestClient.Event> rest = st.readAll();
            assertThat(rest.getLast().data().get("exit_code").asInt()).isZero();
            assertThat(text(rest, "stdout")).endsWith("40\n");
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void backgroundCommandsGetSignalsTooAndReportHowTheyEnded() throws Exception {
        String s = raw.createSession();
        try {
            String py = raw.exec(s, Map.of("cmd", "python3 -c 'import time; print(\"ready\", flush=True); time.sleep(100)'",
                    "background", true)).body().get("exec_id").asText();
            // After a builtin, bash 5.2 runs the last program without forking the job's inner
            // subshell, so the program is the wrapper's own child: it must not be taken for a shell.
            String sleeper = raw.exec(s, Map.of("cmd", "echo 1; sleep 300", "background", true)).body().get("exec_id").asText();
            String trapper = raw.exec(s, Map.of("cmd", "bash -c 'trap \"echo got usr1; exit 3\" USR1; echo armed; while :; do sleep 0.1; done'",
                    "background", true)).body().get("exec_id").asText();
            for (String id : List.of(py, sleeper, trapper)) {
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(raw.request("GET",
                        "/v1/sessions/" + s + "/execs/" + id, null).body().get("state").asText()).isEqualTo("running"));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> raw.request("GET", "/v1/sessions/" + s + "/execs/" + py, null)
                    .body().get("stdout_bytes").asLong() > 0 && raw.request("GET", "/v1/sessions/" + s + "/execs/" + trapper, null)
                    .body().get("stdout_bytes").asLong() > 0);
            assertThat(signal(s, py, "INT").status()).isEqualTo(200);
            TestClient.Reply kill = signal(s, sleeper, "SIGKILL");
            assertThat(kill.status()).isEqualTo(200);
            assertThat(kill.body().get("processes").asInt()).isEqualTo(1);
            assertThat(signal(s, trapper, "USR1").status()).isEqualTo(200);
            assertThat(awaitEnd(s, py).get("exit_code").asInt()).isEqualTo(130);
            JsonNode killed = awaitEnd(s, sleeper);
            assertThat(killed.get("state").asText()).isEqualTo("exited");
            assertThat(killed.get("exit_code").asInt()).isEqualTo(137);
            assertThat(awaitEnd(s, trapper).get("exit_code").asInt()).isEqualTo(3);
            try (var a = raw.attach(s, trapper, null, null)) {
                assertThat(text(a.readAll(), "stdout")).isEqualTo("armed\ngot usr1\n");
            }
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void onlyARunningCommandCanBeSignalledAndOnlyWithAKnownName() throws Exception {
        String s = raw.createSession();
        String done = raw.exec(s, Map.of("cmd", "true", "background", true)).body().get("exec_id").asText();
        awaitEnd(s, done);
        try (var running = raw.stream(s, Map.of("cmd", "sleep 30")); var queued = raw.stream(s, Map.of("cmd", "true"))) {
            String id = running.next().data().get("exec_id").asText();
            String waiting = queued.next().data().get("exec_id").asText();
            expect(signal(s, waiting, "SIGINT"), 409, "EXEC_NOT_RUNNING");
            expect(signal(s, id, "SIGFOO"), 400, "INVALID_REQUEST");
            expect(signal(s, id, 2), 400, "INVALID_REQUEST");
            expect(raw.request("POST", "/v1/sessions/" + s + "/execs/" + id + "/signal", Map.of()), 400, "INVALID_REQUEST");
            expect(signal(s, "ex_nope", "SIGINT"), 404, "EXEC_NOT_FOUND");
            expect(signal(s, done, "SIGINT"), 409, "EXEC_NOT_RUNNING");
            raw.request("DELETE", "/v1/sessions/" + s + "/execs/" + id, null);
        } finally {
            raw.destroy(s);
        }
    }
}
