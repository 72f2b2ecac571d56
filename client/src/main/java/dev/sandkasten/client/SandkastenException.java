package dev.sandkasten.client;

/**
 * The root of every exception this SDK throws. It is unchecked: most callers let failures
 * propagate, and those who handle them catch the subtype they care about ({@link ApiException}
 * for errors the daemon answered with, {@link StreamException} for commands that did not finish
 * normally, {@link ConnectionException} when the daemon could not be reached).
 */
public class SandkastenException extends RuntimeException {
    public SandkastenException(String message) {
        super(message);
    }

    public SandkastenException(String message, Throwable cause) {
        super(message, cause);
    }
}
