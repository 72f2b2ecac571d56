package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Persistent workspaces: mounted by workspace_id, outliving sessions, shared, listed and deleted. */
class WorkspacesIT {
    private final TestClient raw = TestDaemon.client();

    private String newWorkspaceId() {
        return "ws-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private String createSession(String workspaceId) {
        var r = raw.request("POST", "/v1/sessions", Map.of("workspace_id", workspaceId));
        assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(201);
        assertThat(r.body().get("workspace_id").asText()).isEqualTo(workspaceId);
        return r.body().get("id").asText();
    }

    private String exec(String session, String cmd) {
        var r = raw.request("POST", "/v1/sessions/" + session + "/exec", Map.of("cmd", cmd));
        assertThat(r.status()).isEqualTo(200);
        return r.body().get("output").asText();
    }

    private void destroy(String session) {
        assertThat(raw.request("DELETE", "/v1/sessions/" + session, null).status()).isEqualTo(200);
    }

    @Test
    void filesOutliveTheSessionAndTheNextSessionSeesThem() {
        String ws = newWorkspaceId();
        String s1 = createSession(ws);
        exec(s1, "echo kept > /workspace/kept.txt && mkdir -p sub && echo deep > sub/d.txt");
        destroy(s1);
        String s2 = createSession(ws);
        assertThat(exec(s2, "cat kept.txt sub/d.txt; pwd")).isEqualTo("kept\ndeep\n/workspace\n");
        var read = raw.request("GET", "/v1/sessions/" + s2 + "/fs/read?path=kept.txt", null);
        assertThat(new String(Base64.getDecoder().decode(read.body().get("content_base64").asText()), StandardCharsets.UTF_8))
                .isEqualTo("kept\n");
        destroy(s2);
        assertThat(raw.request("DELETE", "/v1/workspaces/" + ws, null).status()).isEqualTo(200);
    }

    @Test
    void writeWithoutASessionThenASessionReadsIt() {
        String ws = newWorkspaceId();
        var w = raw.request("POST", "/v1/workspaces/" + ws + "/fs/write", Map.of("path", "src/main.py", "text", "print('hi')\n"));
        assertThat(w.status()).isEqualTo(200);
        assertThat(w.body().get("path").asText()).isEqualTo("/workspace/src/main.py");
        var list = raw.request("GET", "/v1/workspaces", null);
        assertThat(list.status()).isEqualTo(200);
        JsonNode mine = null;
        for (JsonNode n : list.body().get("workspaces")) if (n.get("id").asText().equals(ws)) mine = n;
        assertThat(mine).isNotNull();
        assertThat(mine.get("created_at").asText()).endsWith("Z");
        assertThat(raw.request("GET", "/v1/workspaces/" + ws + "/fs/list", null).body().get("entries").get(0).get("name").asText())
                .isEqualTo("src");

        String s = createSession(ws);
        assertThat(exec(s, "python3 src/main.py; stat -c %u src/main.py")).isEqualTo("hi\n1000\n");
        destroy(s);
        assertThat(raw.request("DELETE", "/v1/workspaces/" + ws, null).status()).isEqualTo(200);
        assertThat(raw.request("GET", "/v1/workspaces/" + ws + "/fs/list", null).status()).isEqualTo(404);
        assertThat(raw.request("DELETE", "/v1/workspaces/" + ws, null).status()).isEqualTo(404);
    }

    @Test
    void twoSessionsShareOneWorkspaceLiveAndDeletingItInUseIs409() {
        String ws = newWorkspaceId();
        String a = createSession(ws);
        String b = createSession(ws);
        exec(a, "echo from-a > shared.txt");
        assertThat(exec(b, "cat shared.txt")).isEqualTo("from-a\n");
        var del = raw.request("DELETE", "/v1/workspaces/" + ws, null);
        assertThat(del.status()).isEqualTo(409);
        assertThat(del.body().get("code").asText()).isEqualTo("CONFLICT");
        destroy(a);
        assertThat(raw.request("DELETE", "/v1/workspaces/" + ws, null).status()).isEqualTo(409);
        assertThat(exec(b, "cat shared.txt")).isEqualTo("from-a\n");
        destroy(b);
        assertThat(raw.request("DELETE", "/v1/workspaces/" + ws, null).status()).isEqualTo(200);
    }

    @Test
    void workspaceIdsAreValidated() {
        for (String bad : new String[] {"", "../x", ".hidden", "a/b", "x".repeat(65), "sp ace"}) {
            var r = raw.request("POST", "/v1/sessions", Map.of("workspace_id", bad));
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.body().get("code").asText()).isEqualTo("INVALID_REQUEST");
        }
        assertThat(raw.request("POST", "/v1/sessions", Map.of("workspace_id", 5)).status()).isEqualTo(400);
        assertThat(raw.request("POST", "/v1/workspaces/.hidden/fs/write", Map.of("path", "a", "text", "x")).status()).isEqualTo(400);
        assertThat(raw.request("DELETE", "/v1/workspaces/..", null).status()).isBetween(400, 404);
        // Nothing was created for the refused ids.
        for (String root : new String[] {"workspaces", "volume/workspaces"}) {
            assertThat(TestDaemon.sharedDataDir().resolve(root).resolve(".hidden")).doesNotExist();
        }
    }

    @Test
    void hostileSymlinksInAWorkspaceLeadNowhereWithoutASessionToo() throws Exception {
        String ws = newWorkspaceId();
        String s = createSession(ws);
        exec(s, "ln -s /etc/passwd p; ln -s " + TestDaemon.sharedDataDir() + " d");
        destroy(s);
        assertThat(raw.request("GET", "/v1/workspaces/" + ws + "/fs/read?path=p", null).status()).isBetween(400, 499);
        assertThat(raw.request("POST", "/v1/workspaces/" + ws + "/fs/write", Map.of("path", "d/planted", "text", "x")).status())
                .isBetween(400, 499);
        assertThat(TestDaemon.sharedDataDir().resolve("planted")).doesNotExist();
        assertThat(raw.request("DELETE", "/v1/workspaces/" + ws, null).status()).isEqualTo(200);
        assertThat(Path.of("/etc/passwd")).exists();
        assertThat(TestDaemon.sharedDataDir().resolve("sessions")).exists();
    }
}
