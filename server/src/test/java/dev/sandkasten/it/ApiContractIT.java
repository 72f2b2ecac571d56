package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.client.SessionGoneException;
import dev.sandkasten.client.SessionInfo;
import dev.sandkasten.client.SessionStats;
import dev.sandkasten.client.SessionStatus;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Auth, sessions CRUD, and clear 4xx answers to bad input. */
class ApiContractIT {
    final SandboxClient client = TestDaemon.sdk();
    final TestClient raw = TestDaemon.client();

    @Test
    void healthNeedsNoKeyButEverythingUnderV1Does() {
        // Raw HTTP: the point is which Authorization headers (none, a wrong one) get what; the SDK always sends its key.
        assertThat(raw.request("GET", "/healthz", null, null).body().get("status").asText()).isEqualTo("ok");
        TestClient.Reply none = raw.request("GET", "/v1/sessions", null, null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body().get("code").asText()).isEqualTo("UNAUTHORIZED");
        assertThat(raw.request("GET", "/v1/sessions", null, "wrong-key-wrong-key").status()).isEqualTo(401);
        assertThat(raw.request("POST", "/v1/sessions/x/exec/stream", Map.of("cmd", "true"), "nope").status())
                .isEqualTo(401);
    }

    @Test
    void creatingASessionAnswers201WithItsWireShape() {
        // Raw HTTP: the status, the Location header and the JSON as sent (a null workspace_id, UTC "Z"
        // timestamps) are wire details the SDK turns into a Session and Instants.
        TestClient.Reply created = raw.request("POST", "/v1/sessions",
                Map.of("image", "base", "ttl_seconds", 600, "labels", Map.of("team", "a")));
        assertThat(created.status()).isEqualTo(201);
        JsonNode s = created.body();
        String id = s.get("id").asText();
        assertThat(created.headers().get("location")).containsExactly("/v1/sessions/" + id);
        assertThat(s.get("image").asText()).isEqualTo("base");
        assertThat(s.get("status").asText()).isEqualTo("running");
        assertThat(s.get("cwd").asText()).isEqualTo("/workspace");
        assertThat(s.get("workspace_id").isNull()).isTrue();
        assertThat(s.get("created_at").asText()).endsWith("Z");
        assertThat(s.get("labels").get("team").asText()).isEqualTo("a");
        assertThat(raw.request("DELETE", "/v1/sessions/" + id, null).body().get("ok").asBoolean()).isTrue();
    }

    @Test
    void sessionsCanBeCreatedListedReadAndDeleted() {
        Session s = client.createSession(CreateSessionOptions.builder().image("base").ttlSeconds(600)
                .label("team", "a").build());
        String id = s.id();
        assertThat(id).matches("[A-Za-z0-9_-]{22,}");
        SessionInfo info = s.info();
        assertThat(info.id()).isEqualTo(id);
        assertThat(info.image()).isEqualTo("base");
        assertThat(info.status()).isEqualTo(SessionStatus.RUNNING);
        assertThat(info.cwd()).isEqualTo("/workspace");
        assertThat(info.workspaceId()).isNull();
        assertThat(info.createdAt()).isNotNull();
        assertThat(info.expiresAt()).isAfter(info.createdAt().plusSeconds(590));
        assertThat(info.labels()).containsExactly(Map.entry("team", "a"));
        assertThat(client.listSessions()).extracting(SessionInfo::id).contains(id);
        assertThat(client.getSession(id).info().id()).isEqualTo(id);
        SessionStats stats = s.stats();
        assertThat(stats.memoryLimit()).isEqualTo(1L << 30);
        assertThat(stats.pids()).isPositive();
        s.destroy();
        assertThat(s.info().status()).isEqualTo(SessionStatus.DESTROYED);
        assertThatThrownBy(() -> s.exec("true")).isInstanceOfSatisfying(SessionGoneException.class, e -> {
            assertThat(e.status()).isEqualTo(410);
            assertThat(e.code()).isEqualTo("SESSION_GONE");
        });
    }

    @Test
    void badInputGetsAClearFourHundredAndBreaksNothing() {
        // Raw HTTP for the bad requests: malformed bodies and wrong types are what the SDK cannot even send.
        Session session = client.createSession();
        String s = session.id();
        Sdk.run(session, "echo keep > /workspace/f");
        expect(raw.request("POST", "/v1/sessions/" + s + "/exec", "{not json"), 400, "INVALID_REQUEST");
        expect(raw.request("POST", "/v1/sessions/" + s + "/exec", "[1,2]"), 400, "INVALID_REQUEST");
        expect(raw.exec(s, Map.of("timeout_ms", 5)), 400, "INVALID_REQUEST");
        expect(raw.exec(s, Map.of("cmd", 42)), 400, "INVALID_REQUEST");
        expect(raw.exec(s, Map.of("cmd", "true", "timeout_ms", -1)), 400, "INVALID_REQUEST");
        expect(raw.exec(s, Map.of("cmd", "true", "timeout_ms", "soon")), 400, "INVALID_REQUEST");
        expect(raw.exec(s, Map.of("cmd", "true", "encoding", "latin1")), 400, "INVALID_REQUEST");
        expect(raw.exec(s, Map.of("cmd", "true", "env", Map.of("BAD NAME", "x"))), 400, "INVALID_REQUEST");
        expect(raw.exec(s, Map.of("cmd", "x".repeat((1 << 20) + 1))), 413, "PAYLOAD_TOO_LARGE");
        expect(raw.request("POST", "/v1/sessions", Map.of("image", "nope")), 400, "INVALID_REQUEST");
        expect(raw.request("POST", "/v1/sessions", Map.of("ttl_seconds", 10_000_000)), 400, "INVALID_REQUEST");
        expect(raw.request("POST", "/v1/sessions", Map.of("network", "host")), 400, "INVALID_REQUEST");
        expect(raw.request("GET", "/v1/sessions/sb_doesnotexist", null), 404, "SESSION_NOT_FOUND");
        assertThat(raw.request("GET", "/v1/sessions/..%2F..%2Fetc", null).status()).isEqualTo(404);
        expect(raw.request("POST", "/v1/sessions/sb_doesnotexist/exec/stream", Map.of("cmd", "true")), 404,
                "SESSION_NOT_FOUND");
        expect(raw.request("GET", "/v1/nothing-here", null), 404, "NOT_FOUND");
        // An unknown (or finished) exec in a live session is not a missing session.
        expect(raw.request("DELETE", "/v1/sessions/" + session.id() + "/execs/ex_nope", null), 404, "EXEC_NOT_FOUND");
        // Nothing stored was lost, and the session still works.
        assertThat(Sdk.run(session, "cat /workspace/f")).isEqualTo("keep\n");
        session.destroy();
    }

    @Test
    void wrongContentTypeIsRefused() throws Exception {
        // Raw HTTP: the SDK always sends JSON.
        var http = java.net.http.HttpClient.newHttpClient();
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://127.0.0.1:" + TestDaemon.shared().port() + "/v1/sessions"))
                .header("Authorization", "Bearer " + TestDaemon.shared().apiKey())
                .header("Content-Type", "text/plain")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build();
        var r = http.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(r.body()).contains("UNSUPPORTED_MEDIA_TYPE").doesNotContain("Exception");
    }

    private static void expect(TestClient.Reply r, int status, String code) {
        assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(status);
        assertThat(r.body().get("code").asText()).isEqualTo(code);
        assertThat(r.body().get("error").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("/var/lib");
    }
}
