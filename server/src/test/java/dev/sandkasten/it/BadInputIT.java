package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile and broken HTTP, sent byte for byte on raw sockets (the point is what reaches the
 * server, which no client library would send): every case gets a 4xx with the JSON error shape,
 * slow clients do not starve the others, and the session's state survives all of it.
 */
class BadInputIT extends SessionFixture {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Answer(int status, JsonNode body) {}

    private static int port() {
        return URI.create(TestDaemon.url(TestDaemon.shared())).getPort();
    }

    private static String key() {
        return TestDaemon.shared().apiKey();
    }

    /**
     * Sends raw bytes and reads one response (the server closes or sends Content-Length). A
     * server may answer and close before a huge request is all sent, as for an oversized header;
     * the write then fails, and the answer is read all the same, as curl would.
     */
    private static Answer send(byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout(20_000);
            try {
                s.getOutputStream().write(request);
                s.getOutputStream().flush();
            } catch (IOException answeredEarly) {
                if (request.length < 65_536) throw answeredEarly;
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) break;
                head.write(c);
            }
            String h = head.toString(StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(h.substring(9, 12));
            int length = 0;
            for (String line : h.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
            }
            byte[] body = in.readNBytes(length);
            return new Answer(status, length == 0 ? null : JSON.readTree(body));
        }
    }

    private static byte[] post(String path, byte[] body) {
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    private static void expect(Answer a, int status, String code) {
        assertThat(a.status()).isEqualTo(status);
        assertThat(a.body()).as("JSON error body").isNotNull();
        assertThat(a.body().get("code").asText()).isEqualTo(code);
        assertThat(a.body().get("error").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("/tmp/");
    }

    @Test
    void brokenJsonAndWrongTypesGetAClear400() throws Exception {
        run("echo keep > /workspace/kept");
        String exec = "/v1/sessions/" + session.id() + "/exec";
        byte[] ascii = "{\"cmd\": ".getBytes(StandardCharsets.US_ASCII);
        expect(send(post(exec, ascii)), 400, "INVALID_REQUEST");
        String nested = "{\"cmd\":\"true\",\"env\":" + "{\"a\":".repeat(5000) + "1" + "}".repeat(5000) + "}";
        expect(send(post(exec, nested.getBytes(StandardCharsets.US_ASCII))), 400, "INVALID_REQUEST");
        expect(send(post(exec, "[".repeat(100_000).getBytes(StandardCharsets.US_ASCII))), 400, "INVALID_REQUEST");
        expect(send(post(exec, new byte[] {'{', '"', 'c', 'm', 'd', '"', ':', '"', (byte) 0xFF, (byte) 0xFE, '"', '}'})),
                400, "INVALID_REQUEST");
        expect(send(post(exec, "{\"cmd\":5}".getBytes(StandardCharsets.US_ASCII))), 400, "INVALID_REQUEST");
        expect(send(post(exec, "{\"cmd\":\"true\",\"timeout_ms\":\"soon\"}".getBytes(StandardCharsets.US_ASCII))), 400, "INVALID_REQUEST");
        expect(send(post(exec, "{\"cmd\":\"true\",\"env\":[\"A=1\"]}".getBytes(StandardCharsets.US_ASCII))), 400, "INVALID_REQUEST");
        expect(send(post(exec, "[]".getBytes(StandardCharsets.US_ASCII))), 400, "INVALID_REQUEST");
        // Unknown fields are ignored (newer clients may send more).
        Answer ok = send(post(exec, "{\"cmd\":\"cat /workspace/kept\",\"from_the_future\":{\"x\":1}}".getBytes(StandardCharsets.US_ASCII)));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body().get("output").asText()).isEqualTo("keep\n");
    }

    @Test
    void malformedHttpHugeHeadersAndOddPathsGetA4xx() throws Exception {
        expect(send("GARBAGE\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), 400, "INVALID_REQUEST");
        Answer big = send(("GET /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key() + "\r\nX-Big: "
                + "a".repeat(200_000) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(big.status()).isBetween(400, 431);
        assertThat(big.body().get("code").asText()).isEqualTo("INVALID_REQUEST");
        for (String path : List.of("/v1/sessions/..%2F..%2Fetc%2Fpasswd", "/v1/sessions/%00", "/v1/sessions/%2e%2e",
                "/v1/sessions/" + session.id() + "/execs/..%2F..")) {
            Answer a = send(("GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(a.status()).as(path).isBetween(400, 404);
        }
        // A known path with a method it does not serve: 405, naming the methods it does.
        for (String line : List.of("PUT /v1/sessions", "PATCH /v1/sessions/" + session.id() + "/exec",
                "POST /v1/workspaces/w/fs/raw", "DELETE /v1/sessions/" + session.id() + "/stats")) {
            Answer a = send((line + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key()
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            expect(a, 405, "METHOD_NOT_ALLOWED");
            assertThat(a.body().get("error").asText()).as(line).contains("allowed:");
        }
        expect(send(("PUT /v1/nothing-here HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key()
                + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII)), 404, "NOT_FOUND");
        byte[] xml = ("POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key()
                + "\r\nContent-Type: application/xml\r\nContent-Length: 7\r\nConnection: close\r\n\r\n<a></a>")
                .getBytes(StandardCharsets.US_ASCII);
        expect(send(xml), 415, "UNSUPPORTED_MEDIA_TYPE");
        assertThat(run("cat /workspace/kept 2>/dev/null || echo still-here")).isNotBlank();
    }

    @Test
    void slowClientsDoNotStarveTheOthers() throws Exception {
        // Fifty connections that send half a request and then trickle one header byte at a time.
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                Socket s = new Socket("127.0.0.1", port());
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/sessions/" + session.id() + "/exec HTTP/1.1\r\nHost: x\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                slow.add(s);
            }
            long t = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                for (Socket s : slow) s.getOutputStream().write('a');
                assertThat(run("echo " + i)).isEqualTo(i + "\n");
            }
            assertThat((System.nanoTime() - t) / 1e9).as("seconds for five commands beside 50 slow clients").isLessThan(20);
        } finally {
            for (Socket s : slow) s.close();
        }
    }
}
