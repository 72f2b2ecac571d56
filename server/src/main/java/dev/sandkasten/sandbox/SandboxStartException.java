package dev.sandkasten.sandbox;

/** A sandbox could not be started; the message is safe to show to a client, details are logged. */
public final class SandboxStartException extends RuntimeException {
    public SandboxStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
