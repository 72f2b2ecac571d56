package dev.sandkasten.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A command's output as it is written, read from the daemon's Server-Sent Events. Iterate it
 * once, with {@code for}, {@link #forEach}, {@link #iterator()} or {@link #stream()}: each element
 * is an {@link ExecChunk}, the last one has {@code done()} true. A command that does not finish
 * normally ends the iteration with a {@link StreamException} (a {@link CommandTimeoutException} on
 * timeout) that carries the output received so far.
 *
 * <p><b>Resuming.</b> If the connection breaks before the command's end (reset, closed, or silent
 * for the request timeout), the stream reconnects to the command and carries on after the last
 * event it delivered: every byte arrives once, in order, and the consumer notices at most a
 * delay. The command waits for that: a streaming exec asks the daemon to keep it alive for its
 * detach grace (30 s by default, see {@link SandboxClient.Builder#detachGrace}). After
 * {@value #MAX_RESUME_ATTEMPTS} failed attempts in a row (a few seconds), or when the command is
 * gone, the iteration ends with a {@link StreamException}. A detach grace of 0 turns resuming
 * off for streaming exec.
 *
 * <p><b>Closing.</b> Closing a stream from {@link Session#execStream} before the command finished
 * cancels the command: the connection is closed and the daemon is told at once to kill the
 * command's process tree, so the session is free for the next command and no grace period keeps
 * it alive. Use try-with-resources; an exception thrown by a {@link #forEach} consumer closes (and
 * so cancels) it as well. A stream from {@link Session#attach} only watches: closing it leaves the
 * command running.
 * <pre>{@code
 * try (var stream = session.execStream("pip install pandas", ExecOptions.DEFAULTS)) {
 *     stream.forEach(chunk -> System.out.print(chunk.output()));
 * }
 * }</pre>
 * Not thread-safe, except {@link #close()}, which another thread may call to stop a stream.
 */
public final class ExecStream implements Iterable<ExecChunk>, AutoCloseable {
    /** How much of the output an exception keeps (the stream itself never buffers the output). */
    static final int KEPT_OUTPUT_CHARS = 1 << 20;
    /** The longest a close() waits for its cancel to be answered. */
    static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(5);
    /** Reconnection attempts after a lost connection, before the stream gives up. */
    static final int MAX_RESUME_ATTEMPTS = 5;
    /** The pause before each attempt: the first is immediate, the others back off (3.75 s in all). */
    private static final long[] RESUME_BACKOFF_MS = {0, 250, 500, 1000, 2000};

    /** How a stream gets back to its command after a lost connection. */
    interface Reconnector {
        /** Opens the command's stream again, after the event id given (-1: from its start). */
        Transport.OpenStream reopen(String execId, long lastEventId);

        /** True if the command has ended (false when that cannot be found out). */
        boolean finished(String execId);
    }

    private final Transport transport;
    private final String sessionId;
    private final boolean cancelsOnClose;
    private final Reconnector reconnector;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Chunks chunks = new Chunks();
    private final ArrayDeque<String> recent = new ArrayDeque<>();
    private long recentChars;
    /** The connection now read; replaced when the stream resumes, closed from any thread. */
    private volatile SilenceWatchdog body;
    private SseReader reader;
    /** The id of the last event delivered (or skipped as known), -1 before any. */
    private long lastEventId;
    private int reconnects;
    private volatile String execId;
    private volatile boolean finished;

    /**
     * @param cancelsOnClose true if closing before the end cancels the command (it belongs to this stream)
     * @param reconnector    how to resume after a lost connection, or null to fail instead
     * @param lastEventId    the event the stream starts after (-1: the very start)
     */
    ExecStream(Transport transport, String sessionId, Transport.OpenStream open, boolean cancelsOnClose,
               Reconnector reconnector, long lastEventId) {
        this.transport = transport;
        this.sessionId = sessionId;
        this.cancelsOnClose = cancelsOnClose;
        this.reconnector = reconnector;
        this.lastEventId = lastEventId;
        this.execId = open.headers().firstValue("X-Exec-Id").orElse(null);
        install(open);
    }

    /** The command's id ({@code ex_...}), known as soon as the stream opened; use it with {@link Session#cancel}. */
    public String execId() {
        return execId;
    }

    /** How many times this stream reconnected after losing its connection (it is 0 on a healthy network). */
    public int reconnects() {
        return reconnects;
    }

    /** The chunks, read as they arrive. There is one iterator: iterating again continues where the last one stopped. */
    @Override
    public Iterator<ExecChunk> iterator() {
        return chunks;
    }

    /** The chunks as a sequential {@link Stream}; closing it closes (and, if unfinished, cancels) this stream. */
    public Stream<ExecChunk> stream() {
        return StreamSupport.stream(spliterator(), false).onClose(this::close);
    }

    @Override
    public Spliterator<ExecChunk> spliterator() {
        return Spliterators.spliteratorUnknownSize(chunks, Spliterator.ORDERED | Spliterator.NONNULL);
    }

    /** Passes every chunk to {@code action}; if the action throws, the stream is closed (cancelling the command) first. */
    @Override
    public void forEach(Consumer<? super ExecChunk> action) {
        try {
            while (chunks.hasNext()) action.accept(chunks.next());
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Closes the connection. If the stream came from {@link Session#execStream} and the command
     * has not finished, also cancels it ({@code DELETE /v1/sessions/{id}/execs/{exec_id}}) before
     * returning, so the session's next command starts at once. Never throws: a cancel that fails
     * is left to the daemon, which kills the command of a vanished client after its detach grace.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            String id = execId;
            if (cancelsOnClose && !finished && id != null) {
                Duration timeout = transport.requestTimeout().compareTo(CANCEL_TIMEOUT) < 0
                        ? transport.requestTimeout() : CANCEL_TIMEOUT;
                try {
                    // join(), unlike a blocking send, ignores interrupts: a thread interrupted out of
                    // its read still gets the command cancelled.
                    transport.callAsync(transport.request("DELETE", "/v1/sessions/" + Transport.segment(sessionId)
                            + "/execs/" + Transport.segment(id), null, timeout), n -> n).join();
                } catch (CompletionException | CancellationException e) {
                    // It finished meanwhile (404), or the daemon is unreachable: nothing left to stop here.
                }
            }
        } finally {
            closeQuietly(body);
        }
    }

    private void install(Transport.OpenStream open) {
        SilenceWatchdog b = new SilenceWatchdog(open.body(), transport.requestTimeout());
        body = b;
        reader = new SseReader(b);
        // A close() that ran meanwhile may have closed the previous body only.
        if (closed.get()) closeQuietly(b);
    }

    private static void closeQuietly(SilenceWatchdog b) {
        try {
            b.close();
        } catch (IOException e) {
            // closing a response body fails only if it is broken already
        }
    }

    private final class Chunks implements Iterator<ExecChunk> {
        private ExecChunk next;
        private boolean ended;
        /** Failed reconnection attempts since the last event that arrived. */
        private int attempts;
        /** Events read on the current connection. */
        private int eventsOnConnection;
        /** Connections in a row that ended cleanly without a single event. */
        private int emptyEnds;
        private SandkastenException lastResumeFailure;

        @Override
        public boolean hasNext() {
            if (next == null && !ended) next = read();
            return next != null;
        }

        @Override
        public ExecChunk next() {
            if (!hasNext()) throw new NoSuchElementException("the stream has ended");
            ExecChunk c = next;
            next = null;
            return c;
        }

        /** The next chunk, or null at the end; throws when the command ended with an error. */
        private ExecChunk read() {
            while (true) {
                if (closed.get()) {
                    ended = true;
                    return null;
                }
                IOException lost = null;
                try {
                    while (reader.next()) {
                        if (closed.get()) break; // closed by the caller: what follows (a CANCELLED error) is not news
                        attempts = 0;
                        emptyEnds = 0;
                        eventsOnConnection++;
                        ExecChunk c = dispatch();
                        if (c != null) return c;
                    }
                } catch (SseReader.MalformedStreamException e) {
                    if (closed.get()) continue;
                    throw broken(e, false);
                } catch (IOException e) {
                    lost = e;
                }
                if (closed.get()) continue;
                if (lost == null && eventsOnConnection == 0 && ++emptyEnds >= 2 && reconnector != null
                        && execId != null && reconnector.finished(execId)) {
                    // Twice in a row, a finished command had nothing after our last event: that
                    // was its end (an attach after the done event), not a connection cut early.
                    finish();
                    return null;
                }
                // The connection ended before the command's end: resume it, or give up.
                if (!resume()) throw broken(lost, attempts > 0);
            }
        }

        /** Handles the current event: a chunk to deliver, or null for one that delivers nothing. */
        private ExecChunk dispatch() throws SseReader.MalformedStreamException {
            long id = eventId();
            if (id >= 0 && id <= lastEventId) return null; // delivered before the connection broke
            ExecChunk out = null;
            switch (reader.event()) {
                case "chunk" -> {
                    out = chunk(parse());
                    remember(out.output());
                }
                case "gap" -> out = gap(parse());
                case "done" -> {
                    out = done(parse());
                    finish();
                }
                case "error" -> {
                    Fields f = parse();
                    finish();
                    throw error(f);
                }
                case "start" -> {
                    Fields f = parse();
                    if (execId == null) execId = f.execId;
                }
                default -> {
                    // an event type this SDK does not know yet
                }
            }
            if (id >= 0) lastEventId = id;
            return out;
        }

        /**
         * Reconnects after a lost connection, waiting a little more before each attempt; true
         * once a new connection is open (or the stream was closed meanwhile), false to give up.
         */
        private boolean resume() {
            if (reconnector == null || execId == null || Thread.currentThread().isInterrupted()) return false;
            closeQuietly(body);
            while (attempts < MAX_RESUME_ATTEMPTS) {
                try {
                    Thread.sleep(RESUME_BACKOFF_MS[attempts]);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                attempts++;
                if (closed.get()) return true;
                try {
                    Transport.OpenStream open = reconnector.reopen(execId, lastEventId);
                    reconnects++;
                    eventsOnConnection = 0;
                    install(open);
                    return true;
                } catch (ApiException e) {
                    if (e.status() >= 500) {
                        lastResumeFailure = e; // a restarting daemon, or a proxy that lost it: try again
                        continue;
                    }
                    // The command or its session is gone (404, 410), or the daemon refuses: final.
                    ended = true;
                    close();
                    throw new StreamException("the connection to the daemon broke before exec " + execId
                            + " finished, and it cannot be resumed: " + e.getMessage(), e.code(), execId,
                            recentOutput(), null, false, e);
                } catch (SandkastenException e) {
                    if (Thread.currentThread().isInterrupted()) return false;
                    lastResumeFailure = e; // the daemon (or the network) may be back in a moment
                }
            }
            return false;
        }

        private void finish() {
            ended = true;
            finished = true;
            close();
        }

        private StreamException broken(IOException cause, boolean triedToResume) {
            ended = true;
            boolean interrupted = Thread.currentThread().isInterrupted();
            boolean silent = body.fired();
            close();
            String why;
            if (cause instanceof SseReader.MalformedStreamException) {
                why = "the stream of exec " + execId + " is malformed (" + cause.getMessage() + ")";
            } else if (interrupted) {
                why = "reading the stream of exec " + execId + " was interrupted";
            } else if (silent) {
                why = body.silenceMessage(execId);
            } else {
                why = "the stream of exec " + execId + " ended before the command finished"
                        + (cause == null ? "" : " (" + cause + ")") + "; the connection to the daemon was lost";
            }
            if (triedToResume) {
                why += ", and " + attempts + " attempts to resume it failed"
                        + (lastResumeFailure == null ? "" : " (last: " + lastResumeFailure.getMessage() + ")");
            }
            String fate = cancelsOnClose
                    ? ". The command was cancelled (or will be, once the daemon notices); run it again if needed"
                    : ". The command itself may still be running; attach to it again to follow it";
            return new StreamException(why + fate, null, execId, recentOutput(), null, false,
                    cause != null ? cause : lastResumeFailure);
        }
    }

    private ExecChunk chunk(Fields f) {
        StdStream stream = "stderr".equals(f.stream) ? StdStream.STDERR : StdStream.STDOUT;
        return new ExecChunk(f.chunk == null ? "" : f.chunk, false, null, null, null, f.timestamp, stream, eventId(),
                execId, false, null);
    }

    private ExecChunk gap(Fields f) {
        long from = f.from == null ? -1 : f.from;
        long to = f.to == null ? eventId() : f.to;
        long bytes = f.bytes == null ? to - from : f.bytes;
        return new ExecChunk("", false, null, null, null, f.timestamp, null, eventId(), execId, false,
                new OutputGap(from, to, bytes));
    }

    private ExecChunk done(Fields f) {
        if (f.execId != null) execId = f.execId;
        return new ExecChunk("", true, f.exitCode, f.cwd, f.durationMs,
                f.timestamp != 0 ? f.timestamp : System.currentTimeMillis(), null, eventId(), execId, f.stateLost,
                null);
    }

    private StreamException error(Fields f) {
        String id = f.execId != null ? f.execId : execId;
        String message = f.error != null ? f.error : "the command failed (" + f.code + ")";
        String output = recentOutput();
        return switch (f.code == null ? "" : f.code) {
            case "COMMAND_TIMEOUT" -> new CommandTimeoutException(message + Errors.TIMEOUT_HINT, id, output,
                    f.durationMs, f.stateLost);
            case "CANCELLED" -> new CommandCancelledException(message, id, output, f.durationMs, f.stateLost);
            case "SESSION_GONE" -> new StreamException(message + "; create a new session", f.code, id, output,
                    f.durationMs, f.stateLost, null);
            default -> new StreamException(message, f.code, id, output, f.durationMs, f.stateLost, null);
        };
    }

    private long eventId() {
        String id = reader.lastId();
        if (id == null) return -1;
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Keeps references to the last chunks (no copying) so an exception can report recent output. */
    private void remember(String text) {
        recent.addLast(text);
        recentChars += text.length();
        while (recentChars - recent.peekFirst().length() >= KEPT_OUTPUT_CHARS) {
            recentChars -= recent.removeFirst().length();
        }
    }

    private String recentOutput() {
        String all = String.join("", recent);
        return all.length() > KEPT_OUTPUT_CHARS ? all.substring(all.length() - KEPT_OUTPUT_CHARS) : all;
    }

    /** Every field any event carries; unknown ones are skipped. */
    private static final class Fields {
        String chunk;
        long timestamp;
        String stream;
        Integer exitCode;
        String cwd;
        Long durationMs;
        String execId;
        boolean stateLost;
        String error;
        String code;
        Long from;
        Long to;
        Long bytes;
    }

    private Fields parse() throws SseReader.MalformedStreamException {
        Fields f = new Fields();
        try (JsonParser p = Wire.JSON.getFactory().createParser(reader.data(), 0, reader.dataLength())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SseReader.MalformedStreamException("an event's data is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NULL) continue;
                switch (name) {
                    case "chunk" -> f.chunk = p.getText();
                    case "timestamp" -> f.timestamp = p.getValueAsLong();
                    case "stream" -> f.stream = p.getText();
                    case "exit_code" -> f.exitCode = p.getValueAsInt();
                    case "cwd" -> f.cwd = p.getText();
                    case "duration_ms" -> f.durationMs = p.getValueAsLong();
                    case "exec_id" -> f.execId = p.getText();
                    case "state_lost" -> f.stateLost = p.getValueAsBoolean();
                    case "error" -> f.error = p.getText();
                    case "code" -> f.code = p.getText();
                    case "from" -> f.from = p.getValueAsLong();
                    case "to" -> f.to = p.getValueAsLong();
                    case "bytes" -> f.bytes = p.getValueAsLong();
                    default -> p.skipChildren();
                }
            }
        } catch (SseReader.MalformedStreamException e) {
            throw e;
        } catch (IOException e) {
            throw new SseReader.MalformedStreamException("an event's data is not valid JSON: " + e.getMessage(), e);
        }
        return f;
    }
}
