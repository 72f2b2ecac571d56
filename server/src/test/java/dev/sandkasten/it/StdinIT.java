package dev.sandkasten.it;

import static dev.sandkasten.it.ExecResourcesIT.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code "stdin": true} and {@code POST .../execs/{id}/stdin}: input the daemon writes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StdinIT {
    final TestClient raw = TestDaemon.client();
    String session;

    @BeforeAll
    void createSession() {
        session = raw.createSession();
    }

    @AfterAll
    void destroySession() {
        raw.destroy(session);
    }

    private TestClient.Reply write(String id, Map<String, Object> body) {
        return raw.request("POST", "/v1/sessions/" + session + "/execs/" + id + "/stdin", body);
    }

    private void send(String id, String text) {
        TestClient.Reply r = write(id, Map.of("data", text));
        assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(200);
        assertThat(r.body().get("bytes").asInt()).isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }

    /** Reads events until the accumulated text of {@code stream} contains {@code expected}. */
    private static String readUntil(TestClient.Stream s, String stream, String expected) throws Exception {
        StringBuilder text = new StringBuilder();
        while (!text.toString().contains(expected)) {
            TestClient.Event e = s.next();
            assertThat(e).as("stream ended before " + expected + " in " + text).isNotNull();
            assertThat(e.name()).as(text.toString()).isEqualTo("chunk");
            if (e.data().get("stream").asText().equals(stream)) text.append(e.data().get("chunk").asText());
        }
        return text.toString();
    }

    @Test
    void readGetsALineTheClientWrites() throws Exception {
        try (var s = raw.stream(session, Map.of("cmd", "read -r name; echo \"hello $name\"", "stdin", true))) {
            String id = s.next().data().get("exec_id").asText();
            send(id, "wörld\n");
            List<TestClient.Event> rest = s.readAll();
            assertThat(rest.getFirst().data().get("chunk").asText()).isEqualTo("hello wörld\n");
            assertThat(rest.getLast().data().get("exit_code").asInt()).isZero();
        }
    }

    @Test
    void interactivePythonAnswersEachLineAndEndsAtTheEndOfInput() throws Exception {
        try (var s = raw.stream(session, Map.of("cmd", "python3 -i", "stdin", true))) {
            String id = s.next().data().get("exec_id").asText();
            readUntil(s, "stderr", ">>> ");
            send(id, "x = 6\n");
            send(id, "print(x * 7)\n");
            assertThat(readUntil(s, "stdout", "42\n")).isEqualTo("42\n");
            TestClient.Reply close = write(id, Map.of("close", true));
            assertThat(close.status()).isEqualTo(200);
            assertThat(close.body().get("closed").asBoolean()).isTrue();
            TestClient.Event last = s.readAll().getLast();
            assertThat(last.name()).isEqualTo("done");
            assertThat(last.data().get("exit_code").asInt()).isZero();
            expect(write(id, Map.of("data", "late\n")), 409, "STDIN_CLOSED");
        }
    }

    @Test
    void base64DataIsWrittenByteForByteAndCloseEndsTheInput() throws Exception {
        try (var s = raw.stream(session, Map.of("cmd", "od -An -tx1 | tr -s ' '; echo end", "stdin", true))) {
            String exec = s.next().data().get("exec_id").asText();
            byte[] bytes = {0, 1, 2, (byte) 0xff, (byte) 0xfe};
            TestClient.Reply r = write(exec, Map.of("data", Base64.getEncoder().encodeToString(bytes), "encoding", "base64",
                    "close", true));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body().get("bytes").asInt()).isEqualTo(5);
            String out = s.readAll().stream().filter(e -> e.name().equals("chunk"))
                    .map(e -> e.data().get("chunk").asText()).reduce("", String::concat);
            assertThat(out).isEqualTo(" 00 01 02 ff fe\nend\n");
        }
    }

    @Test
    void inputWrittenWhileTheCommandIsQueuedWaitsForIt() throws Exception {
        try (var first = raw.stream(session, Map.of("cmd", "sleep 1")); var second = raw.stream(session,
                Map.of("cmd", "cat; echo '<eof>'", "stdin", true))) {
            first.next();
            String id = second.next().data().get("exec_id").asText();
            assertThat(raw.request("GET", "/v1/sessions/" + session + "/execs/" + id, null).body().get("state").asText())
                    .isEqualTo("queued");
            send(id, "early ");
            assertThat(write(id, Map.of("data", "bird\n", "close", true)).status()).isEqualTo(200);
            first.readAll();
            String out = second.readAll().stream().filter(e -> e.name().equals("chunk"))
                    .map(e -> e.data().get("chunk").asText()).reduce("", String::concat);
            assertThat(out).isEqualTo("early bird\n<eof>\n");
        }
    }

    @Test
    void withoutStdinTheInputIsDevNullAndWritesAreRefused() {
        TestClient.Reply r = raw.exec(session, Map.of("cmd", "cat; echo done"));
        assertThat(r.body().get("stdout").asText()).isEqualTo("done\n");
        expect(write(r.body().get("exec_id").asText(), Map.of("data", "x")), 409, "NO_STDIN");
    }

    @Test
    void aCommandThatDoesNotReadMakesWritesWaitThenRefuses() {
        String id = raw.exec(session, Map.of("cmd", "sleep 60", "background", true, "stdin", true)).body()
                .get("exec_id").asText();
        try {
            String mib = "x".repeat(1 << 20);
            assertThat(write(id, Map.of("data", mib)).status()).isEqualTo(200);
            long t0 = System.nanoTime();
            expect(write(id, Map.of("data", "y".repeat(100_000))), 409, "STDIN_FULL");
            assertThat((System.nanoTime() - t0) / 1e9).isBetween(3.0, 30.0);
            expect(write(id, Map.of("data", "z".repeat((1 << 20) + 1))), 413, "PAYLOAD_TOO_LARGE");
        } finally {
            raw.request("DELETE", "/v1/sessions/" + session + "/execs/" + id, null);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> expect(write(id, Map.of("data", "x")), 409, "STDIN_CLOSED"));
    }

    @Test
    void aBackgroundCommandReadsItsInputToo() throws Exception {
        String id = raw.exec(session, Map.of("cmd", "read -r a; read -r b; echo \"$b $a\"", "background", true, "stdin", true))
                .body().get("exec_id").asText();
        send(id, "one\ntwo\n");
        try (var a = raw.attach(session, id, null, null)) {
            List<TestClient.Event> events = a.readAll();
            assertThat(events.get(1).data().get("chunk").asText()).isEqualTo("two one\n");
            assertThat(events.getLast().data().get("exit_code").asInt()).isZero();
        }
    }

    @Test
    void badWritesGetAClearError() {
        String id = raw.exec(session, Map.of("cmd", "sleep 60", "background", true, "stdin", true)).body()
                .get("exec_id").asText();
        try {
            expect(write(id, Map.of()), 400, "INVALID_REQUEST");
            expect(write(id, Map.of("data", "%%%", "encoding", "base64")), 400, "INVALID_REQUEST");
            expect(write(id, Map.of("data", "x", "encoding", "latin1")), 400, "INVALID_REQUEST");
            expect(write(id, Map.of("data", 5)), 400, "INVALID_REQUEST");
            expect(write(id, Map.of("data", "x", "close", "yes")), 400, "INVALID_REQUEST");
            expect(write("ex_nope", Map.of("data", "x")), 404, "EXEC_NOT_FOUND");
        } finally {
            raw.request("DELETE", "/v1/sessions/" + session + "/execs/" + id, null);
        }
    }
}
