package dev.sandkasten.it;

import static dev.sandkasten.it.ExecResourcesIT.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code "pty": true}: commands on a pseudo-terminal, and {@code POST .../execs/{id}/resize}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PtyIT {
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

    private static String text(List<TestClient.Event> events, String stream) {
        return events.stream().filter(e -> e.name().equals("chunk") && e.data().get("stream").asText().equals(stream))
                .map(e -> e.data().get("chunk").asText()).reduce("", String::concat);
    }

    /** Reads events until stdout contains {@code expected}; returns the stdout so far. */
    private static String readUntil(TestClient.Stream s, String expected) throws Exception {
        StringBuilder out = new StringBuilder();
        while (!out.toString().contains(expected)) {
            TestClient.Event e = s.next();
            assertThat(e).as("stream ended before " + expected + " in " + out).isNotNull();
            assertThat(e.name()).as(out.toString()).isEqualTo("chunk");
            if (e.data().get("stream").asText().equals("stdout")) out.append(e.data().get("chunk").asText());
        }
        return out.toString();
    }

    @Test
    void programsSeeATerminalOfTheRequestedSizeWithBothStreamsOnIt() throws Exception {
        try (var s = raw.stream(session, Map.of("cmd", "tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty; stty size; echo $TERM;"
                + " echo to-stderr >&2; exit 3", "pty", true, "cols", 100, "rows", 30, "raw_output", true))) {
            List<TestClient.Event> events = s.readAll();
            String out = text(events, "stdout");
            assertThat(out).contains("/dev/pts/").contains("is-a-tty\r\n").contains("30 100\r\n")
                    .contains("xterm-256color\r\n").contains("to-stderr\r\n");
            assertThat(text(events, "stderr")).isEmpty();
            assertThat(events.getLast().data().get("exit_code").asInt()).isEqualTo(3);
        }
    }

    @Test
    void cleanedOutputTurnsTheTerminalsCrlfAndColoursIntoPlainText() {
        TestClient.Reply r = raw.exec(session, Map.of("cmd", "printf 'plain\\n'; ls --color=auto -d /tmp", "pty", true));
        assertThat(r.body().get("stdout").asText()).isEqualTo("plain\n/tmp\n");
        TestClient.Reply rawOut = raw.exec(session, Map.of("cmd", "ls --color=auto -d /tmp", "pty", true, "raw_output", true));
        assertThat(rawOut.body().get("stdout").asText()).contains("\u001b[").contains("\r\n");
        assertThat(raw.request("GET", "/v1/sessions/" + session + "/execs/" + r.body().get("exec_id").asText(), null)
                .body().get("pty").asBoolean()).isTrue();
    }

    @Test
    void resizeChangesTheSizeAndTheProgramHearsOfIt() throws Exception {
        String py = "import os, signal, time\n"
                + "signal.signal(signal.SIGWINCH, lambda *a: print('size', *os.get_terminal_size(), flush=True))\n"
                + "print('ready', flush=True)\n"
                + "time.sleep(60)\n";
        try (var s = raw.stream(session, Map.of("cmd", "cat > /tmp/winch.py <<'EOF'\n" + py + "EOF\npython3 /tmp/winch.py", "pty", true))) {
            String id = s.next().data().get("exec_id").asText();
            readUntil(s, "ready");
            TestClient.Reply r = raw.request("POST", "/v1/sessions/" + session + "/execs/" + id + "/resize",
                    Map.of("cols", 132, "rows", 43));
            assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(200);
            assertThat(readUntil(s, "size 132 43")).contains("size 132 43");
            raw.request("DELETE", "/v1/sessions/" + session + "/execs/" + id, null);
            assertThat(s.readAll().getLast().data().get("code").asText()).isEqualTo("CANCELLED");
        }
    }

    /**
     * A resize sent the moment the terminal opens must not be undone by the size the command was
     * started with, which its wrapper sets once the terminal is open.
     */
    @Test
    void aResizeAsEarlyAsPossibleIsTheSizeThatStays() throws Exception {
        String base = "/v1/sessions/" + session + "/execs/";
        for (int round = 0; round < 10; round++) {
            String id = raw.exec(session, Map.of("cmd", "read -r x; stty size", "pty", true, "stdin", true, "rows", 24,
                    "cols", 80, "background", true)).body().get("exec_id").asText();
            TestClient.Reply r;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            do {
                r = raw.request("POST", base + id + "/resize", Map.of("cols", 120, "rows", 40));
                assertThat(r.status()).as(String.valueOf(r.body())).isIn(200, 409);
                assertThat(System.nanoTime()).as("the terminal to open").isLessThan(deadline);
            } while (r.status() != 200);
            raw.request("POST", base + id + "/stdin", Map.of("data", "go\n", "close", true));
            try (var a = raw.attach(session, id, null, null)) {
                assertThat(text(a.readAll(), "stdout").strip()).as("round " + round).endsWith("\n40 120");
            }
        }
    }

    @Test
    void aPtyCommandRunsInAChildShellSoOnlyFilesAndProcessesPersist() {
        raw.exec(session, Map.of("cmd", "cd /workspace; unset PTYVAR"));
        TestClient.Reply r = raw.exec(session, Map.of("cmd", "cd /tmp; export PTYVAR=1; f() { :; }; echo kept > /workspace/pty-file",
                "pty", true));
        assertThat(r.body().get("exit_code").asInt()).isZero();
        assertThat(r.body().get("cwd").asText()).isEqualTo("/workspace");
        TestClient.Reply after = raw.exec(session, Map.of("cmd", "pwd; echo \"[$PTYVAR]\"; type f >/dev/null 2>&1 || echo no-f; cat /workspace/pty-file"));
        assertThat(after.body().get("stdout").asText()).isEqualTo("/workspace\n[]\nno-f\nkept\n");
    }

    @Test
    void inputReachesTheTerminalAndIsEchoedAsATerminalDoes() throws Exception {
        try (var s = raw.stream(session, Map.of("cmd", "read -r x; echo \"got $x\"", "pty", true, "stdin", true))) {
            String id = s.next().data().get("exec_id").asText();
            TestClient.Reply w = raw.request("POST", "/v1/sessions/" + session + "/execs/" + id + "/stdin", Map.of("data", "hi\n"));
            assertThat(w.status()).isEqualTo(200);
            List<TestClient.Event> events = s.readAll();
            assertThat(text(events, "stdout")).isEqualTo("hi\ngot hi\n");
            assertThat(events.getLast().data().get("exit_code").asInt()).isZero();
        }
    }

    @Test
    void aBackgroundCommandCanHaveATerminalToo() throws Exception {
        String id = raw.exec(session, Map.of("cmd", "stty size", "pty", true, "rows", 10, "cols", 20, "background", true))
                .body().get("exec_id").asText();
        try (var a = raw.attach(session, id, null, null)) {
            assertThat(text(a.readAll(), "stdout")).isEqualTo("10 20\n");
        }
    }

    @Test
    void badPtyRequestsGetAClearError() throws Exception {
        expect(raw.exec(session, Map.of("cmd", "true", "cols", 80)), 400, "INVALID_REQUEST");
        expect(raw.exec(session, Map.of("cmd", "true", "pty", true, "cols", 0)), 400, "INVALID_REQUEST");
        expect(raw.exec(session, Map.of("cmd", "true", "pty", true, "rows", 5000)), 400, "INVALID_REQUEST");
        expect(raw.exec(session, Map.of("cmd", "true", "pty", "yes")), 400, "INVALID_REQUEST");
        String plain = raw.exec(session, Map.of("cmd", "true")).body().get("exec_id").asText();
        String base = "/v1/sessions/" + session + "/execs/";
        expect(raw.request("POST", base + plain + "/resize", Map.of("cols", 80, "rows", 24)), 409, "NO_PTY");
        String ended = raw.exec(session, Map.of("cmd", "true", "pty", true)).body().get("exec_id").asText();
        expect(raw.request("POST", base + ended + "/resize", Map.of("cols", 80, "rows", 24)), 409, "EXEC_NOT_RUNNING");
        expect(raw.request("POST", base + ended + "/resize", Map.of("cols", 80)), 400, "INVALID_REQUEST");
        expect(raw.request("POST", base + "ex_nope/resize", Map.of("cols", 80, "rows", 24)), 404, "EXEC_NOT_FOUND");
    }
}
