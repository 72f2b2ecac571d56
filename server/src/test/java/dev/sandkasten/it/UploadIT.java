package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandkasten.daemon.Daemon;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract's multipart upload, its streaming, and the size limits (413) of every write route. */
class UploadIT extends SessionFixture {
    private static final String BOUNDARY = "sk-test-boundary-7f3a";
    private final HttpClient http = HttpClient.newHttpClient();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static InputStream field(String name, String value) {
        return new ByteArrayInputStream(ascii("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name
                + "\"\r\n\r\n" + value + "\r\n"));
    }

    private static InputStream filePart(String name, String filename, InputStream content) {
        InputStream head = new ByteArrayInputStream(ascii("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\""
                + name + "\"; filename=\"" + filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n"));
        return new SequenceInputStream(Collections.enumeration(List.of(head, content, new ByteArrayInputStream(ascii("\r\n")))));
    }

    private static InputStream end() {
        return new ByteArrayInputStream(ascii("--" + BOUNDARY + "--\r\n"));
    }

    private HttpResponse<String> upload(Daemon d, String base, List<InputStream> parts) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(TestDaemon.url(d) + base + "/fs/upload"))
                .header("Authorization", "Bearer " + d.apiKey())
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .timeout(Duration.ofMinutes(3))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SequenceInputStream(Collections.enumeration(parts))))
                .build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void filesGoIntoThePathDirectoryUnderTheirNames() throws Exception {
        var r = upload(TestDaemon.shared(), "/v1/sessions/" + session.id(), List.of(
                field("path", "up/dir"),
                filePart("files", "a.txt", new ByteArrayInputStream(ascii("alpha\r\n--not-a-boundary\n"))),
                filePart("files", "../../b.bin", new ByteArrayInputStream(new byte[] {0, 13, 10, 45, 45, (byte) 255})),
                end()));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = TestClient.JSON.readTree(r.body());
        assertThat(body.get("ok").asBoolean()).isTrue();
        assertThat(body.get("paths").get(0).asText()).isEqualTo("/workspace/up/dir/a.txt");
        assertThat(body.get("paths").get(1).asText()).isEqualTo("/workspace/up/dir/b.bin");
        assertThat(run("cat up/dir/a.txt")).isEqualTo("alpha\r\n--not-a-boundary\n".replace("\r\n", "\n"));
        assertThat(run("od -An -tx1 up/dir/b.bin").strip()).isEqualTo("00 0d 0a 2d 2d ff");
    }

    @Test
    void aSingleFilePartDefaultsToTheWorkspaceAndLargePartsStream() throws Exception {
        long size = 200L << 20;
        InputStream zeros = new InputStream() {
            long left = size;

            @Override
            public int read() {
                return left-- > 0 ? 'z' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) return -1;
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 'z');
                left -= n;
                return n;
            }
        };
        var r = upload(TestDaemon.shared(), "/v1/sessions/" + session.id(), List.of(filePart("file", "big.txt", zeros), end()));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(run("stat -c %s /workspace/big.txt; tr -d z < big.txt | wc -c; rm big.txt")).isEqualTo(size + "\n0\n");
    }

    @Test
    void badUploadsAre4xx() throws Exception {
        String base = "/v1/sessions/" + session.id();
        assertThat(upload(TestDaemon.shared(), base, List.of(field("path", "x"), end())).statusCode()).isEqualTo(400);
        assertThat(upload(TestDaemon.shared(), base, List.of(new ByteArrayInputStream(ascii("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t\"\r\n\r\nno end")))).statusCode())
                .isEqualTo(400);
        assertThat(upload(TestDaemon.shared(), base, List.of(field("path", "../.."), filePart("file", "x", new ByteArrayInputStream(ascii("x"))), end())).statusCode())
                .isEqualTo(400);
        var json = TestDaemon.client().request("POST", base + "/fs/upload", Map.of("path", "x"));
        assertThat(json.status()).isEqualTo(415);
    }

    @Test
    void fileSizeLimitsAnswer413AndLeaveNothing() throws Exception {
        try (Daemon d = TestDaemon.start(Map.of("max_file_bytes", "1KiB", "max_read_bytes", "1KiB"))) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            String sid = c.request("POST", "/v1/sessions", Map.of()).body().get("id").asText();
            String base = "/v1/sessions/" + sid;
            var w = c.request("POST", base + "/fs/write", Map.of("path", "w.txt", "text", "x".repeat(2000)));
            assertThat(w.status()).isEqualTo(413);
            assertThat(w.body().get("code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");
            var u = upload(d, base, List.of(filePart("file", "u.txt", new ByteArrayInputStream(new byte[5000])), end()));
            assertThat(u.statusCode()).isEqualTo(413);
            var put = http.send(HttpRequest.newBuilder(URI.create(TestDaemon.url(d) + base + "/fs/raw?path=p.txt"))
                    .header("Authorization", "Bearer " + d.apiKey())
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[5000])).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).isEqualTo(413);
            // A streamed upload (no Content-Length) is cut off at the limit, and the file it would
            // have replaced stays as it was: nothing partial, no temporary file left.
            assertThat(c.request("POST", base + "/fs/write", Map.of("path", "p.txt", "text", "old")).status()).isEqualTo(200);
            var streamed = http.send(HttpRequest.newBuilder(URI.create(TestDaemon.url(d) + base + "/fs/raw?path=p.txt"))
                    .header("Authorization", "Bearer " + d.apiKey())
                    .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[300_000]))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(streamed.statusCode()).isEqualTo(413);
            assertThat(c.exec(sid, Map.of("cmd", "cat p.txt")).body().get("stdout").asText()).isEqualTo("old");
            assertThat(c.request("POST", base + "/fs/write", Map.of("path", "ok.txt", "text", "x".repeat(1024))).status()).isEqualTo(200);
            assertThat(c.request("GET", base + "/fs/read?path=ok.txt", null).status()).isEqualTo(200);
            c.request("POST", "/v1/sessions/" + sid + "/exec", Map.of("cmd", "head -c 2000 /dev/zero > r.bin"));
            assertThat(c.request("GET", base + "/fs/read?path=r.bin", null).status()).isEqualTo(413);
            assertThat(c.request("GET", base + "/fs/read?path=r.bin&max_bytes=100", null).body().get("truncated").asBoolean()).isTrue();
            var ls = c.request("GET", base + "/fs/list", null).body().get("entries");
            assertThat(ls.findValuesAsText("name")).containsExactlyInAnyOrder("ok.txt", "r.bin", "p.txt");
            c.request("DELETE", base, null);
        }
    }
}
