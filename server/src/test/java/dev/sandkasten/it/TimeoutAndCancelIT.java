package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sandkasten.client.CommandCancelledException;
import dev.sandkasten.client.CommandTimeoutException;
import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.ExecStream;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Timeouts, cancels and vanished clients kill the command's whole tree and leave the session usable. */
class TimeoutAndCancelIT {
    final SandboxClient client = TestDaemon.sdk();

    private static final String TREE = "sleep 300 & setsid sleep 301 & (setsid sh -c 'sleep 302 & sleep 303') & sleep 304";

    private static int sleepers(Session session) {
        return Integer.parseInt(Sdk.run(session, "pgrep -c -f 'sleep 30[0-4]' || true").trim());
    }

    private static ExecOptions timeoutMs(long ms) {
        return ExecOptions.builder().timeoutMs(ms).build();
    }

    @Test
    void aCommandCancelledBeforeItsNextProcessStartsDoesNotLeaveThatProcessBehind() {
        // The cancel lands while `sleep` runs; bash then moves on to `tail`, which a single kill
        // would have missed. The shell's state must survive too (no replacement needed).
        try (Session s = client.createSession()) {
            Sdk.run(s, "export KEEP=2");
            for (int i = 0; i < 3; i++) {
                try (ExecStream st = s.execStream("sleep 0.5; tail -f /dev/null")) {
                    assertThat(s.cancel(st.execId())).isTrue();
                    assertThatThrownBy(() -> st.forEach(c -> {})).isInstanceOf(CommandCancelledException.class);
                }
                assertThat(Sdk.run(s, "pgrep -c -x tail || true")).isEqualTo("0\n");
            }
            assertThat(Sdk.run(s, "echo $KEEP")).isEqualTo("2\n");
        }
    }

    @Test
    void blockingTimeoutKillsTheTreeIncludingSetsidChildren() {
        try (Session s = client.createSession()) {
            Sdk.run(s, "cd /tmp; export KEEP=1");
            // The SDK raises CommandTimeoutException for a blocking exec only on 504 COMMAND_TIMEOUT.
            assertThatThrownBy(() -> s.exec("echo before; " + TREE, timeoutMs(1500)))
                    .isInstanceOfSatisfying(CommandTimeoutException.class, e -> {
                        assertThat(e.code()).isEqualTo("COMMAND_TIMEOUT");
                        assertThat(e.output()).contains("before");
                        assertThat(e.execId()).startsWith("ex_");
                        assertThat(e.durationMs()).isBetween(1400L, 10_000L);
                    });
            assertThat(sleepers(s)).isZero();
            assertThat(Sdk.run(s, "echo $KEEP; pwd")).isEqualTo("1\n/tmp\n");
        }
    }

    @Test
    void streamingTimeoutEndsWithAnErrorEventAndNoDone() {
        try (Session s = client.createSession()) {
            List<ExecChunk> seen = new ArrayList<>();
            try (ExecStream st = s.execStream("echo hi; " + TREE, timeoutMs(1500))) {
                // The SDK turns the error event with COMMAND_TIMEOUT into this exception.
                assertThatThrownBy(() -> st.forEach(seen::add)).isInstanceOfSatisfying(CommandTimeoutException.class,
                        e -> assertThat(e.output()).startsWith("hi\n"));
            }
            assertThat(seen).isNotEmpty().noneMatch(ExecChunk::done);
            assertThat(sleepers(s)).isZero();
            assertThat(Sdk.run(s, "echo ok")).isEqualTo("ok\n");
        }
    }

    @Test
    void aStuckShellIsRestartedAndTheResponseSaysStateWasLost() {
        try (Session s = client.createSession()) {
            Sdk.run(s, "export GONE=1");
            assertThatThrownBy(() -> s.exec("while :; do :; done", timeoutMs(1000)))
                    .isInstanceOfSatisfying(CommandTimeoutException.class, e -> assertThat(e.stateLost()).isTrue());
            assertThat(Sdk.run(s, "echo \"[$GONE]\"; pwd")).isEqualTo("[]\n/workspace\n");
        }
    }

    @Test
    void exitingTheShellItselfRestartsItInTheSameSandbox() {
        try (Session s = client.createSession()) {
            Sdk.run(s, "echo keep > /tmp/marker");
            ExecResult r = s.exec("builtin exit 5");
            assertThat(r.exitCode()).isEqualTo(5);
            assertThat(r.stateLost()).isTrue();
            assertThat(Sdk.run(s, "cat /tmp/marker")).isEqualTo("keep\n");
        }
    }

    @Test
    void cancelKillsARunningCommandAtOnce() {
        try (Session s = client.createSession()) {
            String execId;
            try (ExecStream st = s.execStream("echo started; " + TREE)) {
                execId = st.execId();
                assertThat(execId).startsWith("ex_");
                Iterator<ExecChunk> it = st.iterator();
                assertThat(it.next().output()).isEqualTo("started\n");
                assertThat(s.cancel(execId)).isTrue();
                assertThatThrownBy(() -> it.forEachRemaining(c -> {}))
                        .isInstanceOfSatisfying(CommandCancelledException.class,
                                e -> assertThat(e.code()).isEqualTo("CANCELLED"));
            }
            assertThat(sleepers(s)).isZero();
            assertThat(s.cancel("ex_nope")).isFalse();
            assertThat(s.cancel(execId)).isFalse(); // it ended already
        }
    }

    @Test
    void aVanishedStreamingClientGetsItsCommandKilledAfterTheGrace() throws Exception {
        // Raw HTTP: closing an SDK stream cancels its command at once; this test needs a client that just goes away.
        try (Session s = client.createSession()) {
            var st = TestDaemon.client().stream(s.id(), "echo started; " + TREE);
            assertThat(st.next().name()).isEqualTo("start");
            assertThat(st.next().name()).isEqualTo("chunk");
            st.close();
            // Grace is a few seconds; the session must then be free and the tree gone.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(sleepers(s)).isZero());
            assertThat(Sdk.run(s, "echo free")).isEqualTo("free\n");
        }
    }
}
