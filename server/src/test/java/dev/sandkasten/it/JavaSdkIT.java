package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandkasten.client.AuthenticationException;
import dev.sandkasten.client.CommandTimeoutException;
import dev.sandkasten.client.ConnectionException;
import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.ExecStream;
import dev.sandkasten.client.BadRequestException;
import dev.sandkasten.client.NotFoundException;
import dev.sandkasten.client.PayloadTooLargeException;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.client.SessionGoneException;
import dev.sandkasten.client.SessionInfo;
import dev.sandkasten.client.SessionStatus;
import dev.sandkasten.client.StdStream;
import dev.sandkasten.client.StreamException;
import dev.sandkasten.daemon.Daemon;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java SDK's own promises, against the real daemon: typed errors, timeouts with partial
 * output, closing a stream cancels its command, async variants, and what a chunk carries. (The
 * other integration tests use the SDK too, for everything that is not a wire-level check.)
 */
class JavaSdkIT {
    final SandboxClient client = TestDaemon.sdk();

    private static ExecOptions timeoutMs(long ms) {
        return ExecOptions.builder().timeoutMs(ms).build();
    }

    @Test
    void errorAnswersArriveAsTypedExceptionsThatSayWhatToDo() throws Exception {
        try (SandboxClient wrongKey = SandboxClient.builder().baseUrl(TestDaemon.url(TestDaemon.shared()))
                .apiKey("not-the-key-0123456789").build()) {
            assertThatThrownBy(wrongKey::listSessions).isInstanceOfSatisfying(AuthenticationException.class, e -> {
                assertThat(e.status()).isEqualTo(401);
                assertThat(e.code()).isEqualTo("UNAUTHORIZED");
                assertThat(e.getMessage()).contains("SANDKASTEN_API_KEY");
            });
        }
        assertThatThrownBy(() -> client.getSession("sb_doesnotexist")).isInstanceOfSatisfying(NotFoundException.class,
                e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.code()).isEqualTo("SESSION_NOT_FOUND");
                });
        assertThatThrownBy(() -> client.createSession(CreateSessionOptions.builder().image("nope").build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("INVALID_REQUEST");
                    assertThat(e.getMessage()).contains("image");
                });

        Session s = client.createSession();
        assertThatThrownBy(() -> s.exec(" ")).isInstanceOf(BadRequestException.class).hasMessageContaining("cmd");
        assertThatThrownBy(() -> s.exec("x".repeat((1 << 20) + 1)))
                .isInstanceOfSatisfying(PayloadTooLargeException.class, e -> assertThat(e.status()).isEqualTo(413));
        // A stream refused before it starts throws from execStream itself.
        assertThatThrownBy(() -> s.execStream("true", ExecOptions.builder().cwd("/x").env("BAD NAME", "1").build()))
                .isInstanceOf(BadRequestException.class);
        s.destroy();
        assertThatThrownBy(() -> s.exec("true")).isInstanceOfSatisfying(SessionGoneException.class, e -> {
            assertThat(e.status()).isEqualTo(410);
            assertThat(e.getMessage()).contains(s.id());
        });
        assertThatThrownBy(() -> s.execStream("true")).isInstanceOf(SessionGoneException.class);
        assertThatThrownBy(s::destroy).isInstanceOf(SessionGoneException.class);
        s.close(); // closing an ended session is quiet

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (SandboxClient nowhere = SandboxClient.builder().baseUrl("http://127.0.0.1:" + closedPort).apiKey("k")
                .build()) {
            assertThatThrownBy(nowhere::createSession).isInstanceOf(ConnectionException.class)
                    .hasMessageContaining("127.0.0.1:" + closedPort).hasMessageContaining("running");
        }
    }

    @Test
    void aTimeoutCarriesTheOutputReceivedSoFar() {
        try (Session s = client.createSession()) {
            try (ExecStream st = s.execStream("echo partial; sleep 100", timeoutMs(1500))) {
                String execId = st.execId();
                assertThatThrownBy(() -> st.forEach(c -> {})).isInstanceOfSatisfying(CommandTimeoutException.class,
                        e -> {
                            assertThat(e.output()).startsWith("partial\n");
                            assertThat(e.execId()).isEqualTo(execId);
                            assertThat(e.durationMs()).isGreaterThanOrEqualTo(1400L);
                            assertThat(e.getMessage()).contains("timed out").contains("timeoutMs");
                        });
            }
            assertThatThrownBy(() -> s.exec("echo partial; sleep 100", timeoutMs(1500)))
                    .isInstanceOfSatisfying(CommandTimeoutException.class,
                            e -> assertThat(e.output()).startsWith("partial\n"));
            assertThat(Sdk.run(s, "echo next")).isEqualTo("next\n");
        }
    }

    @Test
    void closingAStreamEarlyCancelsItsCommandAtOnce() {
        // A long grace: without the SDK's cancel, the next command would wait a minute for the tail to be killed.
        try (Daemon d = TestDaemon.start(Map.of("disconnect_grace_ms", "60000"));
             SandboxClient c = TestDaemon.sdk(d);
             Session s = c.createSession()) {
            Sdk.run(s, "echo line > /tmp/log");

            try (ExecStream st = s.execStream("tail -f /tmp/log")) {
                assertThat(st.iterator().next().output()).isEqualTo("line\n");
            }
            assertNoTailAndQuick(s);

            // An exception in the consumer closes the stream, so it cancels too (even without try-with-resources).
            assertThatThrownBy(() -> s.execStream("tail -f /tmp/log").forEach(chunk -> {
                throw new IllegalStateException("consumer gave up on " + chunk.output().strip());
            })).hasMessage("consumer gave up on line");
            assertNoTailAndQuick(s);

            // Another thread may close a stream to stop it; the reading thread then ends quietly.
            try (ExecStream st = s.execStream("tail -f /tmp/log")) {
                var it = st.iterator();
                assertThat(it.next().output()).isEqualTo("line\n");
                CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(st::close);
                assertThat(it.hasNext()).isFalse();
            }
            assertNoTailAndQuick(s);

            // The java.util.stream view: closing it closes the stream.
            try (Stream<ExecChunk> chunks = s.execStream("tail -f /tmp/log").stream()) {
                assertThat(chunks.findFirst()).hasValueSatisfying(ch -> assertThat(ch.output()).isEqualTo("line\n"));
            }
            assertNoTailAndQuick(s);
        }
    }

    @Test
    @Timeout(60) // without the SDK's watchdog, the read would block forever
    void withResumingOffAStreamWhoseConnectionGoesSilentFailsAfterTheRequestTimeout() throws Exception {
        // (With resuming on, the default, the stream reconnects instead: see JavaSdkResumeIT.)
        try (StallingProxy proxy = new StallingProxy(TestDaemon.shared().port());
             SandboxClient c = SandboxClient.builder().baseUrl(proxy.url()).apiKey(TestDaemon.shared().apiKey())
                     .requestTimeout(Duration.ofSeconds(2)).detachGrace(Duration.ZERO).build();
             Session s = c.createSession()) {
            ExecStream st = s.execStream("for i in $(seq 600); do echo $i; sleep 0.1; done");
            var it = st.iterator();
            assertThat(it.next().output()).isEqualTo("1\n");
            proxy.stall();
            long t = System.nanoTime();
            assertThatThrownBy(() -> {
                while (it.hasNext()) it.next();
            }).isInstanceOfSatisfying(StreamException.class, e -> {
                assertThat(e.getMessage()).contains("sent nothing for 2 s");
                assertThat(e.code()).isNull();
            });
            assertThat((System.nanoTime() - t) / 1e9).as("seconds until the silence was noticed").isBetween(1.5, 20.0);
            // The cancel went out on a fresh connection, so the session is free again.
            assertThat(Sdk.run(s, "echo next")).isEqualTo("next\n");
        }
    }

    @Test
    void anAsyncStreamAbandonedBeforeItOpensCancelsItsCommand() throws Exception {
        // A long grace: only the SDK's own cancel can free the session within the bounds below.
        try (Daemon d = TestDaemon.start(Map.of("disconnect_grace_ms", "60000"));
             SandboxClient c = TestDaemon.sdk(d);
             Session s = c.createSession()) {
            // Each stream queues behind a busy command, so its cancel reaches the daemon while it
            // waits (the daemon answers a stream at once, before its command runs).
            CompletableFuture<ExecResult> busy = s.execAsync("sleep 2");
            CompletableFuture<ExecStream> cancelled = s.execStreamAsync("tail -f /dev/null", ExecOptions.DEFAULTS);
            abandon(cancelled, () -> cancelled.cancel(true));
            assertThat(busy.join().exitCode()).isZero();
            assertNoTailSoon(s);

            busy = s.execAsync("sleep 2");
            // The caller gives up (a timeout) before the stream opens. Done by hand rather than with
            // orTimeout: a daemon on tmpfs answers a stream within a millisecond, and won that race.
            CompletableFuture<ExecStream> late = s.execStreamAsync("tail -f /dev/null", ExecOptions.DEFAULTS);
            if (abandon(late, () -> late.completeExceptionally(new TimeoutException("gave up")))) {
                assertThatThrownBy(late::join).hasCauseInstanceOf(TimeoutException.class);
            }
            assertThat(busy.join().exitCode()).isZero();
            assertNoTailSoon(s);
        }
    }

    /**
     * Gives up on a stream that has not opened yet. On a loaded machine the thread may be
     * descheduled long enough for the stream to open first; then it is closed, as a caller would,
     * and the check that no command leaks still holds. Returns whether giving up came first.
     */
    private static boolean abandon(CompletableFuture<ExecStream> stream, BooleanSupplier giveUp) {
        if (giveUp.getAsBoolean()) return true;
        stream.join().close();
        return false;
    }

    /** Bounded: a leaked tail would hold the session for the whole 60 s grace. */
    private static void assertNoTailSoon(Session s) throws Exception {
        assertThat(s.execAsync("pgrep -c -x tail || true").get(20, TimeUnit.SECONDS).stdout()).isEqualTo("0\n");
    }

    @Test
    void aQueuedBlockingExecIsNotCutOffByTheRequestTimeout() {
        try (SandboxClient c = SandboxClient.builder().baseUrl(TestDaemon.url(TestDaemon.shared()))
                .apiKey(TestDaemon.shared().apiKey()).requestTimeout(Duration.ofSeconds(1)).build();
             Session s = c.createSession()) {
            CompletableFuture<ExecResult> busy = s.execAsync("sleep 3");
            // Its own timeout starts when it runs, after the sleep: the client must not give up meanwhile.
            assertThat(s.exec("echo queued", timeoutMs(1000)).stdout()).isEqualTo("queued\n");
            assertThat(busy.join().exitCode()).isZero();
        }
    }

    private static void assertNoTailAndQuick(Session s) {
        long t = System.nanoTime();
        assertThat(s.exec("pgrep -c -x tail || true").stdout()).isEqualTo("0\n");
        assertThat((System.nanoTime() - t) / 1e9).as("seconds until the next command ran").isLessThan(10.0);
    }

    @Test
    void everyCallHasAnAsyncVariant() {
        Session s = client.createSessionAsync(CreateSessionOptions.builder().label("via", "async").build()).join();
        CompletableFuture<ExecResult> slow = s.execAsync("sleep 1; echo later");
        assertThat(slow).isNotDone();
        assertThat(slow.join().stdout()).isEqualTo("later\n");
        SessionInfo info = s.infoAsync().join();
        assertThat(info.status()).isEqualTo(SessionStatus.RUNNING);
        assertThat(info.labels()).containsEntry("via", "async");
        assertThat(client.listSessionsAsync().join()).extracting(SessionInfo::id).contains(s.id());
        assertThat(client.getSessionAsync(s.id()).join().id()).isEqualTo(s.id());
        assertThat(s.statsAsync().join().pids()).isPositive();
        try (ExecStream st = s.execStreamAsync("echo streamed", ExecOptions.DEFAULTS).join()) {
            assertThat(Sdk.text(st.stream().toList())).isEqualTo("streamed\n");
        }

        // Failures are the same typed exceptions, as the future's cause.
        assertThatThrownBy(() -> client.getSessionAsync("sb_doesnotexist").join()).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> s.execAsync("echo so-far; sleep 100", timeoutMs(1000)).join())
                .cause().isInstanceOfSatisfying(CommandTimeoutException.class,
                        e -> assertThat(e.output()).startsWith("so-far\n"));
        assertThat(s.execAsync("echo recovered").join().stdout()).isEqualTo("recovered\n");

        s.destroyAsync().join();
        assertThat(s.infoAsync().join().status()).isEqualTo(SessionStatus.DESTROYED);
        assertThatThrownBy(() -> s.execAsync("true").join()).hasCauseInstanceOf(SessionGoneException.class);
        assertThatThrownBy(() -> s.execStreamAsync("true").join()).hasCauseInstanceOf(SessionGoneException.class);
    }

    @Test
    void chunksCarryTheirStreamTimestampAndIdsAndTheLastOneTheOutcome() {
        try (Session s = client.createSession()) {
            long before = System.currentTimeMillis();
            List<ExecChunk> all;
            String execId;
            try (ExecStream st = s.execStream("echo out; echo err >&2; cd /tmp; exit 3")) {
                execId = st.execId();
                all = st.stream().toList();
            }
            long after = System.currentTimeMillis();
            assertThat(execId).startsWith("ex_");
            List<ExecChunk> out = Sdk.outputChunks(all);
            assertThat(out).isNotEmpty().allSatisfy(c -> {
                assertThat(c.done()).isFalse();
                assertThat(c.stream()).isNotNull();
                assertThat(c.timestamp()).isBetween(before, after);
                assertThat(c.execId()).isEqualTo(execId);
                assertThat(c.exitCode()).isNull();
                assertThat(c.cwd()).isNull();
                assertThat(c.durationMs()).isNull();
            });
            assertThat(Sdk.text(out.stream().filter(c -> c.stream() == StdStream.STDOUT).toList())).isEqualTo("out\n");
            assertThat(Sdk.text(out.stream().filter(c -> c.stream() == StdStream.STDERR).toList())).isEqualTo("err\n");
            ExecChunk done = all.getLast();
            assertThat(all).filteredOn(ExecChunk::done).containsExactly(done);
            assertThat(done.output()).isEmpty();
            assertThat(done.exitCode()).isEqualTo(3);
            assertThat(done.cwd()).isEqualTo("/tmp");
            assertThat(done.durationMs()).isNotNegative();
            assertThat(done.execId()).isEqualTo(execId);
            assertThat(done.stream()).isNull();
            assertThat(done.stateLost()).isFalse();
            List<Long> ids = all.stream().map(ExecChunk::eventId).toList();
            assertThat(ids).isSorted().doesNotHaveDuplicates().allSatisfy(id -> assertThat(id).isPositive());
        }
    }

    @Test
    void largeChunksAndManyOfThemArriveWhole() {
        try (Session s = client.createSession()) {
            long[] total = new long[2];
            try (var stream = s.execStream("head -c 50000000 /dev/zero | tr '\\0' a",
                    ExecOptions.builder().chunkSize(256 * 1024).build())) {
                stream.forEach(chunk -> {
                    if (chunk.done()) {
                        assertThat(chunk.exitCode()).isZero();
                        return;
                    }
                    assertThat(chunk.output().length()).isLessThanOrEqualTo(256 * 1024);
                    total[0] += chunk.output().chars().filter(ch -> ch == 'a').count();
                    total[1]++;
                });
            }
            assertThat(total[0]).isEqualTo(50_000_000);
            assertThat(total[1]).isBetween(191L, 50_000L);
        }
    }

    @Test
    void sessionsCloseAsResourcesAndKeepTheirEnvironment() {
        String id;
        try (Session s = client.createSession(CreateSessionOptions.builder().image("base").env("GREETING", "hello")
                .build())) {
            id = s.id();
            assertThat(Sdk.run(s, "echo $GREETING")).isEqualTo("hello\n");
            assertThat(s.info().image()).isEqualTo("base");
            Sdk.run(s, "cd /tmp");
            assertThat(s.info().cwd()).isEqualTo("/tmp");
        }
        assertThat(client.getSession(id).info().status()).isEqualTo(SessionStatus.DESTROYED);
        List<String> live = new ArrayList<>();
        client.listSessions().forEach(i -> live.add(i.id()));
        assertThat(live).doesNotContain(id);
    }
}
