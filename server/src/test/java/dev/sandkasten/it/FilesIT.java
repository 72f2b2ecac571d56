package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The file routes of a session: the contract's write and read, and our raw, list, stat, mkdir and delete. */
class FilesIT extends SessionFixture {
    private final TestClient raw = TestDaemon.client();

    private String base() {
        return "/v1/sessions/" + session.id();
    }

    @Test
    void writeTextThenTheShellSeesItAndReadGivesItBack() {
        var w = raw.request("POST", base() + "/fs/write", Map.of("path", "notes/hello.txt", "text", "grüß dich\n"));
        assertThat(w.status()).isEqualTo(200);
        assertThat(w.body().get("ok").asBoolean()).isTrue();
        assertThat(run("cat /workspace/notes/hello.txt")).isEqualTo("grüß dich\n");
        assertThat(run("stat -c %u:%g /workspace/notes/hello.txt /workspace/notes").strip()).isEqualTo("1000:1000\n1000:1000");

        var r = raw.request("GET", base() + "/fs/read?path=" + RawFiles.q("/workspace/notes/hello.txt"), null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("path").asText()).isEqualTo("/workspace/notes/hello.txt");
        assertThat(new String(Base64.getDecoder().decode(r.body().get("content_base64").asText()), StandardCharsets.UTF_8))
                .isEqualTo("grüß dich\n");
        assertThat(r.body().get("truncated").asBoolean()).isFalse();
    }

    @Test
    void binaryRoundTripsAndMaxBytesTruncates() {
        byte[] bytes = new byte[256];
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) i;
        var w = raw.request("POST", base() + "/fs/write",
                Map.of("path", "bin/all.bytes", "content_base64", Base64.getEncoder().encodeToString(bytes)));
        assertThat(w.status()).isEqualTo(200);
        assertThat(run("sha256sum < bin/all.bytes | cut -c1-16")).isEqualTo(run("printf \"$(printf '\\\\%03o' $(seq 0 255))\" | sha256sum | cut -c1-16"));
        var r = raw.request("GET", base() + "/fs/read?path=bin/all.bytes&max_bytes=10", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(Base64.getDecoder().decode(r.body().get("content_base64").asText())).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(r.body().get("truncated").asBoolean()).isTrue();
    }

    @Test
    void listStatMkdirDelete() {
        assertThat(raw.request("POST", base() + "/fs/mkdir", Map.of("path", "tree/a/b")).status()).isEqualTo(200);
        run("printf 12345 > tree/f.txt; ln -s f.txt tree/link");
        var l = raw.request("GET", base() + "/fs/list?path=tree", null);
        assertThat(l.status()).isEqualTo(200);
        JsonNode entries = l.body().get("entries");
        assertThat(entries).hasSize(3);
        assertThat(entries.get(0).get("name").asText()).isEqualTo("a");
        assertThat(entries.get(0).get("type").asText()).isEqualTo("directory");
        assertThat(entries.get(1).get("name").asText()).isEqualTo("f.txt");
        assertThat(entries.get(1).get("size").asLong()).isEqualTo(5);
        assertThat(entries.get(1).get("path").asText()).isEqualTo("/workspace/tree/f.txt");
        assertThat(entries.get(2).get("type").asText()).isEqualTo("symlink");

        var s = raw.request("GET", base() + "/fs/stat?path=tree/f.txt", null);
        assertThat(s.status()).isEqualTo(200);
        assertThat(s.body().get("type").asText()).isEqualTo("file");
        assertThat(s.body().get("size").asLong()).isEqualTo(5);
        assertThat(raw.request("GET", base() + "/fs/stat?path=tree/nope", null).status()).isEqualTo(404);

        assertThat(raw.request("DELETE", base() + "/fs?path=tree", null).status()).isEqualTo(200);
        assertThat(run("ls -A /workspace/tree 2>&1 || echo gone")).contains("gone");
        assertThat(raw.request("DELETE", base() + "/fs?path=tree", null).status()).isEqualTo(404);
    }

    @Test
    void rawUploadAndDownloadWithTypeAndLength() throws Exception {
        byte[] data = "{\"a\": 1}\n".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> up = RawFiles.upload(base(), "data/x.json", () -> new java.io.ByteArrayInputStream(data), data.length);
        assertThat(up.statusCode()).isEqualTo(200);
        HttpResponse<InputStream> down = RawFiles.download(base(), "data/x.json");
        assertThat(down.statusCode()).isEqualTo(200);
        assertThat(down.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(down.headers().firstValueAsLong("content-length")).hasValue(data.length);
        try (InputStream in = down.body()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        assertThat(RawFiles.download(base(), "data/missing.bin").statusCode()).isEqualTo(404);
        assertThat(RawFiles.download(base(), "data").statusCode()).isEqualTo(400);
    }

    @Test
    void oneGigabyteStreamsBothWays() throws Exception {
        long size = 1L << 30;
        long heapBefore = usedHeap();
        HttpResponse<String> up = RawFiles.upload(base(), "big.bin", () -> new ZeroStream(size), size);
        assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
        assertThat(run("stat -c %s big.bin").strip()).isEqualTo(Long.toString(size));
        HttpResponse<InputStream> down = RawFiles.download(base(), "big.bin");
        assertThat(down.headers().firstValueAsLong("content-length")).hasValue(size);
        long total = 0;
        try (InputStream in = down.body()) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) total += n;
        }
        assertThat(total).isEqualTo(size);
        // Loose: the daemon runs in this JVM; holding the file would need a gigabyte of heap.
        assertThat(usedHeap() - heapBefore).isLessThan(512L << 20);
        run("rm big.bin");
    }

    private static long usedHeap() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void badInputIsA4xxWithACode() {
        assertThat(raw.request("POST", base() + "/fs/write", Map.of("text", "x")).body().get("code").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(raw.request("POST", base() + "/fs/write", Map.of("path", "a", "text", "x", "content_base64", "eA==")).status()).isEqualTo(400);
        assertThat(raw.request("POST", base() + "/fs/write", Map.of("path", "a", "content_base64", "**")).status()).isEqualTo(400);
        assertThat(raw.request("POST", base() + "/fs/write", Map.of("path", "/workspace", "text", "x")).status()).isEqualTo(400);
        assertThat(raw.request("GET", base() + "/fs/read", null).status()).isEqualTo(400);
        assertThat(raw.request("GET", base() + "/fs/read?path=a&max_bytes=x", null).status()).isEqualTo(400);
        assertThat(raw.request("GET", base() + "/fs/read?path=a&max_bytes=999999999999", null).status()).isEqualTo(413);
        assertThat(raw.request("GET", "/v1/sessions/sb_nope/fs/read?path=a", null).body().get("code").asText()).isEqualTo("SESSION_NOT_FOUND");
        run("mkdir -p dir_here");
        var r = raw.request("GET", base() + "/fs/read?path=dir_here", null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(raw.request("POST", base() + "/fs/write", Map.of("path", "dir_here", "text", "x")).status()).isEqualTo(400);
    }

    /** A stream of zero bytes of a given length, generated on the fly. */
    private static final class ZeroStream extends InputStream {
        private long left;

        ZeroStream(long size) {
            left = size;
        }

        @Override
        public int read() {
            if (left == 0) return -1;
            left--;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) return -1;
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }
}
