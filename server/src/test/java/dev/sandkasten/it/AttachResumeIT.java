package dev.sandkasten.it;

import static dev.sandkasten.it.ExecResourcesIT.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandkasten.daemon.Daemon;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Attaching to a command's output ({@code GET .../execs/{id}/stream}), resuming after an event id,
 * several watchers, the retention cap's gap, and the detach grace. Raw HTTP: these are wire-level
 * promises.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttachResumeIT {
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

    /** Line {@code k} (from 1) of {@code seq -f '%09.0f'}: ten bytes. */
    private static final String SEQ = "seq -f '%09.0f' 1 ";

    private static byte[] seqBytes(int lines) {
        byte[] out = new byte[lines * 10];
        for (int k = 1; k <= lines; k++) {
            System.arraycopy(String.format("%09d\n", k).getBytes(StandardCharsets.US_ASCII), 0, out, (k - 1) * 10, 10);
        }
        return out;
    }

    /** What an event says, without its timestamp: two watchers' sequences must match exactly. */
    private static String describe(TestClient.Event e) {
        JsonNode d = e.data().deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) d).remove("timestamp");
        return e.id() + " " + e.name() + " " + d;
    }

    private static String execId(TestClient.Stream s) throws Exception {
        TestClient.Event start = s.next();
        assertThat(start.name()).isEqualTo("start");
        assertThat(start.id()).isEqualTo("0");
        return start.data().get("exec_id").asText();
    }

    @Test
    void threeClientsWatchingOneCommandGetIdenticalEvents() throws Exception {
        // Both streams, multi-byte characters cut by reads, and a pause so the watchers attach before most output.
        String cmd = "sleep 1; for i in $(seq 1 300); do echo \"line $i €€€ ünïcödé\"; echo \"err $i\" >&2; done;"
                + " printf '€%.0s' $(seq 1 40000); " + SEQ + "200000";
        try (var first = raw.stream(session, Map.of("cmd", cmd, "chunk_size", 5000))) {
            String id = execId(first);
            try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
                List<Future<List<String>>> watchers = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    watchers.add(pool.submit(() -> {
                        try (var w = raw.attach(session, id, "chunk_size=5000", null)) {
                            assertThat(w.status()).isEqualTo(200);
                            return w.readAll().stream().map(AttachResumeIT::describe).toList();
                        }
                    }));
                }
                List<String> seen = new ArrayList<>();
                seen.add("0 start {\"exec_id\":\"" + id + "\"}");
                for (TestClient.Event e : first.readAll()) seen.add(describe(e));
                assertThat(seen.getLast()).contains(" done ");
                assertThat(seen.size()).isGreaterThan(100);
                assertThat(String.join("\n", seen)).doesNotContain("\\uFFFD").doesNotContain("\uFFFD");
                for (Future<List<String>> w : watchers) assertThat(w.get()).isEqualTo(seen);
            }
        }
    }

    @Test
    void reconnectingAtAHundredRandomPointsOfFiftyMegabytesLosesAndRepeatsNothing() throws Exception {
        int lines = 5_000_001; // ten bytes a line: 50,000,010 bytes
        byte[] expected = seqBytes(lines);
        assertThat(expected.length).isGreaterThan(50_000_000);
        Random rnd = new Random(42);
        TreeSet<Long> cuts = new TreeSet<>();
        while (cuts.size() < 100) cuts.add((long) (rnd.nextDouble() * expected.length));
        ByteArrayOutputStream got = new ByteArrayOutputStream(expected.length);
        var s = raw.stream(session, Map.of("cmd", SEQ + lines, "detach_grace_ms", 60_000, "timeout_ms", 300_000));
        String id = execId(s);
        String lastId = "0";
        int reconnects = 0;
        TestClient.Event end = null;
        while (end == null) {
            TestClient.Event e = s.next();
            assertThat(e).as("stream ended without done after " + got.size() + " bytes").isNotNull();
            switch (e.name()) {
                case "chunk" -> {
                    byte[] text = e.data().get("chunk").asText().getBytes(StandardCharsets.UTF_8);
                    // An id is the offset after its chunk: the first chunk after a reconnect continues exactly.
                    assertThat(Long.parseLong(e.id()) - Long.parseLong(lastId)).isEqualTo(text.length);
                    got.write(text);
                    lastId = e.id();
                    if (!cuts.isEmpty() && got.size() >= cuts.first()) {
                        while (!cuts.isEmpty() && got.size() >= cuts.first()) cuts.pollFirst();
                        s.close();
                        reconnects++;
                        s = raw.attach(session, id, null, lastId);
                        assertThat(s.status()).isEqualTo(200);
                    }
                }
                case "done" -> end = e;
                default -> throw new AssertionError("unexpected " + describe(e));
            }
        }
        s.close();
        assertThat(end.data().get("exit_code").asInt()).isZero();
        assertThat(reconnects).isGreaterThan(50);
        assertThat(got.size()).isEqualTo(expected.length);
        assertThat(java.util.Arrays.equals(got.toByteArray(), expected)).as("output reproduced byte for byte").isTrue();

        // From any byte offset (not only event boundaries), base64 gives exactly the bytes from there.
        for (int i = 0; i < 20; i++) {
            int from = rnd.nextInt(expected.length);
            try (var a = raw.attach(session, id, "encoding=base64&chunk_size=65536&from=" + from, null)) {
                ByteArrayOutputStream part = new ByteArrayOutputStream();
                long at = from;
                while (part.size() < 200_000 && at < expected.length) {
                    TestClient.Event e = a.next();
                    byte[] b = Base64.getDecoder().decode(e.data().get("chunk").asText());
                    part.write(b);
                    at += b.length;
                    assertThat(Long.parseLong(e.id())).isEqualTo(at);
                }
                byte[] want = java.util.Arrays.copyOfRange(expected, from, from + part.size());
                assertThat(part.toByteArray()).isEqualTo(want);
            }
        }
    }

    @Test
    void attachingToAFinishedCommandReplaysIt() throws Exception {
        TestClient.Reply r = raw.exec(session, Map.of("cmd", "echo out; echo err >&2; printf 'é'; exit 4"));
        String id = r.body().get("exec_id").asText();
        try (var a = raw.attach(session, id, null, null)) {
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.response().headers().firstValue("x-exec-id")).hasValue(id);
            List<TestClient.Event> events = a.readAll();
            assertThat(events.getFirst().name()).isEqualTo("start");
            String out = events.stream().filter(e -> e.name().equals("chunk") && e.data().get("stream").asText().equals("stdout"))
                    .map(e -> e.data().get("chunk").asText()).reduce("", String::concat);
            assertThat(out).isEqualTo("out\né");
            TestClient.Event done = events.getLast();
            assertThat(done.name()).isEqualTo("done");
            assertThat(done.data().get("exit_code").asInt()).isEqualTo(4);
            assertThat(done.data().get("exec_id").asText()).isEqualTo(id);
            // Resuming after the last event sends nothing more; after the one before, just the last.
            try (var again = raw.attach(session, id, null, done.id())) {
                assertThat(again.readAll()).isEmpty();
            }
            String beforeDone = events.get(events.size() - 2).id();
            try (var again = raw.attach(session, id, "from=" + beforeDone, null)) {
                assertThat(again.readAll().stream().map(AttachResumeIT::describe).toList())
                        .containsExactly(describe(done));
            }
        }
    }

    @Test
    void resumingInsideACharacterSendsTheWholeCharacterAndNoReplacement() throws Exception {
        String id = raw.exec(session, Map.of("cmd", "printf '€%.0s' $(seq 1 3000)")).body().get("exec_id").asText();
        String all = "€".repeat(3000);
        // From each event id of a stream whose chunks cut characters, the rest is exactly the rest.
        List<TestClient.Event> events;
        try (var a = raw.attach(session, id, "chunk_size=1000", null)) {
            events = a.readAll();
        }
        StringBuilder sent = new StringBuilder();
        for (TestClient.Event e : events) {
            if (!e.name().equals("chunk")) continue;
            sent.append(e.data().get("chunk").asText());
            try (var resumed = raw.attach(session, id, "chunk_size=1000", e.id())) {
                String rest = resumed.readAll().stream().filter(x -> x.name().equals("chunk"))
                        .map(x -> x.data().get("chunk").asText()).reduce("", String::concat);
                assertThat(sent + rest).isEqualTo(all);
            }
        }
        // From an offset inside the first character: the stream starts with that whole character.
        try (var mid = raw.attach(session, id, "from=1", null)) {
            String text = mid.readAll().stream().filter(x -> x.name().equals("chunk"))
                    .map(x -> x.data().get("chunk").asText()).reduce("", String::concat);
            assertThat(text).isEqualTo(all);
        }
    }

    @Test
    void theDetachGraceKeepsACommandAliveForALaterAttach() throws Exception {
        String id;
        String lastId;
        try (var s = raw.stream(session, Map.of("cmd", "echo one; sleep 5; echo two", "detach_grace_ms", 30_000))) {
            id = execId(s);
            TestClient.Event one = s.next();
            assertThat(one.data().get("chunk").asText()).isEqualTo("one\n");
            lastId = one.id();
        }
        // Past the default disconnect grace (3 s): still running.
        Thread.sleep(3_500);
        assertThat(raw.request("GET", "/v1/sessions/" + session + "/execs/" + id, null).body().get("state").asText())
                .isEqualTo("running");
        try (var back = raw.attach(session, id, null, lastId)) {
            List<TestClient.Event> rest = back.readAll();
            assertThat(rest).extracting(TestClient.Event::name).containsExactly("chunk", "done");
            assertThat(rest.getFirst().data().get("chunk").asText()).isEqualTo("two\n");
            assertThat(rest.getLast().data().get("exit_code").asInt()).isZero();
        }
    }

    @Test
    void aCommandWhoseLastWatcherLeftIsCancelledAfterItsGraceAndACancelIsImmediate() throws Exception {
        String id;
        try (var s = raw.stream(session, Map.of("cmd", "echo x; sleep 60", "detach_grace_ms", 1_500))) {
            id = execId(s);
            s.next();
        }
        String path = "/v1/sessions/" + session + "/execs/" + id;
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(raw.request("GET", path, null).body().get("state").asText()).isEqualTo("cancelled"));

        try (var s = raw.stream(session, Map.of("cmd", "echo y; sleep 60", "detach_grace_ms", 600_000))) {
            id = execId(s);
            s.next();
        }
        String path2 = "/v1/sessions/" + session + "/execs/" + id;
        long t0 = System.nanoTime();
        assertThat(raw.request("DELETE", path2, null).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(raw.request("GET", path2, null).body().get("state").asText()).isEqualTo("cancelled"));
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(8.0);
    }

    @Test
    void pastTheRetentionCapAReplayGetsAGapEventWithTheDroppedOffsets() throws Exception {
        try (Daemon d = TestDaemon.start(Map.of("exec_log_max_bytes", "4MiB"))) {
            TestClient c = new TestClient(TestDaemon.url(d), d.apiKey());
            String s = c.createSession();
            int lines = 2_000_000;
            String id;
            try (var live = c.stream(s, Map.of("cmd", SEQ + lines, "chunk_size", 65536))) {
                id = execId(live);
                // The live watcher sees every byte; the log keeps only the head and the tail.
                long bytes = live.readAll().stream().filter(e -> e.name().equals("chunk"))
                        .mapToLong(e -> e.data().get("chunk").asText().length()).sum();
                assertThat(bytes).isEqualTo(lines * 10L);
            }
            byte[] expected = seqBytes(lines);
            try (var replay = c.attach(s, id, "chunk_size=65536", null)) {
                List<TestClient.Event> events = replay.readAll();
                List<TestClient.Event> gaps = events.stream().filter(e -> e.name().equals("gap")).toList();
                assertThat(gaps).hasSize(1);
                JsonNode g = gaps.getFirst().data();
                long from = g.get("from").asLong();
                long to = g.get("to").asLong();
                assertThat(g.get("bytes").asLong()).isEqualTo(to - from);
                assertThat(gaps.getFirst().id()).isEqualTo(Long.toString(to));
                assertThat(from).isPositive();
                assertThat(to - from).isGreaterThan(10_000_000L);
                // Around the gap, every byte is where it belongs.
                long at = 0;
                for (TestClient.Event e : events) {
                    if (e.name().equals("gap")) {
                        assertThat(at).isEqualTo(from);
                        at = to;
                    } else if (e.name().equals("chunk")) {
                        byte[] b = e.data().get("chunk").asText().getBytes(StandardCharsets.US_ASCII);
                        assertThat(b).isEqualTo(java.util.Arrays.copyOfRange(expected, (int) at, (int) at + b.length));
                        at += b.length;
                    }
                }
                assertThat(at).isEqualTo(expected.length);
                assertThat(events.getLast().name()).isEqualTo("done");
            }
            c.destroy(s);
        }
    }

    @Test
    void badAttachRequestsGetAClearError() {
        String id = raw.exec(session, Map.of("cmd", "echo hi")).body().get("exec_id").asText();
        String base = "/v1/sessions/" + session + "/execs/";
        expect(raw.request("GET", base + "ex_nope/stream", null), 404, "EXEC_NOT_FOUND");
        expect(raw.request("GET", "/v1/sessions/sb_nope/execs/" + id + "/stream", null), 404, "SESSION_NOT_FOUND");
        expect(raw.request("GET", base + id + "/stream?from=-1", null), 400, "INVALID_REQUEST");
        expect(raw.request("GET", base + id + "/stream?from=abc", null), 400, "INVALID_REQUEST");
        expect(raw.request("GET", base + id + "/stream?from=1000", null), 400, "INVALID_REQUEST");
        expect(raw.request("GET", base + id + "/stream?encoding=latin1", null), 400, "INVALID_REQUEST");
        expect(raw.request("GET", base + id + "/stream?chunk_size=0", null), 400, "INVALID_REQUEST");
        expect(raw.request("GET", base + id + "/stream?raw_output=perhaps", null), 400, "INVALID_REQUEST");
        expect(raw.exec(session, Map.of("cmd", "true", "detach_grace_ms", -5)), 400, "INVALID_REQUEST");
        expect(raw.exec(session, Map.of("cmd", "true", "detach_grace_ms", "long")), 400, "INVALID_REQUEST");
        try (var bad = raw.attach(session, id, null, "not-a-number")) {
            assertThat(bad.status()).isEqualTo(400);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
