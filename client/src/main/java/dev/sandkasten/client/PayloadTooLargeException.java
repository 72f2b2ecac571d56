package dev.sandkasten.client;

/** {@code 413 PAYLOAD_TOO_LARGE}: the request body is over the daemon's limit, or the command over 1 MiB. */
public class PayloadTooLargeException extends ApiException {
    public PayloadTooLargeException(int status, String code, String message) {
        super(status, code, message);
    }
}
