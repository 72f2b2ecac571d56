package dev.sandkasten.client;

/**
 * The daemon refused the request as malformed: {@code 400 INVALID_REQUEST} (a value out of
 * range, an unknown image), {@code 413 PAYLOAD_TOO_LARGE} (a command over 1 MiB) or
 * {@code 415 UNSUPPORTED_MEDIA_TYPE}. The message names the offending field. Retrying the same
 * request will fail the same way.
 */
public class InvalidRequestException extends ApiException {
    public InvalidRequestException(int status, String code, String message) {
        super(status, code, message);
    }
}
