package dev.sandkasten.sandbox;

import dev.sandkasten.cgroup.SessionCgroup;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A running sandbox: the bubblewrap process, the pipe to its shell's standard input, the host
 * directory holding its control FIFOs and command files (mounted read-only inside at
 * {@code /run/sandkasten}), and its control groups. Closing it kills everything inside and removes
 * its groups; the caller removes the directories.
 */
public final class Sandbox implements AutoCloseable {
    /** Where the control directory appears inside the sandbox. */
    public static final String INNER_CONTROL_DIR = "/run/sandkasten";

    private final String name;
    private final Process process;
    private final OutputStream shellInput;
    private final Path controlDir;
    private final Path outputDir;
    private final Path logFile;
    private final SessionCgroup cgroup;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.List<Process> helpers = new java.util.concurrent.CopyOnWriteArrayList<>();

    Sandbox(String name, Process process, Path controlDir, Path outputDir, Path logFile, SessionCgroup cgroup) {
        this.name = name;
        this.process = process;
        this.shellInput = process.getOutputStream();
        this.controlDir = controlDir;
        this.outputDir = outputDir;
        this.logFile = logFile;
        this.cgroup = cgroup;
    }

    public String name() {
        return name;
    }

    /** Host path of the control directory (FIFOs and command files). */
    public Path controlDir() {
        return controlDir;
    }

    /**
     * Host directory for the commands' output logs: root-only and mounted nowhere, so nothing in
     * the sandbox can read or change them; removed with the session.
     */
    public Path outputDir() {
        return outputDir;
    }

    /** Bubblewrap's own diagnostics from start-up, for the daemon's log only. */
    public Path logFile() {
        return logFile;
    }

    public SessionCgroup cgroup() {
        return cgroup;
    }

    /** Host pid of bubblewrap's outer process. */
    long pid() {
        return process.pid();
    }

    /** A host-side helper of this sandbox (its network), ended with it. */
    void addHelper(Process helper) {
        helpers.add(helper);
        if (closed.get()) helper.destroyForcibly();
    }

    /** Completes when the sandbox's process tree has ended. */
    public CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    /** Sends one line to the shell; the caller serializes access. */
    public void sendLine(String line) throws IOException {
        shellInput.write(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        shellInput.write('\n');
        shellInput.flush();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        cgroup.killAll();
        process.destroyForcibly();
        for (Process helper : helpers) helper.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            shellInput.close();
        } catch (IOException e) {
            // the pipe is gone with the process
        }
        cgroup.destroy();
    }
}
