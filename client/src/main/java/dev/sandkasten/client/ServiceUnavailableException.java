package dev.sandkasten.client;

/**
 * {@code 503 UNAVAILABLE}: the daemon is at its session limit or could not start a sandbox.
 * Destroy sessions you no longer need, or retry later.
 */
public class ServiceUnavailableException extends ApiException {
    public ServiceUnavailableException(int status, String code, String message) {
        super(status, code, message);
    }
}
