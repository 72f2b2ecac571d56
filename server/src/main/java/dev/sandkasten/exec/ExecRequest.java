package dev.sandkasten.exec;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One command to run in a session's shell.
 *
 * @param cmd the command text, run exactly as typed (it is sourced from a file, so heredocs and any quoting work)
 * @param timeout how long it may run before its process tree is killed
 * @param env variables for this command only; when present the command runs in a subshell
 * @param cwd working directory for this command only; when present the command runs in a subshell
 * @param detachGrace how long a foreground command outlives its last attached client, waiting for one to attach
 * @param format how the client that started it wants output presented; attaching clients default to it
 * @param background run in a subshell alongside the session's later commands, with a kill group of its own
 * @param stdin give the command an input the daemon writes ({@link StdinPipe}) instead of /dev/null
 * @param pty run the command on a pseudo-terminal of this size (in a child shell, see {@link Pty})
 */
public record ExecRequest(String cmd, Duration timeout, Map<String, String> env, Optional<String> cwd,
                          Duration detachGrace, OutputFormat format, boolean background, boolean stdin,
                          Optional<Pty> pty) {
    public ExecRequest {
        env = Map.copyOf(env);
    }

    /**
     * Output presentation, kept with the command for clients that attach later. The engine
     * stores it and never looks inside.
     *
     * @param raw keep ANSI sequences and CRLF
     * @param base64 base64 instead of UTF-8 text
     * @param chunkSize largest payload of one stream event
     */
    public record OutputFormat(boolean raw, boolean base64, int chunkSize) {}

    /**
     * A pseudo-terminal of {@code cols} by {@code rows}. The command runs under {@code script(1)}
     * in a child bash on that terminal (stdout and stderr merged, as a terminal shows them), so,
     * like a subshell, it cannot change the session's cwd, variables or functions.
     */
    public record Pty(int cols, int rows) {}

    /** True when the command must not change the session's state (it runs in a subshell). */
    boolean isolated() {
        return !env.isEmpty() || cwd.isPresent();
    }
}
