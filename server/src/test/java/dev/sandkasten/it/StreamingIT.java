package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecStream;
import dev.sandkasten.client.Session;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Streaming exec over SSE: event shapes, real-time delivery, chunking, several streams at once. */
class StreamingIT extends SessionFixture {

    @Test
    void everyEventHasItsShapeAndIncreasingIds() throws Exception {
        // Raw HTTP: response headers, the start event and the SSE id lines are wire details the SDK
        // consumes (JavaSdkIT checks what the SDK makes of them).
        try (var s = TestDaemon.client().stream(session.id(), "echo out; echo err >&2; cd /tmp")) {
            assertThat(s.status()).isEqualTo(200);
            assertThat(s.response().headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
            assertThat(s.response().headers().firstValue("cache-control")).hasValue("no-cache");
            assertThat(s.response().headers().firstValue("x-accel-buffering")).hasValue("no");
            List<TestClient.Event> events = s.readAll();
            assertThat(events.getFirst().name()).isEqualTo("start");
            assertThat(events.getFirst().data().get("exec_id").asText()).startsWith("ex_");
            assertThat(events.getFirst().data().get("timestamp").asLong()).isPositive();
            assertThat(s.response().headers().firstValue("x-exec-id"))
                    .hasValue(events.getFirst().data().get("exec_id").asText());
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
        run("cd /workspace");
    }

    @Test
    void chunksArriveAsTheyAreWrittenNotAtTheEnd() {
        List<String> texts = new ArrayList<>();
        List<Long> receivedNanos = new ArrayList<>();
        try (ExecStream s = session.execStream("for i in 1 2 3; do echo $i; sleep 1; done")) {
            s.forEach(c -> {
                if (c.done()) return;
                receivedNanos.add(System.nanoTime());
                texts.add(c.output());
            });
        }
        assertThat(texts).containsExactly("1\n", "2\n", "3\n");
        double gap1 = (receivedNanos.get(1) - receivedNanos.get(0)) / 1e9;
        double gap2 = (receivedNanos.get(2) - receivedNanos.get(1)) / 1e9;
        // About a second apart (loose bounds: this may run on a busy 2-core machine).
        assertThat(gap1).isBetween(0.5, 2.5);
        assertThat(gap2).isBetween(0.5, 2.5);
    }

    @Test
    void aPartialLineIsSentWithoutWaitingForTheNewline() {
        try (ExecStream s = session.execStream("printf 'progress 50%%'; sleep 3; printf ' done\\n'")) {
            long opened = System.nanoTime(); // the stream opens with the start event
            Iterator<ExecChunk> it = s.iterator();
            ExecChunk first = it.next();
            assertThat(first.output()).isEqualTo("progress 50%");
            assertThat((System.nanoTime() - opened) / 1e9).isLessThan(2.0);
            assertThat(it.next().output()).isEqualTo(" done\n");
        }
    }

    @Test
    void heavyOutputIsCoalescedUpToTheChunkSize() {
        List<ExecChunk> chunks = Sdk.outputChunks(Sdk.readAll(session.execStream("head -c 3000000 /dev/zero | tr '\\0' a",
                ExecOptions.builder().chunkSize(100000).build())));
        long total = chunks.stream().mapToLong(c -> c.output().length()).sum();
        assertThat(total).isEqualTo(3_000_000);
        assertThat(chunks).allSatisfy(c -> assertThat(c.output().length()).isLessThanOrEqualTo(100000));
        // Coalesced: fewer events than one per 4 KiB pipe write. How much fewer depends on how far the
        // client lags (a quick client gets what each read found), so the bound is only that.
        assertThat(chunks.size()).isLessThan(3_000_000 / 4096);
    }

    @Test
    void severalSessionsStreamAtOnceEachGettingItsOwnOutput() throws Exception {
        int n = 4;
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < n; i++) sessions.add(client.createSession());
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<String>> outs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Session s = sessions.get(i);
                int tag = i;
                outs.add(pool.submit(() -> Sdk.text(Sdk.readAll(
                        s.execStream("for k in $(seq 1 20); do echo s" + tag + "-$k; sleep 0.05; done")))));
            }
            for (int i = 0; i < n; i++) {
                StringBuilder expected = new StringBuilder();
                for (int k = 1; k <= 20; k++) expected.append("s").append(i).append('-').append(k).append('\n');
                assertThat(outs.get(i).get()).isEqualTo(expected.toString());
            }
        } finally {
            sessions.forEach(Session::close);
        }
    }
}
