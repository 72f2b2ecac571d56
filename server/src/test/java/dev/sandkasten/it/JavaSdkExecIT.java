package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sandkasten.client.ExecHandle;
import dev.sandkasten.client.BadRequestException;
import dev.sandkasten.client.ConflictException;
import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecInfo;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.ExecState;
import dev.sandkasten.client.ExecStream;
import dev.sandkasten.client.NotFoundException;
import dev.sandkasten.client.Session;
import dev.sandkasten.client.SessionGoneException;
import dev.sandkasten.client.SessionStats;
import dev.sandkasten.client.StdStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Java SDK's command resources against the real daemon: listing and getting execs,
 * background commands and their handles, stdin, signals, terminals, and stats.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaSdkExecIT {
    Session session;

    @BeforeAll
    void createSession() {
        session = TestDaemon.sdk().createSession();
    }

    @AfterAll
    void destroySession() {
        session.close();
    }

    private static String output(ExecStream st) {
        try (st) {
            StringBuilder sb = new StringBuilder();
            st.forEach(c -> sb.append(c.output()));
            return sb.toString();
        }
    }

    /** Reads chunks until the output so far contains {@code text}. */
    private static String readUntil(java.util.Iterator<ExecChunk> it, String text) {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().contains(text)) {
            assertThat(it.hasNext()).as("the stream ended before '" + text + "' in: " + sb).isTrue();
            sb.append(it.next().output());
        }
        return sb.toString();
    }

    @Test
    void everyCommandIsAResourceToListAndGet() {
        Instant before = Instant.now().minusSeconds(5);
        ExecResult r = session.exec("echo listed; echo err >&2; exit 4");
        ExecInfo info = session.getExec(r.execId());
        assertThat(info.execId()).isEqualTo(r.execId());
        assertThat(info.cmd()).isEqualTo("echo listed; echo err >&2; exit 4");
        assertThat(info.cmdTruncated()).isFalse();
        assertThat(info.state()).isEqualTo(ExecState.EXITED);
        assertThat(info.exitCode()).isEqualTo(4);
        assertThat(info.cwd()).isEqualTo("/workspace");
        assertThat(info.createdAt()).isAfter(before);
        assertThat(info.startedAt()).isNotNull();
        assertThat(info.finishedAt()).isAfterOrEqualTo(info.startedAt());
        assertThat(info.durationMs()).isNotNegative();
        assertThat(info.timeoutMs()).isPositive();
        assertThat(info.stdoutBytes()).isEqualTo(7);
        assertThat(info.stderrBytes()).isEqualTo(4);
        assertThat(info.background()).isFalse();
        assertThat(info.pty()).isFalse();
        assertThat(session.listExecs()).extracting(ExecInfo::execId).contains(r.execId());

        ExecResult big = session.exec("true # " + "x".repeat(2000));
        assertThat(session.getExec(big.execId()).cmdTruncated()).isTrue();
        assertThatThrownBy(() -> session.getExec("ex_doesnotexist")).isInstanceOfSatisfying(NotFoundException.class,
                e -> assertThat(e.code()).isEqualTo("EXEC_NOT_FOUND"));
    }

    @Test
    void aBackgroundCommandAnswersAtOnceAndItsHandleWaitsForItsExitCode() throws Exception {
        long t = System.nanoTime();
        ExecHandle job = session.execBackground("sleep 1; echo finished; exit 7");
        assertThat((System.nanoTime() - t) / 1e9).as("seconds until execBackground returned").isLessThan(0.9);
        assertThat(job.id()).startsWith("ex_");
        assertThat(job.info().state()).isIn(ExecState.QUEUED, ExecState.RUNNING);
        assertThat(job.info().background()).isTrue();
        // The foreground is free meanwhile.
        assertThat(Sdk.run(session, "echo foreground")).isEqualTo("foreground\n");
        ExecInfo end = job.waitFor();
        assertThat(end.state()).isEqualTo(ExecState.EXITED);
        assertThat(end.exitCode()).isEqualTo(7);
        assertThat(output(job.stream())).isEqualTo("finished\n");
        assertThat(session.listExecs()).filteredOn(ExecInfo::background).extracting(ExecInfo::execId)
                .contains(job.id());

        ExecHandle async = session.execBackgroundAsync("sleep 0.5; exit 3", ExecOptions.DEFAULTS).join();
        assertThat(async.waitForAsync().get(30, TimeUnit.SECONDS).exitCode()).isEqualTo(3);
    }

    @Test
    void cancellingABackgroundCommandEndsIt() {
        ExecHandle job = session.execBackground("sleep 300");
        await().atMost(Duration.ofSeconds(10)).until(() -> job.info().state() == ExecState.RUNNING);
        assertThat(job.cancel()).isTrue();
        ExecInfo end = job.waitFor();
        assertThat(end.state()).isEqualTo(ExecState.CANCELLED);
        assertThat(end.exitCode()).isNull();
        assertThat(job.cancel()).as("a second cancel finds nothing to stop").isFalse();
        assertThat(Sdk.run(session, "pgrep -c -x sleep || true")).isEqualTo("0\n");
    }

    @Test
    void stdinDrivesReadAndCatAndEndsWithClose() {
        ExecHandle job = session.execBackground("read -r a; read -r b; echo \"$a+$b\"; cat; echo end",
                ExecOptions.builder().stdin(true).build());
        job.writeStdin("one\ntwo\n");
        job.writeStdin("raw \u00e9 ".getBytes(StandardCharsets.UTF_8));
        job.writeStdin(new byte[] {'x', '\n'});
        job.closeStdin();
        assertThat(job.waitFor().exitCode()).isZero();
        assertThat(output(job.stream())).isEqualTo("one+two\nraw é x\nend\n");
        assertThatThrownBy(() -> job.writeStdin("late")).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.code()).isEqualTo("STDIN_CLOSED"));

        // A streaming command's input, by its exec id; a large write goes in pieces.
        String big = "y".repeat(3 << 20);
        try (ExecStream st = session.execStream("wc -c", ExecOptions.builder().stdin(true).build())) {
            session.writeStdin(st.execId(), big);
            session.closeStdin(st.execId());
            assertThat(output(st).strip()).isEqualTo(Integer.toString(big.length()));
        }

        ExecResult plain = session.exec("true");
        assertThatThrownBy(() -> session.writeStdin(plain.execId(), "x")).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.code()).isIn("NO_STDIN", "STDIN_CLOSED"));
    }

    @Test
    void sigintEndsASleepingPythonAndTheShellStillWorks() {
        Sdk.run(session, "export KEPT=yes");
        try (ExecStream st = session.execStream(
                "python3 -c 'import time; print(\"ready\", flush=True); time.sleep(100)'; echo \"after $?\"")) {
            var it = st.iterator();
            readUntil(it, "ready\n");
            assertThat(session.signal(st.execId(), "SIGINT")).isPositive();
            StringBuilder out = new StringBuilder();
            StringBuilder err = new StringBuilder();
            ExecChunk last = null;
            while (it.hasNext()) {
                last = it.next();
                (last.stream() == StdStream.STDERR ? err : out).append(last.output());
            }
            assertThat(err.toString()).contains("KeyboardInterrupt");
            assertThat(out.toString()).isEqualTo("after 130\n");
            assertThat(last.done()).isTrue();
            assertThat(last.exitCode()).isZero();
        }
        assertThat(Sdk.run(session, "echo ok $KEPT")).isEqualTo("ok yes\n");

        // The handle signals a background command the same way.
        ExecHandle job = session.execBackground("python3 -c 'import time; time.sleep(100)'");
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> job.signal("int") > 0);
        ExecInfo end = job.waitFor();
        assertThat(end.state()).isEqualTo(ExecState.EXITED);
        assertThat(end.exitCode()).isEqualTo(130);

        assertThatThrownBy(() -> job.signal("SIGNOPE")).isInstanceOf(BadRequestException.class);
        assertThatThrownBy(() -> job.signal("SIGTERM")).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.code()).isEqualTo("EXEC_NOT_RUNNING"));
    }

    @Test
    void aPtyCommandSeesATerminalThatCanBeResized() {
        try (ExecStream st = session.execStream("test -t 1 && echo tty; stty size",
                ExecOptions.builder().pty(true).cols(100).rows(30).build())) {
            assertThat(output(st)).isEqualTo("tty\n30 100\n");
        }
        assertThat(session.exec("test -t 1 && echo tty || echo no-tty").stdout()).isEqualTo("no-tty\n");

        // Resize a running terminal, then ask it its size: the typed line goes through stdin.
        ExecHandle job = session.execBackground("read -r line; stty size",
                ExecOptions.builder().pty(true).stdin(true).build());
        // The terminal opens a moment after the command starts; until then resizing is refused.
        await().atMost(Duration.ofSeconds(20)).ignoreExceptionsInstanceOf(ConflictException.class)
                .untilAsserted(() -> job.resize(132, 43));
        job.writeStdin("go\n");
        assertThat(job.waitFor().exitCode()).isZero();
        assertThat(output(job.stream())).endsWith("43 132\n");
        assertThat(job.info().pty()).isTrue();

        ExecResult plain = session.exec("true");
        assertThatThrownBy(() -> session.resize(plain.execId(), 80, 24)).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.code()).isIn("NO_PTY", "EXEC_NOT_RUNNING"));
        assertThatThrownBy(() -> session.resize(plain.execId(), 0, 24)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statsAreTyped() {
        SessionStats stats = session.stats();
        assertThat(stats.memoryBytes()).isPositive();
        assertThat(stats.memoryLimit()).isGreaterThan(stats.memoryBytes());
        assertThat(stats.cpuUsageUsec()).isPositive();
        assertThat(stats.pids()).isPositive();
    }

    @Test
    void execsOfADestroyedSessionAreGone() {
        Session s = TestDaemon.sdk().createSession();
        ExecHandle job = s.execBackground("sleep 300");
        s.destroy();
        assertThatThrownBy(job::info).isInstanceOf(SessionGoneException.class);
        assertThatThrownBy(() -> s.execBackground("true")).isInstanceOf(SessionGoneException.class);
    }
}
