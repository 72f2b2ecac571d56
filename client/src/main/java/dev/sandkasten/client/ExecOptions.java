package dev.sandkasten.client;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How to run one command. Every field is optional; a {@code null} field leaves the choice to the
 * daemon. Build one with {@link #builder()}:
 * <pre>{@code
 * ExecOptions.builder().timeoutMs(300_000).env("CI", "1").build()
 * }</pre>
 * With {@code env} or {@code cwd} set, the command runs in a subshell and cannot change the
 * session's state ({@code cd}, {@code export}).
 *
 * @param timeoutMs the command's timeout in milliseconds (the daemon's default is 2 minutes, capped by its maximum)
 * @param rawOutput true to get the bytes as written; by default ANSI escapes are removed and CRLF becomes LF
 * @param env       variables for this command only
 * @param cwd       working directory for this command only
 * @param encoding  {@link Encoding#BASE64} for byte-exact output
 * @param chunkSize streams only: the largest payload of one chunk, in bytes (the daemon's default is 16 KiB)
 * @param stdin     true to give the command an input that {@link Session#writeStdin} feeds; otherwise it reads
 *                  {@code /dev/null}
 * @param pty       true to run the command on a pseudo-terminal (stdout and stderr then arrive merged, as stdout)
 * @param cols      the terminal's width (1 to 1000, default 80); needs {@code pty}
 * @param rows      the terminal's height (1 to 1000, default 24); needs {@code pty}
 * @param detachGraceMs streams only: how long the command outlives a lost connection, so the stream can resume
 *                  it; {@code null} takes the client's default ({@link SandboxClient.Builder#detachGrace}), 0 turns
 *                  resuming off
 */
public record ExecOptions(Long timeoutMs, Boolean rawOutput, Map<String, String> env, String cwd, Encoding encoding,
                          Integer chunkSize, boolean stdin, boolean pty, Integer cols, Integer rows,
                          Long detachGraceMs) {
    /** No options: the daemon's defaults. */
    public static final ExecOptions DEFAULTS = new ExecOptions(null, null, null, null, null, null, false, false, null,
            null, null);

    /** The largest terminal side the daemon accepts. */
    static final int MAX_TERMINAL_SIDE = 1000;

    public ExecOptions {
        env = env == null ? Map.of() : Map.copyOf(env);
        if (timeoutMs != null && timeoutMs < 1) throw new IllegalArgumentException("timeoutMs must be at least 1");
        if (chunkSize != null && chunkSize < 1) throw new IllegalArgumentException("chunkSize must be at least 1");
        if (cwd != null && cwd.isEmpty()) throw new IllegalArgumentException("cwd must not be empty");
        if (cols != null) checkSide(cols, "cols");
        if (rows != null) checkSide(rows, "rows");
        if (!pty && (cols != null || rows != null)) {
            throw new IllegalArgumentException("cols and rows size a terminal: set pty(true) as well");
        }
        if (detachGraceMs != null && detachGraceMs < 0) {
            throw new IllegalArgumentException("detachGraceMs must not be negative");
        }
    }

    static void checkSide(int value, String name) {
        if (value < 1 || value > MAX_TERMINAL_SIDE) {
            throw new IllegalArgumentException(name + " must be between 1 and " + MAX_TERMINAL_SIDE + ", got " + value);
        }
    }

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link ExecOptions}; every setter is optional. */
    public static final class Builder {
        private Long timeoutMs;
        private Boolean rawOutput;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String cwd;
        private Encoding encoding;
        private Integer chunkSize;
        private boolean stdin;
        private boolean pty;
        private Integer cols;
        private Integer rows;
        private Long detachGraceMs;

        private Builder() {}

        /** The command's timeout in milliseconds (at least 1). */
        public Builder timeoutMs(long timeoutMs) {
            this.timeoutMs = timeoutMs;
            return this;
        }

        /** The command's timeout. */
        public Builder timeout(Duration timeout) {
            return timeoutMs(timeout.toMillis());
        }

        /** True to keep ANSI escapes and CRLF as the program wrote them. */
        public Builder rawOutput(boolean rawOutput) {
            this.rawOutput = rawOutput;
            return this;
        }

        /** Adds variables for this command only. */
        public Builder env(Map<String, String> env) {
            this.env.putAll(env);
            return this;
        }

        /** Adds one variable for this command only. */
        public Builder env(String name, String value) {
            this.env.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** The working directory for this command only. */
        public Builder cwd(String cwd) {
            this.cwd = Objects.requireNonNull(cwd, "cwd");
            return this;
        }

        /** How output is carried; {@link Encoding#BASE64} is byte-exact. */
        public Builder encoding(Encoding encoding) {
            this.encoding = Objects.requireNonNull(encoding, "encoding");
            return this;
        }

        /** Streams only: the largest payload of one chunk, in bytes (the daemon caps it, by default at 1 MiB). */
        public Builder chunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * True to give the command an input: write to it with {@link Session#writeStdin} (or
         * {@link ExecHandle#writeStdin}) and end it with {@link Session#closeStdin}. Without it
         * the command reads {@code /dev/null}. Meant for streams and background commands: a
         * blocking exec returns only once its command has ended, so its input would have to be
         * written from another thread.
         */
        public Builder stdin(boolean stdin) {
            this.stdin = stdin;
            return this;
        }

        /**
         * True to run the command on a pseudo-terminal ({@code TERM=xterm-256color}, 80x24 unless
         * {@link #cols} and {@link #rows} say otherwise), for programs that want a TTY. Its stdout
         * and stderr then arrive merged, as stdout; it runs in a child shell, so it cannot change
         * the session's cwd or variables.
         */
        public Builder pty(boolean pty) {
            this.pty = pty;
            return this;
        }

        /** The terminal's width in columns (1 to 1000, default 80); implies {@link #pty}. */
        public Builder cols(int cols) {
            checkSide(cols, "cols");
            this.pty = true;
            this.cols = cols;
            return this;
        }

        /** The terminal's height in rows (1 to 1000, default 24); implies {@link #pty}. */
        public Builder rows(int rows) {
            checkSide(rows, "rows");
            this.pty = true;
            this.rows = rows;
            return this;
        }

        /**
         * Streams only: how long the command outlives a lost connection, waiting for the stream
         * to resume it (the stream does that by itself). 0 turns resuming off: a lost connection
         * then ends the stream with a {@link StreamException}. The daemon caps it (10 minutes by
         * default). Without this the client's {@link SandboxClient.Builder#detachGrace} applies.
         */
        public Builder detachGraceMs(long detachGraceMs) {
            this.detachGraceMs = detachGraceMs;
            return this;
        }

        /** {@link #detachGraceMs(long)} as a duration. */
        public Builder detachGrace(Duration detachGrace) {
            return detachGraceMs(detachGrace.toMillis());
        }

        public ExecOptions build() {
            return new ExecOptions(timeoutMs, rawOutput, env, cwd, encoding, chunkSize, stdin, pty, cols, rows,
                    detachGraceMs);
        }
    }
}
