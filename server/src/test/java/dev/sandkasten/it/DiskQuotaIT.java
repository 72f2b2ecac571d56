package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.daemon.Daemon;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The disk quota: every session, and every persistent workspace, is a subvolume of the data
 * directory's btrfs volume with a qgroup limit of {@code workspace_quota}. A session that fills
 * its quota gets EDQUOT (the file routes 413) while the others write on; the volume's size bounds
 * them all, so the host's disk is never filled; the volume is unmounted at stop.
 */
class DiskQuotaIT {
    @Test
    void aFullSessionFailsItsWritesAndNoOtherSessionsOrWorkspaces() throws Exception {
        Path data = Files.createTempDirectory("sandkasten-it-quota-");
        try (Daemon d = TestDaemon.start(Map.of("data_dir", data.toString(), "workspace_quota", "32MiB",
                "disk_volume_size", "1GiB"))) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            assertThat(Files.size(data.resolve("volume.img"))).isEqualTo(1L << 30);
            String full = c.createSession();
            String out = stdout(c, full, "dd if=/dev/zero of=big bs=1M count=64 2>&1 | grep -c 'Disk quota exceeded';"
                    + " echo size $(( $(stat -c %s big) >> 20 ))");
            List<String> lines = out.lines().toList();
            assertThat(lines.get(0)).isEqualTo("1");
            assertThat(Integer.parseInt(lines.get(1).substring(5))).isBetween(16, 32);
            // The file routes say so too, and nothing is half-written.
            HttpResponse<String> put = put(d, "/v1/sessions/" + full + "/fs/raw?path=more.bin", 20 << 20);
            assertThat(put.statusCode()).isEqualTo(413);
            assertThat(put.body()).contains("workspace is full");
            assertThat(stdout(c, full, "ls -A")).isEqualTo("big\n");

            // Another session writes as much as its own quota allows meanwhile.
            String other = c.createSession();
            assertThat(stdout(c, other, "head -c 20000000 /dev/zero > f && echo ok")).isEqualTo("ok\n");
            // Deleting gives the space back.
            assertThat(stdout(c, full, "rm big; head -c 20000000 /dev/zero > f && echo ok")).isEqualTo("ok\n");
            c.destroy(full);
            assertThat(data.resolve("volume/sessions").resolve(full)).doesNotExist();

            // A persistent workspace has a quota of its own and keeps its files across sessions.
            String w1 = c.request("POST", "/v1/sessions", Map.of("workspace_id", "q")).body().get("id").asText();
            assertThat(stdout(c, w1, "echo kept > f; head -c 40000000 /dev/zero 2>&1 >big | grep -c 'quota exceeded'; rm big"))
                    .isEqualTo("1\n");
            c.destroy(w1);
            String w2 = c.request("POST", "/v1/sessions", Map.of("workspace_id", "q")).body().get("id").asText();
            assertThat(stdout(c, w2, "cat f")).isEqualTo("kept\n");
            c.destroy(w2);
            assertThat(data.resolve("volume/workspaces/q/files/f")).exists();
            assertThat(c.request("GET", "/v1/workspaces", null).body().toString()).contains("\"q\"");
            assertThat(c.request("DELETE", "/v1/workspaces/q", null).status()).isEqualTo(200);
            assertThat(data.resolve("volume/workspaces/q")).doesNotExist();
            // One made through the file routes alone gets its quota too; a write that does not fit
            // leaves the file it would have replaced as it was, and no partial file.
            assertThat(put(d, "/v1/workspaces/r/fs/raw?path=x", 1 << 20).statusCode()).isEqualTo(200);
            assertThat(put(d, "/v1/workspaces/r/fs/raw?path=x", 40 << 20).statusCode()).isEqualTo(413);
            String r = c.request("POST", "/v1/sessions", Map.of("workspace_id", "r")).body().get("id").asText();
            assertThat(stdout(c, r, "ls -A; stat -c %s x")).isEqualTo("x\n" + (1 << 20) + "\n");
        }
        assertThat(mountsBelow(data)).isEmpty();
    }

    @Test
    void theVolumeBoundsAllSessionsTogether() throws Exception {
        Path data = Files.createTempDirectory("sandkasten-it-volume-");
        try (Daemon d = TestDaemon.start(Map.of("data_dir", data.toString(), "workspace_quota", "4GiB",
                "disk_volume_size", "300MiB"))) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            String s = c.createSession();
            String out = stdout(c, s, "head -c 400000000 /dev/zero 2>&1 >big | grep -c 'No space left'; rm big; echo ok > f; cat f");
            assertThat(out).isEqualTo("1\nok\n");
            assertThat(Files.size(data.resolve("volume.img"))).isEqualTo(300L << 20);
        }
        assertThat(mountsBelow(data)).isEmpty();
    }

    @Test
    void theVolumeIsKeptAcrossRestartsAndWhatSessionsLeftInItIsRemoved() throws Exception {
        Path data = Files.createTempDirectory("sandkasten-it-volume-");
        Map<String, String> settings = Map.of("data_dir", data.toString(), "workspace_quota", "64MiB", "disk_volume_size", "512MiB");
        try (Daemon d = TestDaemon.start(settings)) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            c.request("POST", "/v1/workspaces/keep/fs/write", Map.of("path", "a", "text", "persisted"));
            // What a killed daemon's sessions leave behind.
            Files.writeString(Files.createDirectories(data.resolve("volume/sessions/sb_leftover/workspace")).resolve("f"), "x");
        }
        try (Daemon d = TestDaemon.start(settings)) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            String content = c.request("GET", "/v1/workspaces/keep/fs/read?path=a", null).body().get("content_base64").asText();
            assertThat(new String(Base64.getDecoder().decode(content), StandardCharsets.UTF_8)).isEqualTo("persisted");
            assertThat(data.resolve("volume/sessions/sb_leftover")).doesNotExist();
        }
        // With the quota turned off, the volume stays in use for what it holds; new subvolumes have
        // no limit. A larger volume size grows it.
        Map<String, String> off = Map.of("data_dir", data.toString(), "workspace_quota", "0", "disk_volume_size", "768MiB");
        try (Daemon d = TestDaemon.start(off)) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            String content = c.request("GET", "/v1/workspaces/keep/fs/read?path=a", null).body().get("content_base64").asText();
            assertThat(new String(Base64.getDecoder().decode(content), StandardCharsets.UTF_8)).isEqualTo("persisted");
            String s = c.createSession();
            assertThat(stdout(c, s, "fallocate -l 100M f && echo unlimited")).isEqualTo("unlimited\n");
            assertThat(data.resolve("volume/sessions").resolve(s)).exists();
            assertThat(Files.size(data.resolve("volume.img"))).isEqualTo(768L << 20);
            assertThat(stdout(c, s, "df -k --output=size /workspace | tail -1").trim()).isEqualTo(Long.toString(768 * 1024));
        }
        assertThat(mountsBelow(data)).isEmpty();
    }

    private static String stdout(TestClient c, String session, String cmd) {
        return c.exec(session, Map.of("cmd", cmd)).body().get("stdout").asText();
    }

    private static HttpResponse<String> put(Daemon d, String path, int bytes) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(TestDaemon.url(d) + path))
                .header("Authorization", "Bearer " + d.apiKey())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[bytes])).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> mountsBelow(Path dir) throws Exception {
        String prefix = dir.toAbsolutePath().toString() + "/";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                .filter(p -> p.startsWith(prefix)).toList();
    }
}
