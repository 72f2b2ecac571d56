package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandkasten.daemon.Daemon;
import dev.sandkasten.tenant.TenantKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several tenants on one daemon, each with its own key (the config holds only the keys'
 * digests): a tenant sees and touches only its own sessions and workspaces (anything else is a
 * 404, exactly like something that does not exist), the admin key sees all, and quotas answer
 * 429 with a clear message.
 */
class TenantsIT {
    private static final String KEY_A = "tenant-a-key-0123456789abcdef";
    private static final String KEY_B = "tenant-b-key-0123456789abcdef";
    private static final String KEY_Q = "tenant-q-key-0123456789abcdef";
    private static Daemon daemon;
    private static TestClient a;
    private static TestClient b;
    private static TestClient quota;
    private static TestClient admin;

    @BeforeAll
    static void start() throws Exception {
        Path config = Files.createTempFile("sandkasten-tenants-", ".yaml");
        Files.writeString(config, """
                tenants:
                  - name: a
                    key_sha256: %s
                  - name: b
                    key_sha256: %s
                  - name: q
                    key_sha256: %s
                    max_sessions: 2
                    max_concurrent_execs: 1
                """.formatted(digest(KEY_A), digest(KEY_B), digest(KEY_Q)));
        assertThat(Files.readString(config)).doesNotContain(KEY_A).doesNotContain(KEY_B);
        daemon = TestDaemon.start(Map.of(), config);
        String url = TestDaemon.url(daemon);
        a = new TestClient(url, KEY_A);
        b = new TestClient(url, KEY_B);
        quota = new TestClient(url, KEY_Q);
        admin = new TestClient(url, daemon.apiKey());
    }

    @AfterAll
    static void stop() {
        if (daemon != null) daemon.close();
    }

    private static String digest(String key) {
        return HexFormat.of().formatHex(TenantKeys.sha256(key));
    }

    @Test
    void anotherTenantsSessionIsNotFoundForEveryRoute() {
        String s = a.createSession();
        assertThat(a.exec(s, Map.of("cmd", "echo mine")).body().get("stdout").asText()).isEqualTo("mine\n");
        String base = "/v1/sessions/" + s;
        List<TestClient.Reply> foreign = new ArrayList<>();
        foreign.add(b.request("GET", base, null));
        foreign.add(b.request("POST", base + "/exec", Map.of("cmd", "echo theirs")));
        foreign.add(b.request("POST", base + "/exec/stream", Map.of("cmd", "echo theirs")));
        foreign.add(b.request("GET", base + "/execs", null));
        foreign.add(b.request("GET", base + "/stats", null));
        foreign.add(b.request("GET", base + "/fs/read?path=x", null));
        foreign.add(b.request("POST", base + "/fs/write", Map.of("path", "x", "text", "y")));
        foreign.add(b.request("DELETE", base, null));
        for (TestClient.Reply r : foreign) {
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.body().get("code").asText()).isEqualTo("SESSION_NOT_FOUND");
        }
        assertThat(ids(b.request("GET", "/v1/sessions", null).body())).doesNotContain(s);
        assertThat(ids(a.request("GET", "/v1/sessions", null).body())).contains(s);
        // The session is untouched by all that, and the admin sees and uses it.
        assertThat(a.exec(s, Map.of("cmd", "echo still")).body().get("stdout").asText()).isEqualTo("still\n");
        JsonNode seen = admin.request("GET", base, null).body();
        assertThat(seen.get("tenant").asText()).isEqualTo("a");
        assertThat(ids(admin.request("GET", "/v1/sessions", null).body())).contains(s);
        assertThat(admin.exec(s, Map.of("cmd", "echo admin")).body().get("stdout").asText()).isEqualTo("admin\n");
        // Once ended, it stays invisible to b (404) while a gets the contract's 410.
        assertThat(a.request("DELETE", base, null).status()).isEqualTo(200);
        assertThat(a.request("POST", base + "/exec", Map.of("cmd", "true")).status()).isEqualTo(410);
        assertThat(b.request("POST", base + "/exec", Map.of("cmd", "true")).status()).isEqualTo(404);
    }

    @Test
    void workspacesAreEachTenantsOwn() {
        String path = "/v1/workspaces/proj/fs/write";
        assertThat(a.request("POST", path, Map.of("path", "who.txt", "text", "a")).status()).isEqualTo(200);
        assertThat(b.request("POST", path, Map.of("path", "who.txt", "text", "b")).status()).isEqualTo(200);
        assertThat(read(a, "/v1/workspaces/proj/fs/read?path=who.txt")).isEqualTo("a");
        assertThat(read(b, "/v1/workspaces/proj/fs/read?path=who.txt")).isEqualTo("b");
        // A session of b with workspace_id proj mounts b's, not a's.
        String s = b.request("POST", "/v1/sessions", Map.of("workspace_id", "proj")).body().get("id").asText();
        assertThat(b.exec(s, Map.of("cmd", "cat who.txt")).body().get("stdout").asText()).isEqualTo("b");
        b.destroy(s);
        assertThat(a.request("POST", "/v1/workspaces/aonly/fs/write", Map.of("path", "f", "text", "x")).status())
                .isEqualTo(200);
        assertThat(workspaceIds(b.request("GET", "/v1/workspaces", null).body())).contains("b/proj").doesNotContain("a/aonly");
        assertThat(b.request("GET", "/v1/workspaces/aonly/fs/read?path=f", null).status()).isEqualTo(404);
        assertThat(b.request("DELETE", "/v1/workspaces/aonly", null).status()).isEqualTo(404);
        assertThat(b.request("GET", "/v1/workspaces/proj/fs/read?path=who.txt&tenant=a", null).status()).isEqualTo(400);
        // The admin lists everyone's and reaches a tenant's with ?tenant=.
        assertThat(workspaceIds(admin.request("GET", "/v1/workspaces", null).body())).contains("a/proj", "b/proj", "a/aonly");
        assertThat(read(admin, "/v1/workspaces/proj/fs/read?path=who.txt&tenant=a")).isEqualTo("a");
        assertThat(admin.request("DELETE", "/v1/workspaces/aonly?tenant=a", null).status()).isEqualTo(200);
        assertThat(a.request("GET", "/v1/workspaces/aonly/fs/read?path=f", null).status()).isEqualTo(404);
    }

    @Test
    void quotasAnswer429AndFreeUpAgain() throws Exception {
        String s1 = quota.createSession();
        String s2 = quota.createSession();
        TestClient.Reply third = quota.request("POST", "/v1/sessions", Map.of());
        assertThat(third.status()).isEqualTo(429);
        assertThat(third.body().get("code").asText()).isEqualTo("QUOTA_EXCEEDED");
        assertThat(third.body().get("error").asText()).contains("tenant 'q'", "limit");
        // Other tenants are not affected by q's quota.
        b.destroy(b.createSession());

        String running = quota.request("POST", "/v1/sessions/" + s1 + "/exec", Map.of("cmd", "sleep 30", "background", true))
                .body().get("exec_id").asText();
        TestClient.Reply second = quota.request("POST", "/v1/sessions/" + s2 + "/exec", Map.of("cmd", "true"));
        assertThat(second.status()).isEqualTo(429);
        assertThat(second.body().get("error").asText()).contains("commands running or queued");
        assertThat(quota.request("DELETE", "/v1/sessions/" + s1 + "/execs/" + running, null).status()).isEqualTo(200);
        // The cancelled command stops counting once it has ended.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                quota.request("POST", "/v1/sessions/" + s2 + "/exec", Map.of("cmd", "true")).status() == 200);

        quota.destroy(s1);
        String s3 = quota.createSession();
        quota.destroy(s2);
        quota.destroy(s3);
    }

    private static String read(TestClient c, String path) {
        TestClient.Reply r = c.request("GET", path, null);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        return new String(java.util.Base64.getDecoder().decode(r.body().get("content_base64").asText()),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    private static List<String> ids(JsonNode sessions) {
        JsonNode arr = sessions.isArray() ? sessions : sessions.get("sessions");
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.get("id").asText()));
        return out;
    }

    private static List<String> workspaceIds(JsonNode body) {
        List<String> out = new ArrayList<>();
        body.get("workspaces").forEach(n -> out.add(n.get("tenant").asText() + "/" + n.get("id").asText()));
        return out;
    }
}
