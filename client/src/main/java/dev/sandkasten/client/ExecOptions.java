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
 */
public record ExecOptions(Long timeoutMs, Boolean rawOutput, Map<String, String> env, String cwd, Encoding encoding,
                          Integer chunkSize) {
    /** No options: the daemon's defaults. */
    public static final ExecOptions DEFAULTS = new ExecOptions(null, null, null, null, null, null);

    public ExecOptions {
        env = env == null ? Map.of() : Map.copyOf(env);
        if (timeoutMs != null && timeoutMs < 1) throw new IllegalArgumentException("timeoutMs must be at least 1");
        if (chunkSize != null && chunkSize < 1) throw new IllegalArgumentException("chunkSize must be at least 1");
        if (cwd != null && cwd.isEmpty()) throw new IllegalArgumentException("cwd must not be empty");
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

        public ExecOptions build() {
            return new ExecOptions(timeoutMs, rawOutput, env, cwd, encoding, chunkSize);
        }
    }
}
