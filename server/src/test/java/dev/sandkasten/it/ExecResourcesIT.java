package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandkasten.daemon.Daemon;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Commands as resources: {@code GET .../execs} and {@code GET .../execs/{id}}, over raw HTTP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExecResourcesIT {
    final TestClient raw = TestDaemon.client();
    String session;

    @BeforeAll
    void createSession() {
        session = raw.createSession();
    }

    @AfterAll
    void destroySession() {
        raw.destroy(session);
    }

    private JsonNode info(String execId) {
        TestClient.Reply r = raw.request("GET", "/v1/sessions/" + session + "/execs/" + execId, null);
        assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(200);
        return r.body();
    }

    private List<String> listedIds(String sid) {
        TestClient.Reply r = raw.request("GET", "/v1/sessions/" + sid + "/execs", null);
        assertThat(r.status()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        r.body().forEach(n -> ids.add(n.get("exec_id").asText()));
        return ids;
    }

    @Test
    void aFinishedCommandShowsItsOutcomeTimingsAndByteCounts() {
        TestClient.Reply r = raw.exec(session, Map.of("cmd", "printf 12345; printf abc >&2; cd /tmp; exit 3"));
        String id = r.body().get("exec_id").asText();
        JsonNode e = info(id);
        assertThat(e.get("exec_id").asText()).isEqualTo(id);
        assertThat(e.get("cmd").asText()).isEqualTo("printf 12345; printf abc >&2; cd /tmp; exit 3");
        assertThat(e.get("cmd_truncated").asBoolean()).isFalse();
        assertThat(e.get("state").asText()).isEqualTo("exited");
        assertThat(e.get("exit_code").asInt()).isEqualTo(3);
        assertThat(e.get("cwd").asText()).isEqualTo("/tmp");
        assertThat(e.get("stdout_bytes").asLong()).isEqualTo(5);
        assertThat(e.get("stderr_bytes").asLong()).isEqualTo(3);
        assertThat(e.get("background").asBoolean()).isFalse();
        assertThat(e.get("pty").asBoolean()).isFalse();
        assertThat(e.get("state_lost").asBoolean()).isFalse();
        Instant created = Instant.parse(e.get("created_at").asText());
        Instant started = Instant.parse(e.get("started_at").asText());
        Instant finished = Instant.parse(e.get("finished_at").asText());
        assertThat(created).isBeforeOrEqualTo(started);
        assertThat(started).isBeforeOrEqualTo(finished);
        assertThat(e.get("duration_ms").asLong()).isBetween(0L, 10_000L);
        assertThat(listedIds(session)).contains(id);
        raw.exec(session, Map.of("cmd", "cd /workspace"));
    }

    @Test
    void runningAndQueuedCommandsAreListedInOrderWithTheirStates() throws Exception {
        String s = raw.createSession();
        try (var first = raw.stream(s, "echo go; sleep 30"); var second = raw.stream(s, "echo second")) {
            String firstId = first.next().data().get("exec_id").asText();
            String secondId = second.next().data().get("exec_id").asText();
            assertThat(first.next().data().get("chunk").asText()).isEqualTo("go\n");
            TestClient.Reply list = raw.request("GET", "/v1/sessions/" + s + "/execs", null);
            assertThat(list.body().size()).isEqualTo(2);
            JsonNode running = list.body().get(0);
            JsonNode queued = list.body().get(1);
            assertThat(running.get("exec_id").asText()).isEqualTo(firstId);
            assertThat(running.get("state").asText()).isEqualTo("running");
            assertThat(running.get("started_at").isTextual()).isTrue();
            assertThat(running.get("finished_at").isNull()).isTrue();
            assertThat(running.get("exit_code").isNull()).isTrue();
            assertThat(running.get("stdout_bytes").asLong()).isEqualTo(3);
            assertThat(queued.get("exec_id").asText()).isEqualTo(secondId);
            assertThat(queued.get("state").asText()).isEqualTo("queued");
            assertThat(queued.get("started_at").isNull()).isTrue();
            assertThat(queued.get("duration_ms").isNull()).isTrue();

            assertThat(raw.request("DELETE", "/v1/sessions/" + s + "/execs/" + firstId, null).status()).isEqualTo(200);
            assertThat(first.readAll().getLast().data().get("code").asText()).isEqualTo("CANCELLED");
            assertThat(second.readAll().getLast().name()).isEqualTo("done");
            JsonNode cancelled = raw.request("GET", "/v1/sessions/" + s + "/execs/" + firstId, null).body();
            assertThat(cancelled.get("state").asText()).isEqualTo("cancelled");
            assertThat(cancelled.get("exit_code").isNull()).isTrue();
            assertThat(raw.request("GET", "/v1/sessions/" + s + "/execs/" + secondId, null).body()
                    .get("state").asText()).isEqualTo("exited");
        } finally {
            raw.destroy(s);
        }
    }

    @Test
    void aTimedOutCommandSaysSo() {
        TestClient.Reply r = raw.exec(session, Map.of("cmd", "sleep 30", "timeout_ms", 500));
        assertThat(r.status()).isEqualTo(504);
        JsonNode e = info(r.body().get("exec_id").asText());
        assertThat(e.get("state").asText()).isEqualTo("timed_out");
        assertThat(e.get("timeout_ms").asLong()).isEqualTo(500);
    }

    @Test
    void aLongCommandIsShownCut() {
        String cmd = "true # " + "x".repeat(5000);
        String id = raw.exec(session, Map.of("cmd", cmd)).body().get("exec_id").asText();
        JsonNode e = info(id);
        assertThat(e.get("cmd_truncated").asBoolean()).isTrue();
        assertThat(e.get("cmd").asText()).hasSize(1024).isEqualTo(cmd.substring(0, 1024));
    }

    @Test
    void unknownIdsGetAClearNotFound() {
        expect(raw.request("GET", "/v1/sessions/" + session + "/execs/ex_unknown", null), 404, "EXEC_NOT_FOUND");
        expect(raw.request("GET", "/v1/sessions/" + session + "/execs/not%20an%20id", null), 404, "EXEC_NOT_FOUND");
        expect(raw.request("GET", "/v1/sessions/sb_unknown/execs", null), 404, "SESSION_NOT_FOUND");
        expect(raw.request("GET", "/v1/sessions/sb_unknown/execs/ex_unknown", null), 404, "SESSION_NOT_FOUND");
        expect(raw.request("DELETE", "/v1/sessions/" + session + "/execs/ex_unknown", null), 404, "EXEC_NOT_FOUND");
        String done = raw.exec(session, Map.of("cmd", "true")).body().get("exec_id").asText();
        expect(raw.request("DELETE", "/v1/sessions/" + session + "/execs/" + done, null), 404, "EXEC_FINISHED");
    }

    @Test
    void onlyTheLastFinishedCommandsAreKept() {
        try (Daemon d = TestDaemon.start(Map.of("exec_history", "3"))) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            String s = c.createSession();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) ids.add(c.exec(s, Map.of("cmd", "echo " + i)).body().get("exec_id").asText());
            // The session forgets asynchronously, right after the outcome is delivered.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                TestClient.Reply list = c.request("GET", "/v1/sessions/" + s + "/execs", null);
                List<String> listed = new ArrayList<>();
                list.body().forEach(n -> listed.add(n.get("exec_id").asText()));
                assertThat(listed).containsExactlyElementsOf(ids.subList(2, 5));
            });
            expect(c.request("GET", "/v1/sessions/" + s + "/execs/" + ids.getFirst(), null), 404, "EXEC_NOT_FOUND");
            c.destroy(s);
        }
    }

    @Test
    void aDestroyedSessionsExecsAreGone() {
        String s = raw.createSession();
        String id = raw.exec(s, Map.of("cmd", "true")).body().get("exec_id").asText();
        raw.destroy(s);
        expect(raw.request("GET", "/v1/sessions/" + s + "/execs/" + id, null), 410, "SESSION_GONE");
        expect(raw.request("GET", "/v1/sessions/" + s + "/execs", null), 410, "SESSION_GONE");
    }

    static void expect(TestClient.Reply r, int status, String code) {
        assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(status);
        assertThat(r.body().get("code").asText()).isEqualTo(code);
        assertThat(r.body().get("error").asText()).isNotBlank().doesNotContain("Exception");
    }
}
