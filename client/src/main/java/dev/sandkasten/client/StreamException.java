package dev.sandkasten.client;

/**
 * A command did not finish normally: the daemon ended it with an error ({@link #code()} is then
 * {@code COMMAND_TIMEOUT}, {@code CANCELLED} or {@code SESSION_GONE}), or the stream broke off
 * before the command's end ({@link #code()} is {@code null}). {@link #output()} holds the output
 * received before that, so a caller can show or log what the command printed.
 */
public class StreamException extends SandkastenException {
    private final String code;
    private final String execId;
    private final String output;
    private final Long durationMs;
    private final boolean stateLost;

    public StreamException(String message, String code, String execId, String output, Long durationMs,
                           boolean stateLost, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.execId = execId;
        this.output = output == null ? "" : output;
        this.durationMs = durationMs;
        this.stateLost = stateLost;
    }

    /** The daemon's error code, or {@code null} when the stream broke off without one. */
    public String code() {
        return code;
    }

    /** The command's id ({@code ex_...}), or {@code null} if the daemon never sent it. */
    public String execId() {
        return execId;
    }

    /**
     * Output received before the command ended: stdout and stderr interleaved. For a stream it is
     * the last {@value ExecStream#KEPT_OUTPUT_CHARS} characters at most; for a blocking exec it is
     * what the daemon kept (head and tail, see {@link ExecResult#truncated()}).
     */
    public String output() {
        return output;
    }

    /** How long the command ran, in milliseconds, or {@code null} if the daemon did not say. */
    public Long durationMs() {
        return durationMs;
    }

    /** True if the daemon had to restart the session's shell, losing cwd, variables and functions. */
    public boolean stateLost() {
        return stateLost;
    }
}
