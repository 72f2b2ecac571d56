package dev.sandkasten.client;

/**
 * The daemon could not be reached or did not answer in time: connection refused, reset, or a
 * request timeout. The cause is the underlying I/O exception. Nothing is known about whether the
 * request took effect.
 */
public class ConnectionException extends SandkastenException {
    public ConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
