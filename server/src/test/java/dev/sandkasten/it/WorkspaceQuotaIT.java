package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.daemon.Daemon;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code workspace_quota}: every workspace, a session's own or a persistent one, is a file system
 * of that size, so a session that fills it gets ENOSPC (and the file routes 413) while the host's
 * disk is untouched; its mounts go with the session, the workspace, or the daemon.
 */
class WorkspaceQuotaIT {
    @Test
    void aFullWorkspaceFailsWritesAndLeavesNoMountBehind() throws Exception {
        Path data = Files.createTempDirectory("sandkasten-it-quota-");
        try (Daemon d = TestDaemon.start(Map.of("data_dir", data.toString(), "workspace_quota", "32MiB"))) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            String s = c.createSession();
            String out = c.exec(s, Map.of("cmd", "dd if=/dev/zero of=big bs=1M count=64 2>&1 | grep -c 'No space left'; "
                    + "echo size $(( $(stat -c %s big) >> 20 )); df -k --output=size /workspace | tail -1; ls -A"))
                    .body().get("stdout").asText();
            List<String> lines = out.lines().toList();
            assertThat(lines.get(0)).isEqualTo("1");
            assertThat(Integer.parseInt(lines.get(1).substring(5))).isBetween(16, 32);
            assertThat(Long.parseLong(lines.get(2).trim())).isLessThanOrEqualTo(32 * 1024);
            assertThat(lines.subList(3, lines.size())).containsExactly("big"); // no lost+found
            HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(TestDaemon.url(d) + "/v1/sessions/" + s + "/fs/raw?path=more.bin"))
                    .header("Authorization", "Bearer " + d.apiKey())
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[20 << 20])).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).isEqualTo(413);
            assertThat(put.body()).contains("workspace is full");
            assertThat(mountsBelow(data)).hasSize(1);
            c.destroy(s);
            assertThat(mountsBelow(data)).isEmpty();

            // A persistent workspace keeps its files (and its size) across sessions.
            String w1 = c.request("POST", "/v1/sessions", Map.of("workspace_id", "q")).body().get("id").asText();
            c.exec(w1, Map.of("cmd", "echo kept > f; head -c 40000000 /dev/zero > big 2>/dev/null; rm big"));
            c.destroy(w1);
            String w2 = c.request("POST", "/v1/sessions", Map.of("workspace_id", "q")).body().get("id").asText();
            assertThat(c.exec(w2, Map.of("cmd", "cat f; df -k --output=size /workspace | tail -1")).body().get("stdout").asText())
                    .startsWith("kept\n");
            c.destroy(w2);
            assertThat(c.request("DELETE", "/v1/workspaces/q", null).status()).isEqualTo(200);
            assertThat(mountsBelow(data)).isEmpty();
            assertThat(data.resolve("workspaces/q")).doesNotExist();
            c.request("POST", "/v1/workspaces/r/fs/write", Map.of("path", "x", "text", "y"));
            assertThat(mountsBelow(data)).hasSize(1);
        }
        assertThat(mountsBelow(data)).isEmpty();
    }

    private static List<String> mountsBelow(Path dir) throws Exception {
        String prefix = dir.toAbsolutePath().toString() + "/";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                .filter(p -> p.startsWith(prefix)).toList();
    }
}
