package dev.sandkasten.client;

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
 * A handle is immutable and safe to share between threads.
 */
public final class Session implements AutoCloseable {
    private final Transport transport;
    private final String id;
    private final String path;

    Session(Transport transport, String id) {
        this.transport = transport;
        this.id = id;
        this.path = "/v1/sessions/" + Transport.segment(id);
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
        return new ExecStream(transport, id, transport.open(streamRequest(cmd, options)));
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
        return transport.openAsync(streamRequest(cmd, options), open -> new ExecStream(transport, id, open),
                ExecStream::close);
    }

    /**
     * Cancels a running or queued command by its id (from {@link ExecStream#execId()}): its whole
     * process tree is killed at once; the shell and its state survive.
     *
     * @return true if the command was cancelled, false if no such command is queued or running
     *         (it finished already, or the id is unknown)
     */
    public boolean cancel(String execId) {
        Objects.requireNonNull(execId, "execId");
        try {
            transport.call(transport.request("DELETE", path + "/execs/" + Transport.segment(execId), null,
                    transport.requestTimeout()), n -> n);
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

    private java.net.http.HttpRequest get(String p) {
        return transport.request("GET", p, null, transport.requestTimeout());
    }

    private java.net.http.HttpRequest delete() {
        // Destroying waits for the session's command to wind down (up to ~10 s), so allow for that.
        return transport.request("DELETE", path, null, transport.requestTimeout().plusSeconds(15));
    }

    private java.net.http.HttpRequest execRequest(String cmd, ExecOptions options) {
        Objects.requireNonNull(cmd, "cmd");
        Objects.requireNonNull(options, "options");
        // No HTTP timeout: the daemon enforces the command's timeout, but starts it only when the
        // command starts running, and commands queue per session, so no client-side bound is right.
        return transport.request("POST", path + "/exec", Wire.execBody(cmd, options), null);
    }

    private java.net.http.HttpRequest streamRequest(String cmd, ExecOptions options) {
        Objects.requireNonNull(cmd, "cmd");
        Objects.requireNonNull(options, "options");
        return transport.request("POST", path + "/exec/stream", Wire.execBody(cmd, options), transport.requestTimeout());
    }
}
