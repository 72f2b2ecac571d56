package dev.sandkasten.api;

/**
 * An error as the client sees it: HTTP status, a machine code from the wire contract, and a
 * message for a person that says what to do. Thrown inside handlers as {@link ApiException}.
 */
public record ApiError(int status, String code, String message) {
    public static ApiError invalid(String message) {
        return new ApiError(400, "INVALID_REQUEST", message);
    }

    public static ApiError notFound(String message) {
        return new ApiError(404, "NOT_FOUND", message);
    }

    public static ApiError sessionNotFound(String message) {
        return new ApiError(404, "SESSION_NOT_FOUND", message);
    }

    public static ApiError tooLarge(String message) {
        return new ApiError(413, "PAYLOAD_TOO_LARGE", message);
    }

    public ApiException exception() {
        return new ApiException(this);
    }
}
