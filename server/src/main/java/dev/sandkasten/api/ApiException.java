package dev.sandkasten.api;

/** Carries an {@link ApiError} out of a handler to the routing's error handler. */
public final class ApiException extends RuntimeException {
    private final ApiError error;

    public ApiException(ApiError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    public ApiError error() {
        return error;
    }
}
