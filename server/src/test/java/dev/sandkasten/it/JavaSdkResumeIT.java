package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sandkasten.client.ExecHandle;
import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecState;
import dev.sandkasten.client.ExecStream;
import dev.sandkasten.client.NotFoundException;
import dev.sandkasten.client.OutputGap;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.client.StreamException;
import dev.sandkasten.daemon.Daemon;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java SDK's streams across lost connections, against the real daemon: a stream resumes by
 * itself after the connection is cut (through a proxy the test controls) and delivers every byte
 * exactly once; closing it still cancels its command at once; attaching follows any command from
 * its start or from an event id; a gap in the daemon's retention reaches the consumer.
 */
class JavaSdkResumeIT {
    /** Line {@code k} (from 1) of {@code seq -f '%09.0f'}: ten bytes. */
    private static final String SEQ = "seq -f '%09.0f' 1 ";

    private static String seqText(int lines) {
        StringBuilder sb = new StringBuilder(lines * 10);
        for (int k = 1; k <= lines; k++) sb.append(String.format("%09d\n", k));
        return sb.toString();
    }

    private static SandboxClient through(StallingProxy proxy, Duration requestTimeout) {
        return SandboxClient.builder().baseUrl(proxy.url()).apiKey(TestDaemon.shared().apiKey())
                .requestTimeout(requestTimeout).build();
    }

    /** What a chunk says, without its timestamp: two watchers' sequences must match exactly. */
    private static String describe(ExecChunk c) {
        return c.eventId() + " " + c.stream() + " " + c.done() + " " + c.exitCode() + " " + c.gap() + " " + c.output();
    }

    @Test
    @Timeout(180)
    void aStreamWhoseConnectionIsCutAgainAndAgainDeliversEveryByteOnceInOrder() throws Exception {
        int lines = 400_000; // 4 MB
        String expected = seqText(lines);
        try (StallingProxy proxy = new StallingProxy(TestDaemon.shared().port());
             SandboxClient c = through(proxy, Duration.ofSeconds(30));
             Session s = c.createSession()) {
            StringBuilder got = new StringBuilder(expected.length());
            ExecChunk done = null;
            String execId;
            int reconnects;
            // Each cut connection has carried at most ~616 kB, so five of them cannot hold the whole
            // 4 MB: every cut lands mid-stream, and the sixth connection ends it.
            proxy.cutAfter(600_000, 5);
            try (ExecStream st = s.execStream(SEQ + lines, ExecOptions.builder().chunkSize(8192).build())) {
                execId = st.execId();
                for (ExecChunk chunk : st) {
                    if (chunk.done()) {
                        done = chunk;
                        break;
                    }
                    assertThat(chunk.isGap()).as("no output may be dropped while a client resumes").isFalse();
                    got.append(chunk.output());
                }
                reconnects = st.reconnects();
            }
            assertThat(proxy.cutsMade()).as("connections cut, with resets and orderly closes in turn").isEqualTo(5);
            assertThat(reconnects).as("reconnections").isEqualTo(5);
            assertThat(done).isNotNull();
            assertThat(done.exitCode()).isZero();
            assertThat(got.length()).isEqualTo(expected.length());
            assertThat(got.toString().equals(expected)).as("output reproduced byte for byte").isTrue();
            assertThat(s.getExec(execId).state()).isEqualTo(ExecState.EXITED);

            // An attached stream resumes the same way (cut with resets and closes alike).
            ExecHandle job = s.execBackground(SEQ + 200_000);
            StringBuilder attached = new StringBuilder();
            proxy.cutAfter(500_000, 3);
            try (ExecStream st = job.stream()) {
                for (ExecChunk chunk : st) attached.append(chunk.output());
                assertThat(st.reconnects()).isEqualTo(3);
            }
            assertThat(proxy.cutsMade()).isEqualTo(3);
            assertThat(attached.toString().equals(seqText(200_000))).as("attached output byte for byte").isTrue();
        }
    }

    @Test
    @Timeout(60)
    void aStalledConnectionIsNoticedAndResumedAndWithoutAGraceItIsAnError() throws Exception {
        try (StallingProxy proxy = new StallingProxy(TestDaemon.shared().port());
             SandboxClient c = through(proxy, Duration.ofSeconds(2));
             Session s = c.createSession()) {
            try (ExecStream st = s.execStream("for i in $(seq 30); do echo $i; sleep 0.1; done")) {
                var it = st.iterator();
                assertThat(it.next().output()).isEqualTo("1\n");
                proxy.stall();
                StringBuilder rest = new StringBuilder("1\n");
                ExecChunk last = null;
                while (it.hasNext()) {
                    last = it.next();
                    rest.append(last.output());
                }
                assertThat(rest.toString()).isEqualTo(seqText0(30));
                assertThat(last.done()).isTrue();
                assertThat(st.reconnects()).isEqualTo(1);
            }

            // With resuming off, a lost connection ends the stream, and the daemon kills the command.
            ExecStream st = s.execStream("echo first; sleep 0.3; for i in $(seq 600); do echo $i; sleep 0.1; done",
                    ExecOptions.builder().detachGraceMs(0).build());
            var it = st.iterator();
            assertThat(it.next().output()).isEqualTo("first\n");
            proxy.cut(true);
            assertThatThrownBy(() -> {
                while (it.hasNext()) it.next();
            }).isInstanceOfSatisfying(StreamException.class, e -> {
                assertThat(e.code()).isNull();
                assertThat(e.getMessage()).contains("connection to the daemon was lost").doesNotContain("attempts");
                assertThat(e.output()).startsWith("first\n");
            });
            assertCancelledSoon(s, st.execId());
        }
    }

    private static String seqText0(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) sb.append(i).append('\n');
        return sb.toString();
    }

    @Test
    void aConsumerThatStopsEarlyCancelsTheCommandDespiteTheGrace() {
        try (Session s = TestDaemon.sdk().createSession()) {
            ExecOptions longGrace = ExecOptions.builder().detachGraceMs(300_000).build();
            String id;
            // Leaving the loop (and so the try-with-resources block) early closes the stream.
            try (ExecStream st = s.execStream("echo go; sleep 300", longGrace)) {
                id = st.execId();
                for (ExecChunk chunk : st) {
                    if (chunk.output().contains("go")) break;
                }
            }
            assertCancelledSoon(s, id);

            // A consumer that throws closes it too.
            ExecStream thrown = s.execStream("echo go; sleep 300", longGrace);
            assertThatThrownBy(() -> thrown.forEach(chunk -> {
                throw new IllegalStateException("enough");
            })).hasMessage("enough");
            assertCancelledSoon(s, thrown.execId());

            // So does closing the java.util.stream view.
            String viewId;
            try (ExecStream st = s.execStream("echo go; sleep 300", longGrace);
                 var chunks = st.stream()) {
                viewId = st.execId();
                assertThat(chunks.findFirst()).hasValueSatisfying(ch -> assertThat(ch.output()).isEqualTo("go\n"));
            }
            assertCancelledSoon(s, viewId);
            assertThat(Sdk.run(s, "echo free")).isEqualTo("free\n");
        }
    }

    /** Well within the 300 s grace: only the SDK's own cancel can end the command this soon. */
    private static void assertCancelledSoon(Session s, String execId) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(s.getExec(execId).state()).isEqualTo(ExecState.CANCELLED));
    }

    @Test
    void attachingFromTheStartOrFromAnEventIdGivesExactlyTheSameChunks() throws Exception {
        try (Session s = TestDaemon.sdk().createSession()) {
            List<ExecChunk> all;
            String id;
            try (ExecStream st = s.execStream("for i in $(seq 40); do echo \"out $i €\"; echo \"err $i\" >&2; done; exit 3")) {
                id = st.execId();
                all = st.stream().toList();
            }
            assertThat(all.getLast().exitCode()).isEqualTo(3);
            List<String> expected = all.stream().map(JavaSdkResumeIT::describe).toList();

            try (ExecStream again = s.attach(id)) {
                assertThat(again.execId()).isEqualTo(id);
                assertThat(again.stream().map(JavaSdkResumeIT::describe).toList()).isEqualTo(expected);
            }
            int k = all.size() / 2;
            try (ExecStream rest = s.attach(id, all.get(k).eventId())) {
                assertThat(rest.stream().map(JavaSdkResumeIT::describe).toList())
                        .isEqualTo(expected.subList(k + 1, expected.size()));
            }
            try (ExecStream none = s.attach(id, all.getLast().eventId())) {
                assertThat(none.stream().toList()).isEmpty();
            }
            assertThatThrownBy(() -> s.attach("ex_doesnotexist")).isInstanceOfSatisfying(NotFoundException.class,
                    e -> assertThat(e.code()).isEqualTo("EXEC_NOT_FOUND"));
        }
    }

    @Test
    void twoAttachedConsumersOfARunningCommandSeeTheSameSequence() throws Exception {
        try (Session s = TestDaemon.sdk().createSession();
             ExecutorService pool = Executors.newFixedThreadPool(2)) {
            ExecHandle job = s.execBackground("sleep 0.5; for i in $(seq 300); do echo \"line $i\"; echo \"e $i\" >&2;"
                    + " done; " + SEQ + "50000");
            List<Future<List<String>>> watchers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                watchers.add(pool.submit(() -> {
                    try (ExecStream st = job.stream()) {
                        return st.stream().map(JavaSdkResumeIT::describe).toList();
                    }
                }));
            }
            List<String> first = watchers.get(0).get();
            assertThat(first.size()).isGreaterThan(10);
            assertThat(first.getLast()).contains(" true 0 ");
            assertThat(watchers.get(1).get()).isEqualTo(first);
            // Closing a watcher never cancelled the background command: it ran to its end.
            assertThat(job.waitFor().state()).isEqualTo(ExecState.EXITED);
        }
    }

    @Test
    void closingAnAttachedStreamLeavesTheCommandRunning() {
        try (Session s = TestDaemon.sdk().createSession()) {
            ExecHandle job = s.execBackground("echo up; sleep 300");
            try (ExecStream st = job.stream()) {
                assertThat(st.iterator().next().output()).isEqualTo("up\n");
            }
            assertThat(job.info().state()).isEqualTo(ExecState.RUNNING);
            assertThat(job.cancel()).isTrue();
        }
    }

    @Test
    void outputDroppedPastTheRetentionCapReachesTheConsumerAsAGap() throws Exception {
        try (Daemon d = TestDaemon.start(Map.of("exec_log_max_bytes", "4MiB"));
             SandboxClient c = TestDaemon.sdk(d);
             Session s = c.createSession()) {
            int lines = 1_500_000; // 15 MB, nobody attached: the log keeps its head and its tail
            ExecHandle job = s.execBackground(SEQ + lines);
            assertThat(job.waitFor().exitCode()).isZero();
            String expected = seqText(lines);
            List<OutputGap> gaps = new ArrayList<>();
            StringBuilder head = new StringBuilder();
            StringBuilder tail = new StringBuilder();
            try (ExecStream st = job.stream()) {
                for (ExecChunk chunk : st) {
                    if (chunk.isGap()) gaps.add(chunk.gap());
                    else (gaps.isEmpty() ? head : tail).append(chunk.output());
                }
            }
            assertThat(gaps).hasSize(1);
            OutputGap g = gaps.getFirst();
            assertThat(g.bytes()).isEqualTo(g.to() - g.from()).isGreaterThan(5_000_000L);
            assertThat(head.toString()).isEqualTo(expected.substring(0, (int) g.from()));
            assertThat(tail.toString().equals(expected.substring((int) g.to()))).as("the tail after the gap").isTrue();
        }
    }

    @Test
    void anAsyncStreamResumesToo() throws Exception {
        try (StallingProxy proxy = new StallingProxy(TestDaemon.shared().port());
             SandboxClient c = through(proxy, Duration.ofSeconds(30));
             Session s = c.createSession()) {
            CompletableFuture<ExecStream> opening = s.execStreamAsync("echo a; sleep 0.5; echo b", ExecOptions.DEFAULTS);
            try (ExecStream st = opening.join()) {
                var it = st.iterator();
                assertThat(it.next().output()).isEqualTo("a\n");
                assertThat(proxy.cut(false)).isEqualTo(1);
                assertThat(it.next().output()).isEqualTo("b\n");
                assertThat(it.next().done()).isTrue();
                assertThat(st.reconnects()).isEqualTo(1);
            }
        }
    }
}
