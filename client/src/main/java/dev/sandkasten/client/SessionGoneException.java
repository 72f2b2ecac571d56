package dev.sandkasten.client;

/**
 * {@code 410 SESSION_GONE}: the session was destroyed, expired, or lost its sandbox. It cannot
 * be revived; create a new session.
 */
public class SessionGoneException extends ApiException {
    public SessionGoneException(int status, String code, String message) {
        super(status, code, message);
    }
}
