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
 */
public record ExecRequest(String cmd, Duration timeout, Map<String, String> env, Optional<String> cwd) {
    public ExecRequest {
        env = Map.copyOf(env);
    }

    /** True when the command must not change the session's state (it runs in a subshell). */
    boolean isolated() {
        return !env.isEmpty() || cwd.isPresent();
    }
}
