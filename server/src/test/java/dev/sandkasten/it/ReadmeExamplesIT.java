package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.CommandTimeoutException;
import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.ExecChunk;
import dev.sandkasten.client.ExecHandle;
import dev.sandkasten.client.ExecInfo;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.ExecState;
import dev.sandkasten.client.ExecStream;
import dev.sandkasten.client.FileEntry;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.SandboxFiles;
import dev.sandkasten.client.Session;
import dev.sandkasten.client.SessionStats;
import dev.sandkasten.client.Workspace;
import dev.sandkasten.client.WorkspaceInfo;
import dev.sandkasten.daemon.Daemon;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void theExamplesOfTheNewerSectionsWork(@TempDir Path dir) throws Exception {
        Daemon d = TestDaemon.shared();
        SandboxClient client = SandboxClient.builder().baseUrl(TestDaemon.url(d)).apiKey(d.apiKey()).build();
        String workspaceId = "my-project-" + UUID.randomUUID().toString().substring(0, 8);

        try (Session session = client.createSession()) {
            // Lost connections resume by themselves
            SandboxClient patient = SandboxClient.builder().baseUrl(TestDaemon.url(d)).apiKey(d.apiKey())
                    .detachGrace(Duration.ofMinutes(2))        // Duration.ZERO turns resuming off
                    .build();
            ExecOptions noResume = ExecOptions.builder().detachGraceMs(0).build();
            try (var stream = patient.getSession(session.id()).execStream("echo patient")) {
                assertThat(Sdk.text(stream.stream().toList())).isEqualTo("patient\n");
            }
            assertThat(session.execStream("echo once", noResume).stream().map(ExecChunk::output).toList())
                    .contains("once\n");
            patient.close();
            String execId = session.execBackground("echo attached").id();
            session.getExec(execId); // the attach example below follows a command that may have ended
            try (var stream = session.attach(execId)) {
                for (ExecChunk chunk : stream) {
                    switch (chunk.kind()) {
                        case OUTPUT -> out.print(chunk.output());
                        case GAP -> out.printf("%n[... %d bytes of output dropped ...]%n", chunk.gap().bytes());
                        case DONE -> out.println("exit " + chunk.exitCode());
                    }
                }
            }
            assertThat(printed()).isEqualTo("attached\nexit 0\n");

            // Background commands
            ExecHandle server = session.execBackground("python3 -m http.server 8000 --bind 127.0.0.1");
            try (ExecStream log = server.stream()) {               // its output, from the start
                for (ExecChunk chunk : log) {
                    if (chunk.output().contains("Serving HTTP")) break;  // listening; closing the stream leaves it running
                }
            }
            out.print(session.exec("python3 -c \"import urllib.request as u; "
                    + "print(u.urlopen('http://127.0.0.1:8000/').status)\"").output());  // 200
            server.cancel();                                       // kills its whole process tree
            assertThat(printed()).isEqualTo("200\n");
            assertThat(server.waitFor().state()).isEqualTo(ExecState.CANCELLED);

            ExecHandle tests = session.execBackground("sleep 0.5; exit 1", ExecOptions.builder().timeoutMs(600_000).build());
            // ... run other commands in the session meanwhile ...
            ExecInfo result = tests.waitFor();                     // or tests.waitForAsync().orTimeout(..)
            out.println("tests ended " + result.state() + " with exit code " + result.exitCode());
            assertThat(printed()).isEqualTo("tests ended EXITED with exit code 1\n");

            // Commands as resources
            for (ExecInfo e : session.listExecs()) {
                out.println(e.execId() + " " + e.state() + " " + e.cmd());
            }
            ExecInfo info = session.getExec(result.execId());      // state, exitCode, durationMs, stdoutBytes, ...
            assertThat(printed()).contains(result.execId() + " EXITED sleep 0.5; exit 1\n")
                    .contains(server.id() + " CANCELLED python3 -m http.server");
            assertThat(info).isEqualTo(result);

            // Attach to a command
            ExecHandle job = session.execBackground("for i in 1 2 3; do echo step $i; sleep 1; done");
            long seen;
            try (ExecStream stream = session.attach(job.id())) {
                ExecChunk first = stream.iterator().next();
                out.print(first.output());                  // step 1
                seen = first.eventId();
            }
            try (ExecStream rest = session.attach(job.id(), seen)) {
                rest.forEach(chunk -> out.print(chunk.output()));  // step 2, step 3
            }
            assertThat(printed()).isEqualTo("step 1\nstep 2\nstep 3\n");

            // Input
            ExecHandle adder = session.execBackground("while read -r a b; do echo $((a + b)); done",
                    ExecOptions.builder().stdin(true).build());
            adder.writeStdin("1 2\n3 4\n");                       // text (UTF-8) or byte[]
            adder.closeStdin();                                    // end of input: the loop ends
            adder.waitFor();
            try (ExecStream output = adder.stream()) {
                output.forEach(chunk -> out.print(chunk.output()));  // 3, then 7
            }
            assertThat(printed()).isEqualTo("3\n7\n");

            // Signals
            try (var stream = session.execStream("python3 -c 'import time; print(\"ready\", flush=True); time.sleep(100)'")) {
                for (ExecChunk chunk : stream) {
                    out.print(chunk.output());
                    if (chunk.output().contains("ready")) session.signal(stream.execId(), "SIGINT");
                    if (chunk.done()) out.println("exit " + chunk.exitCode());  // 130, after a KeyboardInterrupt
                }
            }
            assertThat(printed()).startsWith("ready").contains("KeyboardInterrupt").endsWith("exit 130\n");

            // Terminal
            try (var stream = session.execStream("test -t 1 && echo tty; stty size",
                    ExecOptions.builder().pty(true).cols(120).rows(40).build())) {
                stream.forEach(chunk -> out.print(chunk.output()));  // tty, then 40 120
            }
            assertThat(printed()).isEqualTo("tty\n40 120\n");

            // Files (the local files live in a temporary directory here)
            Files.writeString(dir.resolve("input.csv"), "a,b\n1,2\n");
            SandboxFiles files = session.files();
            files.write("src/app.py", "print('hi')\n");            // text (UTF-8) or byte[]
            String code = files.readText("src/app.py");
            byte[] raw = files.read("src/app.py");
            files.upload("data/input.csv", dir.resolve("input.csv"));  // streamed from disk (or from an InputStream)
            files.download("data/input.csv", dir.resolve("copy.csv")); // streamed to disk (or to an OutputStream)
            for (FileEntry e : files.list("src")) {
                out.println(e.name() + " " + e.type() + " " + e.size());  // app.py FILE 12
            }
            files.mkdir("out/plots");                              // like mkdir -p
            boolean there = files.exists("out/plots");
            long size = files.stat("src/app.py").size();
            files.delete("out");                                   // directories with everything in them
            assertThat(code).isEqualTo("print('hi')\n");
            assertThat(raw).hasSize(12);
            assertThat(Files.readString(dir.resolve("copy.csv"))).isEqualTo("a,b\n1,2\n");
            assertThat(printed()).isEqualTo("app.py FILE 12\n");
            assertThat(there).isTrue();
            assertThat(size).isEqualTo(12);
            assertThat(files.exists("out")).isFalse();

            // Stats
            SessionStats stats = session.stats();
            out.printf("%d of %d MiB, %d processes, %d ms of CPU%n", stats.memoryBytes() >> 20,
                    stats.memoryLimit() >> 20, stats.pids(), stats.cpuUsageUsec() / 1000);
            assertThat(printed()).matches("\\d+ of \\d+ MiB, \\d+ processes, \\d+ ms of CPU\n");
        }

        // Workspaces
        CreateSessionOptions withWorkspace = CreateSessionOptions.builder().workspaceId(workspaceId).build();
        try (Session first = client.createSession(withWorkspace)) {
            first.files().write("notes.txt", "kept\n");
        }
        try (Session later = client.createSession(withWorkspace)) {
            out.print(later.exec("cat notes.txt").output());  // kept
        }
        Workspace project = client.workspace(workspaceId);    // its files, without a session
        project.files().write("input.json", "{}");
        for (WorkspaceInfo w : client.listWorkspaces()) {
            out.println(w.id() + " used by " + w.sessions() + " sessions");
        }
        client.deleteWorkspace(workspaceId);                  // ConflictException while a session uses it
        assertThat(printed()).startsWith("kept\n").contains(workspaceId + " used by 0 sessions\n");
        assertThat(client.listWorkspaces()).extracting(WorkspaceInfo::id).doesNotContain(workspaceId);
        client.close();
    }
}
