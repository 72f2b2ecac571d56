package dev.sandkasten.client;

/**
 * The command was cancelled through {@link Session#cancel(String)} (by this client or another)
 * before it finished; its process tree was killed and the session's shell survives. Thrown by a
 * stream that ends with a {@code CANCELLED} error event and by a blocking exec answered with
 * {@code 409 CANCELLED}.
 */
public class CommandCancelledException extends StreamException {
    public CommandCancelledException(String message, String execId, String output, Long durationMs, boolean stateLost) {
        super(message, "CANCELLED", execId, output, durationMs, stateLost, null);
    }
}
