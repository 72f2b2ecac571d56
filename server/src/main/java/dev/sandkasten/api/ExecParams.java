package dev.sandkasten.api;

import dev.sandkasten.config.Config;
import dev.sandkasten.exec.ExecRequest;
import dev.sandkasten.text.TextEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * A parsed exec body: the command for the engine plus how this client wants its output
 * encoded and chunked.
 */
record ExecParams(ExecRequest request, StreamFormat format) {
    static final int MAX_CMD_BYTES = 1 << 20;

    TextEncoder.Encoding encoding() {
        return format.encoding();
    }

    boolean raw() {
        return format.raw();
    }

    static ExecParams parse(RequestBody body, Config config) {
        String cmd = body.text("cmd").orElseThrow(() -> ApiError.invalid("cmd is required").exception());
        if (cmd.isBlank()) throw ApiError.invalid("cmd must not be empty").exception();
        if (cmd.indexOf('\0') >= 0) throw ApiError.invalid("cmd must not contain NUL characters").exception();
        int bytes = cmd.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_CMD_BYTES) {
            throw ApiError.tooLarge("cmd is " + bytes + " bytes; the limit is " + MAX_CMD_BYTES
                    + " bytes (write large scripts to a file first)").exception();
        }
        long timeoutMs = body.integer("timeout_ms", 1, Long.MAX_VALUE).orElse(config.execTimeout().toMillis());
        timeoutMs = Math.min(timeoutMs, config.execMaxTimeout().toMillis());
        boolean raw = body.bool("raw_output").orElse(false);
        TextEncoder.Encoding encoding = encoding(body.string("encoding", 16).orElse("utf8"));
        int chunk = chunkSize(body.integer("chunk_size", 1, Integer.MAX_VALUE), config);
        var cwd = body.string("cwd", 4096);
        if (cwd.isPresent() && cwd.get().isEmpty()) throw ApiError.invalid("cwd must not be empty").exception();
        var env = body.stringMap("env", true, 256);
        // Capped, like timeout_ms: a client asking for more than the daemon allows gets the most it allows.
        Duration grace = body.integer("detach_grace_ms", 0, Long.MAX_VALUE)
                .map(ms -> Duration.ofMillis(Math.min(ms, config.maxDetachGrace().toMillis())))
                .orElse(config.disconnectGrace());
        boolean background = body.bool("background").orElse(false);
        boolean stdin = body.bool("stdin").orElse(false);
        Optional<ExecRequest.Pty> pty = pty(body);
        StreamFormat format = new StreamFormat(encoding, raw, chunk);
        return new ExecParams(new ExecRequest(cmd, Duration.ofMillis(timeoutMs), env, cwd, grace, format.toOutputFormat(),
                background, stdin, pty), format);
    }

    static final int MAX_COLS = 1000;
    static final int MAX_ROWS = 1000;

    private static Optional<ExecRequest.Pty> pty(RequestBody body) {
        boolean pty = body.bool("pty").orElse(false);
        Optional<Long> cols = body.integer("cols", 1, MAX_COLS);
        Optional<Long> rows = body.integer("rows", 1, MAX_ROWS);
        if (!pty) {
            if (cols.isPresent() || rows.isPresent()) throw ApiError.invalid("cols and rows need \"pty\": true").exception();
            return Optional.empty();
        }
        return Optional.of(new ExecRequest.Pty(cols.orElse(80L).intValue(), rows.orElse(24L).intValue()));
    }

    static TextEncoder.Encoding encoding(String name) {
        return switch (name) {
            case "utf8", "utf-8" -> TextEncoder.Encoding.UTF8;
            case "base64" -> TextEncoder.Encoding.BASE64;
            default -> throw ApiError.invalid("encoding must be \"utf8\" or \"base64\"").exception();
        };
    }

    static int chunkSize(java.util.Optional<Long> requested, Config config) {
        return (int) Math.min(requested.orElse((long) config.chunkSize()), config.maxChunkSize());
    }
}
