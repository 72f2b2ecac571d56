package dev.sandkasten.client;

/**
 * The command ran past its timeout and the daemon killed it (its whole process tree); the
 * session is ready for the next command. Thrown by a stream that ends with a
 * {@code COMMAND_TIMEOUT} error event and by a blocking exec answered with {@code 504}.
 * {@link #output()} holds what the command printed before. Pass a larger
 * {@link ExecOptions.Builder#timeoutMs(long)} for long commands.
 */
public class CommandTimeoutException extends StreamException {
    public CommandTimeoutException(String message, String execId, String output, Long durationMs, boolean stateLost) {
        super(message, "COMMAND_TIMEOUT", execId, output, durationMs, stateLost, null);
    }
}
