package dev.sandkasten.session;

/**
 * A session operation was refused. The {@link Reason} says why, so the HTTP layer can pick a
 * status and code; the message is written for the client and never names host paths.
 */
public final class SessionException extends RuntimeException {
    /** Why an operation was refused. */
    public enum Reason { NOT_FOUND, EXEC_NOT_FOUND, EXEC_FINISHED, EXEC_NOT_RUNNING, NO_PTY, GONE, INVALID, UNAVAILABLE, QUOTA }

    private final Reason reason;

    public SessionException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
