package dev.sandkasten.client;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A handle on a command started with {@link Session#execBackground}, which runs beside the
 * session's other commands until it ends by itself, times out or is cancelled. The handle holds
 * only the command's id, so it is cheap, immutable and safe to share between threads; the
 * exec-id methods of {@link Session} work on the same command (and on any other).
 * <pre>{@code
 * ExecHandle server = session.execBackground("python3 -m http.server 8000");
 * try (ExecStream out = server.stream()) {
 *     for (ExecChunk chunk : out) {
 *         if (chunk.output().contains("Serving HTTP")) break;
 *     }
 * }
 * // ... use the server ...
 * server.cancel();
 * }</pre>
 */
public final class ExecHandle {
    /** The first and the longest pause between two polls of {@link #waitFor()}. */
    private static final long FIRST_POLL_MS = 50;
    private static final long MAX_POLL_MS = 500;

    private final Session session;
    private final String execId;

    ExecHandle(Session session, String execId) {
        this.session = session;
        this.execId = Objects.requireNonNull(execId, "execId");
    }

    /** The command's id ({@code ex_...}). */
    public String id() {
        return execId;
    }

    /** The session it runs in. */
    public Session session() {
        return session;
    }

    /** A fresh snapshot of the command: state, exit code, output sizes. */
    public ExecInfo info() {
        return session.getExec(execId);
    }

    /**
     * Waits until the command has ended and returns its final info: {@link ExecInfo#exitCode()}
     * for one that ran to its end, else {@link ExecInfo#state()} says how it ended. Polls the
     * daemon, at most twice a second. To bound the wait, use {@link #waitForAsync()} with
     * {@code orTimeout}.
     *
     * @throws SandkastenException interrupted (the interrupt flag is set again), or the daemon failed
     */
    public ExecInfo waitFor() {
        long pause = FIRST_POLL_MS;
        while (true) {
            ExecInfo info = info();
            if (info.state().isFinished()) return info;
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandkastenException("interrupted while waiting for exec " + execId + " to end", e);
            }
            pause = Math.min(MAX_POLL_MS, pause * 2);
        }
    }

    /**
     * {@link #waitFor()}, asynchronously: no thread waits meanwhile. Cancelling the future (or its
     * {@code orTimeout}) stops the polling, not the command.
     */
    public CompletableFuture<ExecInfo> waitForAsync() {
        CompletableFuture<ExecInfo> out = new CompletableFuture<>();
        poll(out, FIRST_POLL_MS);
        return out;
    }

    private void poll(CompletableFuture<ExecInfo> out, long pause) {
        if (out.isDone()) return;
        session.getExecAsync(execId).whenComplete((info, e) -> {
            if (e != null) {
                out.completeExceptionally(e instanceof CompletionException || e instanceof ExecutionException
                        ? e.getCause() : e);
            } else if (info.state().isFinished()) {
                out.complete(info);
            } else {
                CompletableFuture.delayedExecutor(pause, TimeUnit.MILLISECONDS)
                        .execute(() -> poll(out, Math.min(MAX_POLL_MS, pause * 2)));
            }
        });
    }

    /**
     * Follows the command's output from its start (it attaches, so it also works for a command
     * that has finished); see {@link Session#attach(String)}. Closing the stream leaves the command running.
     */
    public ExecStream stream() {
        return session.attach(execId);
    }

    /** Follows the command's output after the event {@code afterEventId}; see {@link Session#attach(String, long)}. */
    public ExecStream stream(long afterEventId) {
        return session.attach(execId, afterEventId);
    }

    /** Writes text (as UTF-8) to the command's input; see {@link Session#writeStdin(String, String)}. */
    public void writeStdin(String text) {
        session.writeStdin(execId, text);
    }

    /** Writes bytes to the command's input; see {@link Session#writeStdin(String, byte[])}. */
    public void writeStdin(byte[] bytes) {
        session.writeStdin(execId, bytes);
    }

    /** Ends the command's input; see {@link Session#closeStdin(String)}. */
    public void closeStdin() {
        session.closeStdin(execId);
    }

    /** Sends a signal to the command's process tree; see {@link Session#signal(String, String)}. */
    public int signal(String signal) {
        return session.signal(execId, signal);
    }

    /** Changes the size of the command's terminal; see {@link Session#resize(String, int, int)}. */
    public void resize(int cols, int rows) {
        session.resize(execId, cols, rows);
    }

    /**
     * Kills the command's whole process tree at once (or drops it from the queue).
     *
     * @return true if it was cancelled, false if it had ended already
     */
    public boolean cancel() {
        return session.cancel(execId);
    }

    @Override
    public String toString() {
        return "ExecHandle[" + execId + " in " + session.id() + "]";
    }
}
