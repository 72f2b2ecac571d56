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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one command's output as Server-Sent Events while it runs: {@code start}, then a
 * {@code chunk} for each run of bytes as soon as it is read (coalesced up to the chunk size
 * under heavy output), then {@code done} or {@code error}. During silence it writes SSE comments:
 * a short probe every second, so a vanished client is noticed quickly, and a named heartbeat at
 * the configured interval. When the client is gone, the command is cancelled after the grace.
 */
final class StreamingExec {
    private static final Logger log = LoggerFactory.getLogger(StreamingExec.class);

    private final Duration heartbeat;
    private final Duration probe;
    private final Duration disconnectGrace;

    StreamingExec(Duration heartbeat, Duration probe, Duration disconnectGrace) {
        this.heartbeat = heartbeat;
        this.probe = probe;
        this.disconnectGrace = disconnectGrace;
    }

    void run(Exec exec, ExecParams params, SseWriter sink) throws InterruptedException {
        Map<StdStream, TextEncoder> encoders = new EnumMap<>(StdStream.class);
        for (StdStream s : StdStream.values()) encoders.put(s, new TextEncoder(params.encoding(), params.raw()));
        long lastId = 0;
        try {
            ObjectNode start = Json.object();
            start.put("exec_id", exec.id());
            start.put("timestamp", System.currentTimeMillis());
            sink.event("start", 0, start);
            long lastWrite = System.nanoTime();
            long lastHeartbeat = lastWrite;
            long wait = Math.min(probe.toMillis(), heartbeat.toMillis());
            while (true) {
                ExecOutput.Batch b = exec.output().next(params.chunkSize(), wait, TimeUnit.MILLISECONDS);
                long now = System.nanoTime();
                if (b == null) {
                    if (now - lastHeartbeat >= heartbeat.toNanos()) {
                        sink.comment("heartbeat");
                        lastHeartbeat = now;
                        lastWrite = now;
                    } else if (now - lastWrite >= probe.toNanos()) {
                        sink.comment("");
                        lastWrite = now;
                    }
                    continue;
                }
                if (b == ExecOutput.END) break;
                TextEncoder encoder = encoders.get(b.stream());
                boolean sent;
                if (encoder.passesThrough(b.bytes(), b.offset(), b.length())) {
                    lastId = Math.max(lastId + 1, b.endOffset());
                    sink.chunk(lastId, b.bytes(), b.offset(), b.length(), b.stream().wireName());
                    sent = true;
                } else {
                    String text = encoder.next(b.bytes(), b.offset(), b.length());
                    sent = !text.isEmpty();
                    if (sent) {
                        lastId = Math.max(lastId + 1, b.endOffset());
                        sink.chunk(lastId, text, b.stream().wireName());
                    }
                }
                if (sent) {
                    lastWrite = now;
                    lastHeartbeat = now;
                }
            }
            for (StdStream s : StdStream.values()) {
                String rest = encoders.get(s).finish(new byte[0]);
                if (!rest.isEmpty()) sink.chunk(++lastId, rest, s.wireName());
            }
            emitOutcome(exec, params, sink, lastId + 1);
        } catch (UncheckedIOException e) {
            clientGone(exec, e);
        } catch (RuntimeException e) {
            // Helidon reports a closed connection with exceptions of its own (not all of them I/O ones).
            if (exec.isDone() && e instanceof IllegalStateException) throw e;
            clientGone(exec, e);
        } finally {
            try {
                sink.close();
            } catch (UncheckedIOException e) {
                // the client is gone already
            }
        }
    }

    private void clientGone(Exec exec, RuntimeException cause) {
        log.debug("client of exec {} went away ({}); cancelling in {}", exec.id(), cause.toString(), disconnectGrace);
        exec.output().abandon();
        if (exec.isDone()) return;
        CompletableFuture.delayedExecutor(disconnectGrace.toMillis(), TimeUnit.MILLISECONDS)
                .execute(() -> exec.cancel("client disconnected"));
    }

    private static void emitOutcome(Exec exec, ExecParams params, SseWriter sink, long id) throws InterruptedException {
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
                n.put("error", "command timed out after " + params.request().timeout().toMillis()
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
