package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.exec.Exec;
import dev.sandkasten.exec.ExecOutcome;
import dev.sandkasten.exec.ExecOutput;
import dev.sandkasten.exec.StdStream;
import dev.sandkasten.text.TextEncoder;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one command's output to one client as Server-Sent Events: {@code start}, a {@code chunk}
 * for each batch of the log as soon as it is there, {@code gap} where the log dropped bytes,
 * then {@code done} or {@code error}. During silence it writes SSE comments: a short probe every
 * second, so a vanished client is noticed quickly, and a named heartbeat at the configured
 * interval.
 *
 * <p>Event ids are log offsets: a chunk's id is the offset at its end, a gap's the offset where
 * reading goes on, {@code start}'s is 0. After the log's end {@code E}, chunks that release text
 * held back by the decoder get {@code E+1}, {@code E+2}, and the last event the next id. A stream
 * that resumes after id {@code X} sends exactly the events a stream from the start would have
 * sent after {@code X}: to know what the first stream held back at {@code X} (a character or an
 * escape sequence cut there), it runs the decoders over up to {@link #LOOKBACK} bytes before
 * {@code X} without sending anything.
 */
final class StreamingExec implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamingExec.class);
    /** How far before a resume point the decoders are primed. */
    static final int LOOKBACK = 64 * 1024;

    private final Duration heartbeat;
    private final Duration probe;
    /**
     * Streams wait for output without a timeout (see {@link ExecOutput.Reader#next(int)}); this
     * one thread wakes those that have been silent for a keep-alive interval, a few times per
     * interval, so a probe or heartbeat is at most a quarter interval late.
     */
    private final ScheduledExecutorService keepAliveClock =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sk-sse-keepalive").factory());
    private final Set<OneStream> streams = ConcurrentHashMap.newKeySet();

    StreamingExec(Duration heartbeat, Duration probe) {
        this.heartbeat = heartbeat;
        this.probe = probe;
        long tick = Math.max(10, pollMillis() / 4);
        keepAliveClock.scheduleAtFixedRate(this::wakeSilentStreams, tick, tick, TimeUnit.MILLISECONDS);
    }

    private long pollMillis() {
        return Math.min(probe.toMillis(), heartbeat.toMillis());
    }

    private void wakeSilentStreams() {
        long now = System.nanoTime();
        long silence = TimeUnit.MILLISECONDS.toNanos(pollMillis());
        for (OneStream s : streams) {
            if (now - s.lastWrite >= silence) s.reader.wake();
        }
    }

    @Override
    public void close() {
        keepAliveClock.shutdownNow();
    }

    /**
     * Streams until the command's outcome is sent or the client goes away.
     *
     * @param afterId the last event id the client has, or -1 for everything including {@code start}
     */
    void run(Exec exec, StreamFormat format, long afterId, SseWriter sink) throws InterruptedException {
        long resumeAt = Math.max(0, afterId);
        boolean base64 = format.encoding() == TextEncoder.Encoding.BASE64;
        ExecOutput.Reader reader = exec.attach(base64 ? resumeAt : Math.max(0, resumeAt - LOOKBACK));
        boolean clientGone = false;
        OneStream stream = new OneStream(exec, format, afterId, reader, sink);
        streams.add(stream);
        try {
            stream.run();
        } catch (UncheckedIOException e) {
            clientGone = true;
            log.debug("client of exec {} went away: {}", exec.id(), e.toString());
        } catch (RuntimeException e) {
            // Helidon reports a closed connection with exceptions of its own (not all of them I/O ones).
            if (exec.isDone() && e instanceof IllegalStateException) throw e;
            clientGone = true;
            log.debug("client of exec {} went away: {}", exec.id(), e.toString());
        } finally {
            streams.remove(stream);
            exec.detach(reader, clientGone);
            try {
                sink.close();
            } catch (UncheckedIOException e) {
                // the client is gone already
            }
        }
    }

    /**
     * Output a stream sends before it lets other streams' threads run. Streams run on virtual
     * threads, which are not time-sliced: a flood whose output is always ready would otherwise
     * keep its carrier until its socket fills, while a quiet stream's next line waits for one.
     */
    private static final int YIELD_BYTES = 256 * 1024;

    /** One stream's state: its decoders, its position and its clocks. */
    private final class OneStream {
        private final Exec exec;
        private final StreamFormat format;
        private final long afterId;
        private final long resumeAt;
        private final ExecOutput.Reader reader;
        private final SseWriter sink;
        private final Map<StdStream, TextEncoder> encoders = new EnumMap<>(StdStream.class);
        /** Read by the keep-alive clock. */
        private volatile long lastWrite = System.nanoTime();
        private long lastHeartbeat = lastWrite;
        /** Output bytes sent since this stream last let other streams run ({@link #YIELD_BYTES}). */
        private long sentSinceYield;

        OneStream(Exec exec, StreamFormat format, long afterId, ExecOutput.Reader reader, SseWriter sink) {
            this.exec = exec;
            this.format = format;
            this.afterId = afterId;
            this.resumeAt = Math.max(0, afterId);
            this.reader = reader;
            this.sink = sink;
            resetEncoders();
        }

        private void resetEncoders() {
            for (StdStream s : StdStream.values()) encoders.put(s, new TextEncoder(format.encoding(), format.raw()));
        }

        void run() throws InterruptedException {
            if (afterId < 0) {
                ObjectNode start = Json.object();
                start.put("exec_id", exec.id());
                start.put("timestamp", System.currentTimeMillis());
                sink.event("start", 0, start);
            }
            boolean ended = prime();
            while (!ended) {
                ExecOutput.Read r = reader.next(format.chunkSize());
                switch (r) {
                    case null -> keepAlive();
                    case ExecOutput.Batch b -> {
                        chunk(b);
                        sentSinceYield += b.length();
                        if (sentSinceYield >= YIELD_BYTES) {
                            sentSinceYield = 0;
                            Thread.yield();
                        }
                    }
                    case ExecOutput.Gap g -> gap(g.from(), g.to());
                    case ExecOutput.End e -> ended = true;
                }
            }
            long id = reader.position();
            for (StdStream s : StdStream.values()) {
                String rest = encoders.get(s).finish(new byte[0]);
                if (!rest.isEmpty() && ++id > afterId) sink.chunk(id, rest, s.wireName());
            }
            if (++id > afterId) emitOutcome(id);
        }

        /**
         * Runs the decoders over the bytes before the resume point without sending them; returns
         * true if the log ended there. A gap that reaches past the resume point is sent, from it.
         */
        private boolean prime() throws InterruptedException {
            while (reader.position() < resumeAt) {
                int want = (int) Math.min(format.chunkSize(), resumeAt - reader.position());
                ExecOutput.Read r = reader.next(want);
                switch (r) {
                    case null -> keepAlive();
                    case ExecOutput.Batch b -> {
                        TextEncoder encoder = encoders.get(b.stream());
                        if (!encoder.passesThrough(b.bytes(), b.offset(), b.length())) {
                            encoder.next(b.bytes(), b.offset(), b.length());
                        }
                    }
                    case ExecOutput.Gap g -> {
                        resetEncoders();
                        if (g.to() > resumeAt) gap(Math.max(g.from(), resumeAt), g.to());
                    }
                    case ExecOutput.End e -> {
                        return true;
                    }
                }
            }
            return false;
        }

        private void keepAlive() {
            long now = System.nanoTime();
            if (now - lastHeartbeat >= heartbeat.toNanos()) {
                sink.comment("heartbeat");
                lastHeartbeat = now;
                lastWrite = now;
            } else if (now - lastWrite >= probe.toNanos()) {
                sink.comment("");
                lastWrite = now;
            }
        }

        private void chunk(ExecOutput.Batch b) {
            TextEncoder encoder = encoders.get(b.stream());
            boolean sent;
            if (encoder.mayPassThrough() && sink.asciiChunk(b.endOffset(), b.bytes(), b.offset(), b.length(),
                    b.stream().wireName(), !encoder.removesEscAndCr())) {
                sent = true;
            } else {
                String text = encoder.next(b.bytes(), b.offset(), b.length());
                sent = !text.isEmpty();
                if (sent) sink.chunk(b.endOffset(), text, b.stream().wireName());
            }
            if (sent) {
                lastWrite = System.nanoTime();
                lastHeartbeat = lastWrite;
            }
        }

        /** Tells the client that {@code [from, to)} is gone; a character cut at either edge is not pieced together. */
        private void gap(long from, long to) {
            resetEncoders();
            ObjectNode n = Json.object();
            n.put("from", from);
            n.put("to", to);
            n.put("bytes", to - from);
            n.put("timestamp", System.currentTimeMillis());
            sink.event("gap", to, n);
            lastWrite = System.nanoTime();
            lastHeartbeat = lastWrite;
        }

        private void emitOutcome(long id) throws InterruptedException {
            ExecOutcome outcome;
            try {
                outcome = exec.outcome().get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("exec ended abnormally", e.getCause());
            }
            ObjectNode n = Json.object();
            String event = "error";
            switch (outcome) {
                case ExecOutcome.Completed c -> {
                    event = "done";
                    n.put("exit_code", c.exitCode());
                    n.put("cwd", c.cwd());
                }
                case ExecOutcome.TimedOut t -> {
                    n.put("error", "command timed out after " + exec.timeout().toMillis()
                            + " ms; its processes were killed" + (t.stateLost()
                            ? " and the unresponsive shell was restarted (its state was lost)" : ""));
                    n.put("code", "COMMAND_TIMEOUT");
                }
                case ExecOutcome.Cancelled c -> {
                    n.put("error", "command was cancelled (" + c.reason() + ")");
                    n.put("code", "CANCELLED");
                }
                case ExecOutcome.SandboxLost l -> {
                    n.put("error", "the session's sandbox died while the command ran (killed, or out of memory)");
                    n.put("code", "SESSION_GONE");
                }
            }
            n.put("duration_ms", outcome.durationMs());
            n.put("exec_id", exec.id());
            n.put("state_lost", outcome.stateLost());
            sink.event(event, id, n);
        }
    }
}
