package dev.sandkasten.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A handle on one session: an isolated Linux environment with a persistent bash, so {@code cd},
 * exported variables, functions and background jobs carry over from one command to the next.
 * Commands of one session run one at a time, in the order they arrive. Get one from
 * {@link SandboxClient#createSession()} or {@link SandboxClient#getSession(String)}.
 *
 * <p>Closing the handle destroys the session, so try-with-resources cleans up:
 * <pre>{@code
 * try (Session session = client.createSession()) {
 *     System.out.print(session.exec("echo hello").output());
 * }
 * }</pre>
 * Besides running commands (blocking, streaming, or in the background with
 * {@link #execBackground}), a session lists its commands ({@link #listExecs()}), follows any of
 * them ({@link #attach}), feeds their input, signals them, resizes their terminal, and reads and
 * writes its files ({@link #files()}). A handle is immutable and safe to share between threads.
 */
public final class Session implements AutoCloseable {
    /** The most one stdin write may carry. */
    static final int MAX_STDIN_WRITE = 1 << 20;

    private final Transport transport;
    private final String id;
    private final String path;
    private final SandboxFiles files;

    Session(Transport transport, String id) {
        this.transport = transport;
        this.id = id;
        this.path = "/v1/sessions/" + Transport.segment(id);
        this.files = new SandboxFiles(transport, path);
    }

    /** The session's id ({@code sb_...}). */
    public String id() {
        return id;
    }

    /** A fresh snapshot of the session: status, working directory, lease. Works for ended sessions too (for an hour). */
    public SessionInfo info() {
        return transport.call(get(path), Wire::sessionInfo);
    }

    /** {@link #info()}, asynchronously. */
    public CompletableFuture<SessionInfo> infoAsync() {
        return transport.callAsync(get(path), Wire::sessionInfo);
    }

    /**
     * Runs a command and waits for it to finish. A non-zero exit code is reported in the result,
     * not thrown.
     *
     * @throws CommandTimeoutException  the command ran past its timeout (2 minutes unless set); it was killed
     * @throws SessionGoneException     the session has ended
     * @throws BadRequestException      the command is empty
     * @throws PayloadTooLargeException the command is larger than 1 MiB
     */
    public ExecResult exec(String cmd) {
        return exec(cmd, ExecOptions.DEFAULTS);
    }

    /** Runs a command with options (timeout, env, cwd, encoding...) and waits for it; see {@link #exec(String)}. */
    public ExecResult exec(String cmd, ExecOptions options) {
        return transport.call(execRequest(cmd, options), Wire::execResult);
    }

    /** {@link #exec(String)}, asynchronously: the future fails with the same typed exceptions. */
    public CompletableFuture<ExecResult> execAsync(String cmd) {
        return execAsync(cmd, ExecOptions.DEFAULTS);
    }

    /**
     * {@link #exec(String, ExecOptions)}, asynchronously. Cancelling the future abandons the
     * request; the command itself runs on until it ends or times out.
     */
    public CompletableFuture<ExecResult> execAsync(String cmd, ExecOptions options) {
        return transport.callAsync(execRequest(cmd, options), Wire::execResult);
    }

    /**
     * Starts a command and returns its output as a stream of chunks, delivered as the command
     * writes them. Close the stream (try-with-resources) to cancel a command you no longer need.
     * If the connection breaks meanwhile, the stream resumes by itself (see {@link ExecStream});
     * with {@link ExecOptions.Builder#stdin} the command's input is fed by {@link #writeStdin}
     * with {@link ExecStream#execId()}.
     *
     * @throws NotFoundException       no such session (thrown here, before any output)
     * @throws SessionGoneException    the session has ended
     * @throws BadRequestException the command or an option was refused
     */
    public ExecStream execStream(String cmd) {
        return execStream(cmd, ExecOptions.DEFAULTS);
    }

    /** Starts a command with options and streams its output; see {@link #execStream(String)}. */
    public ExecStream execStream(String cmd, ExecOptions options) {
        HttpRequest req = streamRequest(cmd, options);
        return ownStream(transport.open(req), options);
    }

    /** {@link #execStream(String)}, asynchronously: the future completes once the stream is open. */
    public CompletableFuture<ExecStream> execStreamAsync(String cmd) {
        return execStreamAsync(cmd, ExecOptions.DEFAULTS);
    }

    /**
     * {@link #execStream(String, ExecOptions)}, asynchronously: the future completes once the
     * stream is open. Cancelling the future (or its {@code orTimeout}) before then abandons the
     * request, and a stream that opens anyway is closed at once, which cancels its command.
     */
    public CompletableFuture<ExecStream> execStreamAsync(String cmd, ExecOptions options) {
        HttpRequest req = streamRequest(cmd, options);
        return transport.openAsync(req, open -> ownStream(open, options), ExecStream::close);
    }

    /**
     * Follows a command's output from its start: any command of this session, queued, running
     * or finished (while {@link #listExecs()} lists it), whoever started it. Like a stream from
     * {@link #execStream}, it resumes by itself after a lost connection; unlike one, closing it
     * leaves the command running (a foreground command whose last watcher is gone is then
     * cancelled by the daemon after its detach grace). Several streams may follow one command;
     * they see the same chunks.
     *
     * @throws NotFoundException no such command (or session)
     */
    public ExecStream attach(String execId) {
        return attach(execId, -1);
    }

    /**
     * Follows a command's output after the event {@code afterEventId} (an {@link ExecChunk#eventId()}
     * received before): exactly the chunks that came after it, nothing lost or repeated. 0 skips
     * only the start; -1 is the very start, as {@link #attach(String)}.
     *
     * @throws BadRequestException the id is past the command's output so far
     * @throws NotFoundException   no such command (or session)
     */
    public ExecStream attach(String execId, long afterEventId) {
        Objects.requireNonNull(execId, "execId");
        if (afterEventId < -1) throw new IllegalArgumentException("afterEventId must be -1 or more");
        return new ExecStream(transport, id, reopen(execId, afterEventId), false, reconnector, afterEventId);
    }

    /**
     * The commands of this session: queued and running ones, and the most recent finished ones
     * (100 by default), oldest first.
     */
    public List<ExecInfo> listExecs() {
        return transport.call(get(path + "/execs"), Wire::execList);
    }

    /**
     * One command of this session, by id.
     *
     * @throws NotFoundException no such command, or one no longer listed
     */
    public ExecInfo getExec(String execId) {
        return transport.call(get(execPath(execId)), Wire::execInfo);
    }

    /** {@link #getExec(String)}, asynchronously. */
    public CompletableFuture<ExecInfo> getExecAsync(String execId) {
        return transport.callAsync(get(execPath(execId)), Wire::execInfo);
    }

    /** Starts a command in the background with the daemon's defaults; see {@link #execBackground(String, ExecOptions)}. */
    public ExecHandle execBackground(String cmd) {
        return execBackground(cmd, ExecOptions.DEFAULTS);
    }

    /**
     * Starts a command in the background and returns at once. It runs beside the session's
     * other commands, in a subshell that starts with the session's state (cwd, variables,
     * functions) and cannot change it. It ends at its own timeout or when cancelled, never
     * because a client went away. Use the handle to wait for it, follow its output, feed its
     * input (with {@link ExecOptions.Builder#stdin}), signal or cancel it.
     *
     * @throws SessionGoneException the session has ended
     * @throws BadRequestException  the command or an option was refused
     */
    public ExecHandle execBackground(String cmd, ExecOptions options) {
        return transport.call(backgroundRequest(cmd, options), this::backgroundHandle);
    }

    /** {@link #execBackground(String, ExecOptions)}, asynchronously. */
    public CompletableFuture<ExecHandle> execBackgroundAsync(String cmd, ExecOptions options) {
        return transport.callAsync(backgroundRequest(cmd, options), this::backgroundHandle);
    }

    /**
     * Writes text (as UTF-8) to the input of a command started with {@link ExecOptions.Builder#stdin}.
     * Returns once the daemon has queued it for the command (it may still be queued itself).
     *
     * @throws ConflictException the command has no input ({@code NO_STDIN}), its input was closed or
     *                           it has ended ({@code STDIN_CLOSED}), or it has not read the
     *                           last megabyte written to it within 5 s ({@code STDIN_FULL})
     */
    public void writeStdin(String execId, String text) {
        Objects.requireNonNull(text, "text");
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_STDIN_WRITE) {
            postStdin(execId, Wire.stdinBody(text, null, 0, 0, false));
        } else {
            writeStdin(execId, bytes);
        }
    }

    /**
     * Writes bytes to the input of a command started with {@link ExecOptions.Builder#stdin}, in
     * pieces of at most 1 MiB (the most one write may carry). See {@link #writeStdin(String, String)}.
     */
    public void writeStdin(String execId, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        int off = 0;
        do {
            int n = Math.min(MAX_STDIN_WRITE, bytes.length - off);
            postStdin(execId, Wire.stdinBody(null, bytes, off, n, false));
            off += n;
        } while (off < bytes.length);
    }

    /**
     * Ends the input of a command started with {@link ExecOptions.Builder#stdin}: it reads end of
     * file once it has read what was written before.
     *
     * @throws ConflictException the command has no input, or it was closed already or has ended
     */
    public void closeStdin(String execId) {
        postStdin(execId, Wire.stdinBody(null, null, 0, 0, true));
    }

    /**
     * Sends a signal to a running command's process tree (never to the session's shell):
     * {@code SIGINT} (like Ctrl-C), {@code SIGTERM}, {@code SIGKILL}, {@code SIGHUP},
     * {@code SIGQUIT}, {@code SIGUSR1}, {@code SIGUSR2}, {@code SIGSTOP}, {@code SIGCONT}, with or
     * without {@code SIG}, in any case.
     *
     * @return how many processes got it (0 for a command made only of shell builtins: cancel it instead)
     * @throws ConflictException   the command is queued or has ended ({@code EXEC_NOT_RUNNING})
     * @throws BadRequestException an unknown signal name
     */
    public int signal(String execId, String signal) {
        Objects.requireNonNull(signal, "signal");
        ObjectNode body = Wire.JSON.createObjectNode().put("signal", signal);
        return transport.call(transport.request("POST", execPath(execId) + "/signal", body,
                transport.requestTimeout()), n -> n.path("processes").asInt());
    }

    /**
     * Changes the terminal size of a running command started with {@link ExecOptions.Builder#pty};
     * the program gets {@code SIGWINCH}.
     *
     * @throws ConflictException the command has no terminal ({@code NO_PTY}), or is not running
     */
    public void resize(String execId, int cols, int rows) {
        ExecOptions.checkSide(cols, "cols");
        ExecOptions.checkSide(rows, "rows");
        ObjectNode body = Wire.JSON.createObjectNode().put("cols", cols).put("rows", rows);
        transport.call(transport.request("POST", execPath(execId) + "/resize", body, transport.requestTimeout()),
                n -> n);
    }

    /**
     * The files under this session's {@code /workspace}: read, write, upload, download, list.
     * They outlive the session only if it was created with a workspace id.
     */
    public SandboxFiles files() {
        return files;
    }

    /**
     * Cancels a running or queued command by its id (from {@link ExecStream#execId()}): its whole
     * process tree is killed at once; the shell and its state survive.
     *
     * @return true if the command was cancelled, false if no such command is queued or running
     *         (it finished already, or the id is unknown)
     */
    public boolean cancel(String execId) {
        try {
            transport.call(transport.request("DELETE", execPath(execId), null, transport.requestTimeout()), n -> n);
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** Memory, CPU and process counts of the session's sandbox. */
    public SessionStats stats() {
        return transport.call(get(path + "/stats"), Wire::stats);
    }

    /** {@link #stats()}, asynchronously. */
    public CompletableFuture<SessionStats> statsAsync() {
        return transport.callAsync(get(path + "/stats"), Wire::stats);
    }

    /**
     * Destroys the session: every process, file and cgroup of it is gone when this returns.
     *
     * @throws SessionGoneException the session had ended already
     * @throws NotFoundException    no such session
     */
    public void destroy() {
        transport.call(delete(), n -> n);
    }

    /** {@link #destroy()}, asynchronously. */
    public CompletableFuture<Void> destroyAsync() {
        return transport.callAsync(delete(), n -> null);
    }

    /** Destroys the session unless it has ended already; see {@link #destroy()}. */
    @Override
    public void close() {
        try {
            destroy();
        } catch (SessionGoneException | NotFoundException e) {
            // ended already (destroyed, expired, or forgotten): nothing to clean up
        }
    }

    @Override
    public String toString() {
        return "Session[" + id + "]";
    }

    private HttpRequest get(String p) {
        return transport.request("GET", p, null, transport.requestTimeout());
    }

    private HttpRequest delete() {
        // Destroying waits for the session's command to wind down (up to ~10 s), so allow for that.
        return transport.request("DELETE", path, null, transport.requestTimeout().plusSeconds(15));
    }

    private HttpRequest execRequest(String cmd, ExecOptions options) {
        Objects.requireNonNull(cmd, "cmd");
        Objects.requireNonNull(options, "options");
        // No HTTP timeout: the daemon enforces the command's timeout, but starts it only when the
        // command starts running, and commands queue per session, so no client-side bound is right.
        return transport.request("POST", path + "/exec", Wire.execBody(cmd, options), null);
    }

    private HttpRequest streamRequest(String cmd, ExecOptions options) {
        Objects.requireNonNull(cmd, "cmd");
        Objects.requireNonNull(options, "options");
        return transport.request("POST", path + "/exec/stream", Wire.streamBody(cmd, options, detachGraceMs(options)),
                transport.requestTimeout());
    }

    private HttpRequest backgroundRequest(String cmd, ExecOptions options) {
        Objects.requireNonNull(cmd, "cmd");
        Objects.requireNonNull(options, "options");
        return transport.request("POST", path + "/exec", Wire.backgroundBody(cmd, options), transport.requestTimeout());
    }

    private long detachGraceMs(ExecOptions options) {
        return options.detachGraceMs() != null ? options.detachGraceMs() : transport.detachGrace().toMillis();
    }

    /** A stream of a command this client started: closing it early cancels the command. */
    private ExecStream ownStream(Transport.OpenStream open, ExecOptions options) {
        return new ExecStream(transport, id, open, true, detachGraceMs(options) > 0 ? reconnector : null, -1);
    }

    /** How this session's streams get back to their command after a lost connection. */
    private final ExecStream.Reconnector reconnector = new ExecStream.Reconnector() {
        @Override
        public Transport.OpenStream reopen(String execId, long lastEventId) {
            return Session.this.reopen(execId, lastEventId);
        }

        @Override
        public boolean finished(String execId) {
            try {
                return getExec(execId).state().isFinished();
            } catch (SandkastenException e) {
                return false; // unknown: keep trying to resume, within the usual bounds
            }
        }
    };

    /** Opens {@code GET .../execs/{id}/stream} after the event {@code lastEventId} (-1: from the start). */
    private Transport.OpenStream reopen(String execId, long lastEventId) {
        HttpRequest.Builder b = transport.builder(execPath(execId) + "/stream", transport.requestTimeout())
                .setHeader("Accept", "text/event-stream").GET();
        if (lastEventId >= 0) b.header("Last-Event-ID", Long.toString(lastEventId));
        return transport.open(b.build());
    }

    private ExecHandle backgroundHandle(JsonNode n) {
        return new ExecHandle(this, Wire.execInfo(n).execId());
    }

    private void postStdin(String execId, ObjectNode body) {
        transport.call(transport.request("POST", execPath(execId) + "/stdin", body, transport.requestTimeout()),
                n -> n);
    }

    private String execPath(String execId) {
        Objects.requireNonNull(execId, "execId");
        return path + "/execs/" + Transport.segment(execId);
    }
}
