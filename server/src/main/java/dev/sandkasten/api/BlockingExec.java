package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.exec.Exec;
import dev.sandkasten.exec.ExecOutcome;
import dev.sandkasten.exec.ExecOutput;
import dev.sandkasten.exec.StdStream;
import dev.sandkasten.text.HeadTailBuffer;
import dev.sandkasten.text.TextEncoder;
import dev.sandkasten.text.Utf8StreamDecoder;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;

/**
 * Collects a command's output for a blocking exec response. Each of output, stdout and stderr
 * keeps its head and tail up to the cap, so memory is bounded whatever the command prints; a cut
 * is marked in the text and flagged with {@code truncated}.
 */
final class BlockingExec {
    private final int cap;

    BlockingExec(int cap) {
        this.cap = cap;
    }

    /** Waits for the command and returns the HTTP status and body. */
    Response run(Exec exec, ExecParams params) throws InterruptedException {
        HeadTailBuffer all = new HeadTailBuffer(cap);
        HeadTailBuffer out = new HeadTailBuffer(cap);
        HeadTailBuffer err = new HeadTailBuffer(cap);
        // Live from the first byte, so the writer waits for this reader and nothing is dropped;
        // should the log ever skip bytes, they count as omitted.
        long skipped = 0;
        ExecOutput.Reader reader = exec.attach(0);
        try {
            for (ExecOutput.Read r; !((r = reader.next(64 * 1024)) instanceof ExecOutput.End); ) {
                if (r instanceof ExecOutput.Batch b) {
                    all.append(b.bytes(), b.offset(), b.length());
                    (b.stream() == StdStream.STDOUT ? out : err).append(b.bytes(), b.offset(), b.length());
                } else if (r instanceof ExecOutput.Gap g) {
                    skipped += g.bytes();
                }
            }
        } finally {
            exec.detach(reader, false);
        }
        ExecOutcome outcome;
        try {
            outcome = exec.outcome().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("exec ended abnormally", e.getCause());
        }
        ObjectNode body = Json.object();
        int status = 200;
        switch (outcome) {
            case ExecOutcome.Completed c -> {
                body.put("exit_code", c.exitCode());
                body.put("cwd", c.cwd());
            }
            case ExecOutcome.TimedOut t -> {
                status = 504;
                body.put("error", "command timed out after " + params.request().timeout().toMillis()
                        + " ms; its processes were killed" + (t.stateLost()
                        ? " and the shell, which did not respond, was restarted (cwd, variables and functions were reset)"
                        : "; the session is ready for the next command"));
                body.put("code", "COMMAND_TIMEOUT");
            }
            case ExecOutcome.Cancelled c -> {
                status = 409;
                body.put("error", "command was cancelled (" + c.reason() + ")");
                body.put("code", "CANCELLED");
            }
            case ExecOutcome.SandboxLost l -> {
                status = 410;
                body.put("error", "the session's sandbox died while the command ran (killed, or out of memory); "
                        + "create a new session");
                body.put("code", "SESSION_GONE");
            }
        }
        body.put("output", text(all, params));
        body.put("truncated", all.truncated() || out.truncated() || err.truncated() || skipped > 0);
        body.put("duration_ms", outcome.durationMs());
        body.put("exec_id", exec.id());
        body.put("stdout", text(out, params));
        body.put("stderr", text(err, params));
        body.put("state_lost", outcome.stateLost());
        if (params.encoding() == TextEncoder.Encoding.BASE64) body.put("encoding", "base64");
        if (all.truncated() || skipped > 0) body.put("omitted_bytes", all.omittedBytes() + skipped);
        return new Response(status, body);
    }

    record Response(int status, ObjectNode body) {}

    private static String text(HeadTailBuffer buf, ExecParams params) {
        byte[] head = buf.head();
        byte[] tail = buf.tail();
        if (params.encoding() == TextEncoder.Encoding.BASE64) {
            byte[] joined = Arrays.copyOf(head, head.length + tail.length);
            System.arraycopy(tail, 0, joined, head.length, tail.length);
            return new TextEncoder(params.encoding(), true).finish(joined);
        }
        if (!buf.truncated()) {
            byte[] joined = Arrays.copyOf(head, head.length + tail.length);
            System.arraycopy(tail, 0, joined, head.length, tail.length);
            return new TextEncoder(params.encoding(), params.raw()).finish(joined);
        }
        // Cut on character boundaries so the marker does not sit between halves of a character.
        byte[] h = Arrays.copyOf(head, head.length - Utf8StreamDecoder.incompleteTail(head, 0, head.length));
        byte[] t = Arrays.copyOfRange(tail, Utf8StreamDecoder.leadingContinuations(tail), tail.length);
        return new TextEncoder(params.encoding(), params.raw()).finish(h)
                + "\n[... " + buf.omittedBytes() + " bytes omitted ...]\n"
                + new TextEncoder(params.encoding(), params.raw()).finish(t);
    }
}
