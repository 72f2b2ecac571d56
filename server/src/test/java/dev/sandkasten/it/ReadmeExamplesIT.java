package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.CommandTimeoutException;
import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.client.SessionStats;
import dev.sandkasten.daemon.Daemon;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The examples of client/README.md, run as written against the real daemon. Only the commands
 * differ (sandboxes have no network, so no pip install) and output goes to {@code out} instead of
 * System.out, so it can be checked.
 */
class ReadmeExamplesIT {
    final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);

    private String printed() {
        String s = captured.toString(StandardCharsets.UTF_8);
        captured.reset();
        return s;
    }

    @Test
    void theReadmeExamplesWork() {
        Daemon d = TestDaemon.shared();
        SandboxClient client = SandboxClient.builder()
                .baseUrl(TestDaemon.url(d))
                .apiKey(d.apiKey())
                .build();

        try (Session session = client.createSession()) {
            // Create a session and run commands
            ExecResult result = session.exec("echo hello");
            out.print(result.output());
            try (var stream = session.execStream("echo Collecting requests; sleep 0.2; echo done")) {
                stream.forEach(chunk -> {
                    out.print(chunk.output());
                    if (chunk.done()) {
                        out.println("\nCompleted in " + chunk.durationMs() + "ms");
                        out.println("Exit code: " + chunk.exitCode());
                    }
                });
            }
            assertThat(printed()).startsWith("hello\nCollecting requests\ndone\n\nCompleted in ").endsWith("Exit code: 0\n");

            // Progress indicator
            try (var stream = session.execStream("printf 'installing 1/2'; sleep 0.2; printf ' 2/2'; exit 4")) {
                for (ExecChunk chunk : stream) {
                    out.print(chunk.output());
                    out.flush();
                    if (chunk.done()) {
                        out.println(chunk.exitCode() == 0
                                ? "\n✅ Installation successful"
                                : "\n❌ Installation failed (code " + chunk.exitCode() + ")");
                    }
                }
            }
            assertThat(printed()).isEqualTo("installing 1/2 2/2\n❌ Installation failed (code 4)\n");

            // Collect and display
            StringBuilder outputBuffer = new StringBuilder();
            String[] fullOutputs = new String[1];
            try (var stream = session.execStream("for i in 1 2 3; do echo line $i; sleep 0.1; done")) {
                stream.forEach(chunk -> {
                    outputBuffer.append(chunk.output());
                    out.print(chunk.output());
                    if (chunk.done()) {
                        String fullOutput = outputBuffer.toString();
                        fullOutputs[0] = fullOutput;
                    }
                });
            }
            assertThat(fullOutputs[0]).isEqualTo("line 1\nline 2\nline 3\n").isEqualTo(printed());

            // Timeout handling
            try (var stream = session.execStream("echo working; sleep 100", ExecOptions.builder().timeoutMs(1500).build())) {
                stream.forEach(chunk -> {
                    out.print(chunk.output());
                    if (chunk.done()) out.println("Exit: " + chunk.exitCode());
                });
            } catch (CommandTimeoutException e) {
                out.println("Timed out after " + e.durationMs() + " ms; output so far: " + e.output());
            }
            assertThat(printed()).startsWith("working\n").contains("Timed out after ")
                    .contains("output so far: working\n").doesNotContain("Exit:");

            // Close to cancel
            session.exec("(sleep 0.5; echo starting; sleep 0.5; echo ready; echo more) > /tmp/app.log &");
            try (var stream = session.execStream("tail -F /tmp/app.log 2>/dev/null",
                    ExecOptions.builder().timeoutMs(60_000).build())) {
                for (ExecChunk chunk : stream) {
                    out.print(chunk.output());
                    if (chunk.output().contains("ready")) break;
                }
            }
            assertThat(printed()).contains("ready");
            assertThat(session.exec("pgrep -c -x tail || true").output()).isEqualTo("0\n");

            // Async
            CompletableFuture<ExecResult> a = session.execAsync("echo tested");
            CompletableFuture<SessionStats> s = session.statsAsync();
            a.thenAccept(r -> out.println("exit " + r.exitCode())).join();
            assertThat(s.join().pids()).isPositive();
            CompletableFuture<ExecResult> version = client.createSessionAsync().thenCompose(other ->
                    other.execAsync("python3 --version").whenComplete((r, e) -> other.destroyAsync()));
            assertThat(version.join().output()).startsWith("Python 3");
            assertThat(printed()).isEqualTo("exit 0\n");
        }
        client.close();
    }
}
