package dev.sandkasten.client;

/** {@code 500 INTERNAL}: a bug in the daemon; its log has the details. */
public class InternalServerException extends ApiException {
    public InternalServerException(int status, String code, String message) {
        super(status, code, message);
    }
}
