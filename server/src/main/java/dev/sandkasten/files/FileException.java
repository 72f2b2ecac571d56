package dev.sandkasten.files;

/** A file operation that failed for a reason the client can act on. */
public final class FileException extends RuntimeException {
    /** Why it failed; the API layer turns each into a status and code. */
    public enum Reason { NOT_FOUND, INVALID, TOO_LARGE, FAILED }

    private final Reason reason;

    public FileException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
