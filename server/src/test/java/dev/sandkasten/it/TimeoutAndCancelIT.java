package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Timeouts, cancels and vanished clients kill the command's whole tree and leave the session usable. */
class TimeoutAndCancelIT {
    final TestClient client = TestDaemon.client();

    private static final String TREE = "sleep 300 & setsid sleep 301 & (setsid sh -c 'sleep 302 & sleep 303') & sleep 304";

    private int sleepers(String session) {
        return Integer.parseInt(client.run(session, "pgrep -c -f 'sleep 30[0-4]' || true").trim());
    }

    @Test
    void blockingTimeoutKillsTheTreeIncludingSetsidChildren() {
        String s = client.createSession();
        client.run(s, "cd /tmp; export KEEP=1");
        TestClient.Reply r = client.exec(s, Map.of("cmd", "echo before; " + TREE, "timeout_ms", 1500));
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.body().get("code").asText()).isEqualTo("COMMAND_TIMEOUT");
        assertThat(r.body().get("output").asText()).contains("before");
        assertThat(r.body().get("exec_id").asText()).startsWith("ex_");
        assertThat(r.body().get("duration_ms").asLong()).isBetween(1400L, 10_000L);
        assertThat(sleepers(s)).isZero();
        assertThat(client.run(s, "echo $KEEP; pwd")).isEqualTo("1\n/tmp\n");
        client.destroy(s);
    }

    @Test
    void streamingTimeoutEndsWithAnErrorEventAndNoDone() throws Exception {
        String s = client.createSession();
        try (var st = client.stream(s, Map.of("cmd", "echo hi; " + TREE, "timeout_ms", 1500))) {
            List<TestClient.Event> events = st.readAll();
            TestClient.Event last = events.getLast();
            assertThat(last.name()).isEqualTo("error");
            assertThat(last.data().get("code").asText()).isEqualTo("COMMAND_TIMEOUT");
            assertThat(events).noneMatch(e -> e.name().equals("done"));
        }
        assertThat(sleepers(s)).isZero();
        assertThat(client.run(s, "echo ok")).isEqualTo("ok\n");
        client.destroy(s);
    }

    @Test
    void aStuckShellIsRestartedAndTheResponseSaysStateWasLost() {
        String s = client.createSession();
        client.run(s, "export GONE=1");
        TestClient.Reply r = client.exec(s, Map.of("cmd", "while :; do :; done", "timeout_ms", 1000));
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.body().get("state_lost").asBoolean()).isTrue();
        assertThat(client.run(s, "echo \"[$GONE]\"; pwd")).isEqualTo("[]\n/workspace\n");
        client.destroy(s);
    }

    @Test
    void exitingTheShellItselfRestartsItInTheSameSandbox() {
        String s = client.createSession();
        client.run(s, "echo keep > /tmp/marker");
        JsonNode r = client.exec(s, "builtin exit 5").body();
        assertThat(r.get("exit_code").asInt()).isEqualTo(5);
        assertThat(r.get("state_lost").asBoolean()).isTrue();
        assertThat(client.run(s, "cat /tmp/marker")).isEqualTo("keep\n");
        client.destroy(s);
    }

    @Test
    void cancelKillsARunningCommandAtOnce() throws Exception {
        String s = client.createSession();
        try (var st = client.stream(s, "echo started; " + TREE)) {
            TestClient.Event start = st.next();
            String execId = start.data().get("exec_id").asText();
            assertThat(st.next().data().get("chunk").asText()).isEqualTo("started\n");
            TestClient.Reply c = client.request("DELETE", "/v1/sessions/" + s + "/execs/" + execId, null);
            assertThat(c.status()).isEqualTo(200);
            TestClient.Event end = st.readAll().getLast();
            assertThat(end.name()).isEqualTo("error");
            assertThat(end.data().get("code").asText()).isEqualTo("CANCELLED");
        }
        assertThat(sleepers(s)).isZero();
        assertThat(client.request("DELETE", "/v1/sessions/" + s + "/execs/ex_nope", null).status()).isEqualTo(404);
        client.destroy(s);
    }

    @Test
    void aVanishedStreamingClientGetsItsCommandKilledAfterTheGrace() throws Exception {
        String s = client.createSession();
        var st = client.stream(s, "echo started; " + TREE);
        assertThat(st.next().name()).isEqualTo("start");
        assertThat(st.next().name()).isEqualTo("chunk");
        st.close();
        // Grace is a few seconds; the session must then be free and the tree gone.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(sleepers(s)).isZero());
        assertThat(client.run(s, "echo free")).isEqualTo("free\n");
        client.destroy(s);
    }
}
