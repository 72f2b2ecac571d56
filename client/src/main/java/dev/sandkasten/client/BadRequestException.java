package dev.sandkasten.client;

/**
 * {@code 400 INVALID_REQUEST}: the daemon refused the request as malformed (a value out of
 * range, an unknown image or network mode), or {@code 415 UNSUPPORTED_MEDIA_TYPE}. The message
 * names the offending field. Retrying the same request will fail the same way.
 */
public class BadRequestException extends ApiException {
    public BadRequestException(int status, String code, String message) {
        super(status, code, message);
    }
}
