package dev.sandkasten.client;

/**
 * {@code 409}: the request conflicts with the session's state. (A blocking exec that was
 * cancelled answers 409 too, but is thrown as {@link CommandCancelledException}.)
 */
public class ConflictException extends ApiException {
    public ConflictException(int status, String code, String message) {
        super(status, code, message);
    }
}
