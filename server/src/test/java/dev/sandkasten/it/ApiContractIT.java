package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Auth, sessions CRUD, and clear 4xx answers to bad input. */
class ApiContractIT {
    final TestClient client = TestDaemon.client();

    @Test
    void healthNeedsNoKeyButEverythingUnderV1Does() {
        assertThat(client.request("GET", "/healthz", null, null).body().get("status").asText()).isEqualTo("ok");
        TestClient.Reply none = client.request("GET", "/v1/sessions", null, null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body().get("code").asText()).isEqualTo("UNAUTHORIZED");
        assertThat(client.request("GET", "/v1/sessions", null, "wrong-key-wrong-key").status()).isEqualTo(401);
        assertThat(client.request("POST", "/v1/sessions/x/exec/stream", Map.of("cmd", "true"), "nope").status())
                .isEqualTo(401);
    }

    @Test
    void sessionsCanBeCreatedListedReadAndDeleted() {
        TestClient.Reply created = client.request("POST", "/v1/sessions",
                Map.of("image", "base", "ttl_seconds", 600, "labels", Map.of("team", "a")));
        assertThat(created.status()).isEqualTo(201);
        JsonNode s = created.body();
        String id = s.get("id").asText();
        assertThat(id).matches("[A-Za-z0-9_-]{22,}");
        assertThat(s.get("image").asText()).isEqualTo("base");
        assertThat(s.get("status").asText()).isEqualTo("running");
        assertThat(s.get("cwd").asText()).isEqualTo("/workspace");
        assertThat(s.get("workspace_id").isNull()).isTrue();
        assertThat(s.get("created_at").asText()).endsWith("Z");
        assertThat(s.get("labels").get("team").asText()).isEqualTo("a");
        assertThat(client.request("GET", "/v1/sessions", null).body().findValuesAsText("id")).contains(id);
        assertThat(client.request("GET", "/v1/sessions/" + id, null).body().get("id").asText()).isEqualTo(id);
        JsonNode stats = client.request("GET", "/v1/sessions/" + id + "/stats", null).body();
        assertThat(stats.get("memory_limit").asLong()).isEqualTo(1L << 30);
        assertThat(stats.get("pids").asLong()).isPositive();
        assertThat(client.request("DELETE", "/v1/sessions/" + id, null).body().get("ok").asBoolean()).isTrue();
        assertThat(client.request("GET", "/v1/sessions/" + id, null).body().get("status").asText()).isEqualTo("destroyed");
        TestClient.Reply gone = client.exec(id, "true");
        assertThat(gone.status()).isEqualTo(410);
        assertThat(gone.body().get("code").asText()).isEqualTo("SESSION_GONE");
    }

    @Test
    void badInputGetsAClearFourHundredAndBreaksNothing() {
        String s = client.createSession();
        client.run(s, "echo keep > /workspace/f");
        expect(client.request("POST", "/v1/sessions/" + s + "/exec", "{not json"), 400, "INVALID_REQUEST");
        expect(client.request("POST", "/v1/sessions/" + s + "/exec", "[1,2]"), 400, "INVALID_REQUEST");
        expect(client.exec(s, Map.of("timeout_ms", 5)), 400, "INVALID_REQUEST");
        expect(client.exec(s, Map.of("cmd", 42)), 400, "INVALID_REQUEST");
        expect(client.exec(s, Map.of("cmd", "true", "timeout_ms", -1)), 400, "INVALID_REQUEST");
        expect(client.exec(s, Map.of("cmd", "true", "timeout_ms", "soon")), 400, "INVALID_REQUEST");
        expect(client.exec(s, Map.of("cmd", "true", "encoding", "latin1")), 400, "INVALID_REQUEST");
        expect(client.exec(s, Map.of("cmd", "true", "env", Map.of("BAD NAME", "x"))), 400, "INVALID_REQUEST");
        expect(client.exec(s, Map.of("cmd", "x".repeat((1 << 20) + 1))), 413, "PAYLOAD_TOO_LARGE");
        expect(client.request("POST", "/v1/sessions", Map.of("image", "nope")), 400, "INVALID_REQUEST");
        expect(client.request("POST", "/v1/sessions", Map.of("ttl_seconds", 10_000_000)), 400, "INVALID_REQUEST");
        expect(client.request("POST", "/v1/sessions", Map.of("network", "host")), 400, "INVALID_REQUEST");
        expect(client.request("GET", "/v1/sessions/sb_doesnotexist", null), 404, "SESSION_NOT_FOUND");
        assertThat(client.request("GET", "/v1/sessions/..%2F..%2Fetc", null).status()).isEqualTo(404);
        expect(client.request("POST", "/v1/sessions/sb_doesnotexist/exec/stream", Map.of("cmd", "true")), 404,
                "SESSION_NOT_FOUND");
        expect(client.request("GET", "/v1/nothing-here", null), 404, "NOT_FOUND");
        // Nothing stored was lost, and the session still works.
        assertThat(client.run(s, "cat /workspace/f")).isEqualTo("keep\n");
        client.destroy(s);
    }

    @Test
    void wrongContentTypeIsRefused() throws Exception {
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
