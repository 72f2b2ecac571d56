package dev.sandkasten.exec;

/** How a command ended. A closed set: the HTTP layer maps each to a response or a stream event. */
public sealed interface ExecOutcome {
    /** Milliseconds from the start of the command (not its time in the queue) to its end. */
    long durationMs();

    /** True if the session's shell had to be replaced, losing cwd, variables, functions and jobs. */
    boolean stateLost();

    /** The command ran to its end; {@code exit N} included. */
    record Completed(int exitCode, String cwd, long durationMs, boolean stateLost) implements ExecOutcome {}

    /** The command hit its timeout and its process tree was killed. */
    record TimedOut(long durationMs, boolean stateLost) implements ExecOutcome {}

    /** The command was cancelled (by a client's cancel request or because its client went away). */
    record Cancelled(String reason, long durationMs, boolean stateLost) implements ExecOutcome {}

    /** The sandbox died under the command (killed from outside, or its supervisor was OOM-killed). */
    record SandboxLost(long durationMs) implements ExecOutcome {
        @Override public boolean stateLost() { return true; }
    }
}
