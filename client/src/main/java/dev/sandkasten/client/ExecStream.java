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
 * A running command's output as it is written, read from the daemon's Server-Sent Events. Iterate
 * it once, with {@code for}, {@link #forEach}, {@link #iterator()} or {@link #stream()}: each
 * element is an {@link ExecChunk}, the last one has {@code done()} true. A command that does not
 * finish normally ends the iteration with a {@link StreamException} (a
 * {@link CommandTimeoutException} on timeout) that carries the output received so far.
 *
 * <p>Closing the stream before the command finished cancels the command: the connection is
 * closed and the daemon is told at once to kill the command's process tree, so the session is
 * free for the next command. Use try-with-resources; an exception thrown by a {@link #forEach}
 * consumer closes (and so cancels) it as well.
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

    private final Transport transport;
    private final String sessionId;
    private final SilenceWatchdog body;
    private final SseReader reader;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Chunks chunks = new Chunks();
    private final ArrayDeque<String> recent = new ArrayDeque<>();
    private long recentChars;
    private volatile String execId;
    private volatile boolean finished;

    ExecStream(Transport transport, String sessionId, Transport.OpenStream open) {
        this.transport = transport;
        this.sessionId = sessionId;
        this.body = new SilenceWatchdog(open.body(), transport.requestTimeout());
        this.reader = new SseReader(body);
        this.execId = open.headers().firstValue("X-Exec-Id").orElse(null);
    }

    /** The command's id ({@code ex_...}), known as soon as the stream opened; use it with {@link Session#cancel}. */
    public String execId() {
        return execId;
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
     * Closes the connection. If the command has not finished, also cancels it
     * ({@code DELETE /v1/sessions/{id}/execs/{exec_id}}) before returning, so the session's next
     * command starts at once. Never throws: a cancel that fails is left to the daemon, which kills
     * the command of a vanished client after a short grace.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            String id = execId;
            if (!finished && id != null) {
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
            try {
                body.close();
            } catch (IOException e) {
                // closing a response body fails only if it is broken already
            }
        }
    }

    private final class Chunks implements Iterator<ExecChunk> {
        private ExecChunk next;
        private boolean ended;

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
            if (closed.get()) {
                ended = true;
                return null;
            }
            try {
                while (reader.next()) {
                    if (closed.get()) break; // closed by the caller: what follows (a CANCELLED error) is not news
                    switch (reader.event()) {
                        case "chunk" -> {
                            ExecChunk c = chunk(parse());
                            remember(c.output());
                            return c;
                        }
                        case "done" -> {
                            ExecChunk c = done(parse());
                            finish();
                            return c;
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
                }
                if (closed.get()) {
                    ended = true;
                    return null;
                }
                throw broken(null);
            } catch (IOException e) {
                if (closed.get()) {
                    ended = true;
                    return null;
                }
                throw broken(e);
            }
        }

        private void finish() {
            ended = true;
            finished = true;
            close();
        }

        private StreamException broken(IOException cause) {
            ended = true;
            boolean interrupted = Thread.currentThread().isInterrupted();
            close();
            String why = body.fired() ? body.silenceMessage(execId)
                    : interrupted ? "reading the stream of exec " + execId + " was interrupted"
                    : "the stream of exec " + execId + " ended before the command finished"
                    + (cause == null ? "" : " (" + cause + ")") + "; the connection to the daemon was lost";
            return new StreamException(why + ". The command was cancelled (or will be, once the daemon notices);"
                    + " run it again if needed", null, execId, recentOutput(), null, false, cause);
        }
    }

    private ExecChunk chunk(Fields f) {
        StdStream stream = "stderr".equals(f.stream) ? StdStream.STDERR : StdStream.STDOUT;
        return new ExecChunk(f.chunk == null ? "" : f.chunk, false, null, null, null, f.timestamp, stream, eventId(),
                execId, false);
    }

    private ExecChunk done(Fields f) {
        if (f.execId != null) execId = f.execId;
        return new ExecChunk("", true, f.exitCode, f.cwd, f.durationMs,
                f.timestamp != 0 ? f.timestamp : System.currentTimeMillis(), null, eventId(), execId, f.stateLost);
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
    }

    private Fields parse() throws IOException {
        Fields f = new Fields();
        try (JsonParser p = Wire.JSON.getFactory().createParser(reader.data(), 0, reader.dataLength())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("an event's data is not a JSON object");
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
                    default -> p.skipChildren();
                }
            }
        }
        return f;
    }
}
