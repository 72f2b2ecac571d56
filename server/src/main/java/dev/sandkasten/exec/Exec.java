package dev.sandkasten.exec;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One submitted command: its id, its output log and, once it has ended, its outcome. Created by
 * {@link SessionShell#submit}; clients {@linkplain #attach attach} readers to {@link #output()}
 * and then read {@link #outcome()}. A finished exec stays listed for a while, so it keeps only a
 * preview of its command text: the full text (up to 1 MiB) is dropped when the command ends.
 *
 * <p>Disconnect policy: when the last attached client of a running foreground command goes
 * away, the command is cancelled after its detach grace unless a client attaches meanwhile, and
 * for that grace the output the departed client would resume from is held (never dropped from
 * the log). A client that reads to the end cancels nothing, and nothing cancels a background
 * command but its timeout or a cancel.
 */
public final class Exec {
    /** How much of the command text a listing shows. */
    public static final int CMD_PREVIEW_CHARS = 1024;

    private final String id;
    private final ExecOutput output;
    private final String cmdPreview;
    private final boolean cmdTruncated;
    private final Duration timeout;
    private final Duration detachGrace;
    private final ExecRequest.OutputFormat format;
    private final boolean background;
    private final StdinPipe stdin;
    private final boolean pty;
    /** Attached readers, and a counter that voids a pending disconnect cancel; guarded by this. */
    private int attached;
    private long attachEpoch;
    private final Instant createdAt = Instant.now();
    private final CompletableFuture<ExecOutcome> outcome = new CompletableFuture<>();
    private final CompletableFuture<String> cancel = new CompletableFuture<>();
    private volatile ExecRequest request;
    private volatile Instant startedAt;
    private volatile long startedNanos;
    private volatile Instant finishedAt;

    Exec(String id, ExecRequest request, ExecOutput output) {
        this.id = id;
        this.request = request;
        this.output = output;
        this.timeout = request.timeout();
        this.detachGrace = request.detachGrace();
        this.format = request.format();
        this.background = request.background();
        this.stdin = request.stdin() ? new StdinPipe() : null;
        this.pty = request.pty().isPresent();
        this.cmdTruncated = request.cmd().length() > CMD_PREVIEW_CHARS;
        // Never cut between the two halves of a surrogate pair.
        int cut = cmdTruncated && Character.isHighSurrogate(request.cmd().charAt(CMD_PREVIEW_CHARS - 1))
                ? CMD_PREVIEW_CHARS - 1 : CMD_PREVIEW_CHARS;
        this.cmdPreview = cmdTruncated ? request.cmd().substring(0, cut) : request.cmd();
    }

    public String id() {
        return id;
    }

    /** The request, while the command is queued or running (the worker needs it to run it). */
    ExecRequest request() {
        return request;
    }

    public ExecOutput output() {
        return output;
    }

    /** How the client that started the command wanted its output presented. */
    public ExecRequest.OutputFormat format() {
        return format;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The command's input, if it was started with one. */
    public Optional<StdinPipe> stdin() {
        return Optional.ofNullable(stdin);
    }

    /** Whether the command runs on a pseudo-terminal. */
    public boolean pty() {
        return pty;
    }

    /** Whether the command runs in the background (clients leaving never cancel it). */
    public boolean background() {
        return background;
    }

    /**
     * Output a vanished client may have been sent but not received: the kernel's socket buffers on
     * both sides (Linux autotunes them to a few MiB each) and the client's own buffers.
     */
    static final long IN_FLIGHT_BYTES = 16L << 20;

    /**
     * A reader of the output from {@code from} (clamped to the output so far), counted as an
     * attached client until {@link #detach}ed. Attaching ends any disconnect countdown and hold.
     */
    public ExecOutput.Reader attach(long from) {
        synchronized (this) {
            attached++;
            attachEpoch++;
        }
        ExecOutput.Reader reader = output.reader(from); // protects its position before the hold goes
        output.releaseHold();
        return reader;
    }

    /**
     * Ends an attachment. {@code clientGone} says the client went away before the end: its
     * position is then held for the grace and, if it was the last client of a running foreground
     * command, the command is cancelled after the grace unless another client attaches.
     */
    public void detach(ExecOutput.Reader reader, boolean clientGone) {
        // Held from before the last byte sent: what was still in socket buffers when the client
        // vanished never reached it, and it will ask for that again.
        if (clientGone && !isDone()) output.hold(Math.max(0, reader.position() - IN_FLIGHT_BYTES), detachGrace);
        reader.close();
        long epoch;
        synchronized (this) {
            attached--;
            epoch = ++attachEpoch;
            if (attached > 0 || !clientGone || isDone() || background) return;
        }
        CompletableFuture.delayedExecutor(detachGrace.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            synchronized (this) {
                if (attached > 0 || attachEpoch != epoch) return;
            }
            cancel("client disconnected");
        });
    }

    /** Completes when the command has ended and its output log is finished. */
    public CompletableFuture<ExecOutcome> outcome() {
        return outcome;
    }

    /** Asks for the command to be killed (or dropped from the queue); idempotent. */
    public void cancel(String reason) {
        output.releaseHold(); // a held writer must not keep the command from dying
        cancel.complete(reason);
    }

    CompletableFuture<String> cancelRequest() {
        return cancel;
    }

    public boolean isDone() {
        return outcome.isDone();
    }

    void markStarted() {
        startedNanos = System.nanoTime();
        startedAt = Instant.now();
    }

    /** Ends the exec: records when, lets go of the command text, and hands out the outcome. */
    void complete(ExecOutcome result) {
        if (stdin != null) stdin.end();
        finishedAt = Instant.now();
        request = null;
        outcome.complete(result);
    }

    /** The session is gone: output readers see the end, the input feeder lets go. */
    public void shutdown() {
        if (stdin != null) stdin.end();
        output.close();
    }

    /** A snapshot for listings; consistent enough for display (fields are read one by one). */
    public ExecInfo info() {
        ExecOutcome o = outcome.getNow(null);
        Instant started = startedAt;
        ExecState state = o != null ? ExecState.of(o) : started != null ? ExecState.RUNNING : ExecState.QUEUED;
        OptionalInt exitCode = o instanceof ExecOutcome.Completed c ? OptionalInt.of(c.exitCode()) : OptionalInt.empty();
        Optional<String> cwd = o instanceof ExecOutcome.Completed c ? Optional.of(c.cwd()) : Optional.empty();
        Optional<Long> duration = o != null ? Optional.of(o.durationMs())
                : started != null ? Optional.of((System.nanoTime() - startedNanos) / 1_000_000) : Optional.empty();
        return new ExecInfo(id, cmdPreview, cmdTruncated, state, exitCode, cwd, createdAt, Optional.ofNullable(started),
                Optional.ofNullable(o == null ? null : finishedAt), duration, timeout.toMillis(),
                output.bytes(StdStream.STDOUT), output.bytes(StdStream.STDERR), background, pty,
                o != null && o.stateLost());
    }
}
