package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Streaming exec over SSE: event shapes, real-time delivery, chunking, several streams at once. */
class StreamingIT extends SessionFixture {

    @Test
    void everyEventHasItsShapeAndIncreasingIds() throws Exception {
        try (var s = client.stream(session, "echo out; echo err >&2; cd /tmp")) {
            assertThat(s.status()).isEqualTo(200);
            assertThat(s.response().headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
            assertThat(s.response().headers().firstValue("cache-control")).hasValue("no-cache");
            assertThat(s.response().headers().firstValue("x-accel-buffering")).hasValue("no");
            List<TestClient.Event> events = s.readAll();
            assertThat(events.getFirst().name()).isEqualTo("start");
            assertThat(events.getFirst().data().get("exec_id").asText()).startsWith("ex_");
            assertThat(events.getFirst().data().get("timestamp").asLong()).isPositive();
            TestClient.Event done = events.getLast();
            assertThat(done.name()).isEqualTo("done");
            assertThat(done.data().get("exit_code").asInt()).isZero();
            assertThat(done.data().get("cwd").asText()).isEqualTo("/tmp");
            assertThat(done.data().get("duration_ms").asLong()).isNotNegative();
            assertThat(done.data().get("exec_id").asText()).isEqualTo(events.getFirst().data().get("exec_id").asText());
            List<TestClient.Event> chunks = events.subList(1, events.size() - 1);
            assertThat(chunks).allSatisfy(e -> {
                assertThat(e.name()).isEqualTo("chunk");
                assertThat(e.data().get("timestamp").asLong()).isPositive();
                assertThat(e.data().get("stream").asText()).isIn("stdout", "stderr");
            });
            String out = chunks.stream().filter(e -> e.data().get("stream").asText().equals("stdout"))
                    .map(e -> e.data().get("chunk").asText()).reduce("", String::concat);
            String err = chunks.stream().filter(e -> e.data().get("stream").asText().equals("stderr"))
                    .map(e -> e.data().get("chunk").asText()).reduce("", String::concat);
            assertThat(out).isEqualTo("out\n");
            assertThat(err).isEqualTo("err\n");
            long previous = -1;
            for (TestClient.Event e : events) {
                long id = Long.parseLong(e.id());
                assertThat(id).isGreaterThan(previous);
                previous = id;
            }
        }
        client.run(session, "cd /workspace");
    }

    @Test
    void chunksArriveAsTheyAreWrittenNotAtTheEnd() throws Exception {
        try (var s = client.stream(session, "for i in 1 2 3; do echo $i; sleep 1; done")) {
            List<TestClient.Event> chunks = s.readAll().stream().filter(e -> e.name().equals("chunk")).toList();
            assertThat(chunks).hasSize(3);
            assertThat(chunks.stream().map(e -> e.data().get("chunk").asText())).containsExactly("1\n", "2\n", "3\n");
            double gap1 = (chunks.get(1).receivedNanos() - chunks.get(0).receivedNanos()) / 1e9;
            double gap2 = (chunks.get(2).receivedNanos() - chunks.get(1).receivedNanos()) / 1e9;
            // About a second apart (loose bounds: this may run on a busy 2-core machine).
            assertThat(gap1).isBetween(0.5, 2.5);
            assertThat(gap2).isBetween(0.5, 2.5);
        }
    }

    @Test
    void aPartialLineIsSentWithoutWaitingForTheNewline() throws Exception {
        try (var s = client.stream(session, "printf 'progress 50%%'; sleep 3; printf ' done\\n'")) {
            TestClient.Event start = s.next();
            TestClient.Event first = s.next();
            assertThat(first.name()).isEqualTo("chunk");
            assertThat(first.data().get("chunk").asText()).isEqualTo("progress 50%");
            assertThat((first.receivedNanos() - start.receivedNanos()) / 1e9).isLessThan(2.0);
            List<TestClient.Event> rest = s.readAll();
            assertThat(rest.getFirst().data().get("chunk").asText()).isEqualTo(" done\n");
        }
    }

    @Test
    void heavyOutputIsCoalescedUpToTheChunkSize() throws Exception {
        try (var s = client.stream(session, Map.of("cmd", "head -c 3000000 /dev/zero | tr '\\0' a", "chunk_size", 100000))) {
            List<TestClient.Event> chunks = s.readAll().stream().filter(e -> e.name().equals("chunk")).toList();
            long total = chunks.stream().mapToLong(e -> e.data().get("chunk").asText().length()).sum();
            assertThat(total).isEqualTo(3_000_000);
            assertThat(chunks).allSatisfy(e -> assertThat(e.data().get("chunk").asText().length()).isLessThanOrEqualTo(100000));
            // Coalesced: far fewer events than 4 KiB pipe writes would give.
            assertThat(chunks.size()).isLessThan(300);
        }
    }

    @Test
    void severalSessionsStreamAtOnceEachGettingItsOwnOutput() throws Exception {
        int n = 4;
        List<String> sessions = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) sessions.add(client.createSession());
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<String>> outs = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                String sid = sessions.get(i);
                int tag = i;
                outs.add(pool.submit(() -> {
                    try (var s = client.stream(sid, "for k in $(seq 1 20); do echo s" + tag + "-$k; sleep 0.05; done")) {
                        return s.readAll().stream().filter(e -> e.name().equals("chunk"))
                                .map(e -> e.data().get("chunk").asText()).reduce("", String::concat);
                    }
                }));
            }
            for (int i = 0; i < n; i++) {
                StringBuilder expected = new StringBuilder();
                for (int k = 1; k <= 20; k++) expected.append("s").append(i).append('-').append(k).append('\n');
                assertThat(outs.get(i).get()).isEqualTo(expected.toString());
            }
        } finally {
            sessions.forEach(client::destroy);
        }
    }
}
