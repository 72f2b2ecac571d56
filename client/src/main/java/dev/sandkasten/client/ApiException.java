package dev.sandkasten.client;

/**
 * The daemon answered with an HTTP error. {@link #status()} is the HTTP status and {@link #code()}
 * the daemon's machine-readable code (for example {@code SESSION_NOT_FOUND}); the message is the
 * daemon's explanation, which says what to do. Each status the daemon uses has a subclass (the
 * same set as the Python and TypeScript SDKs); any other (a proxy's 502, say) is a plain ApiException.
 */
public class ApiException extends SandkastenException {
    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    /** The HTTP status, for example 404. */
    public int status() {
        return status;
    }

    /** The daemon's error code, for example {@code SESSION_GONE}; {@code null} if the body carried none (a proxy's error page, say). */
    public String code() {
        return code;
    }
}
