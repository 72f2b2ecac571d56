package dev.sandkasten.api;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import java.nio.charset.StandardCharsets;

/**
 * Answers for requests the HTTP server rejects before routing (a malformed request line, headers
 * too large, a body over the limit): the same JSON error shape as every other error, instead of
 * the server's empty or plain-text default, so a client always gets a code and a message.
 */
public final class TransportErrors {
    private TransportErrors() {}

    public static DirectHandlers handlers() {
        DirectHandlers.Builder b = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) b.addHandler(type, TransportErrors::answer);
        return b.build();
    }

    private static DirectHandler.TransportResponse answer(DirectHandler.TransportRequest request,
            DirectHandler.EventType type, Status status, ServerResponseHeaders headers, String message) {
        ApiError error = switch (status.code()) {
            case 413 -> ApiError.tooLarge("request body is larger than this daemon accepts (max_body_bytes)");
            case 431 -> new ApiError(431, "INVALID_REQUEST", "request headers are too large");
            case 505 -> new ApiError(505, "INVALID_REQUEST", "only HTTP/1.1 (and HTTP/1.0) are supported");
            default -> status.code() >= 500
                    ? new ApiError(status.code(), "INTERNAL", "internal error; see the daemon log")
                    : new ApiError(status.code(), "INVALID_REQUEST", "malformed HTTP request" + detail(message));
        };
        headers.set(HeaderValues.CONTENT_TYPE_JSON);
        return DirectHandler.TransportResponse.builder()
                .status(status)
                .headers(headers)
                .keepAlive(type.keepAlive())
                .entity(Json.write(Json.error(error)).getBytes(StandardCharsets.UTF_8))
                .build();
    }

    /** The server's own reason, when it is short plain text (never a stack trace or a path). */
    private static String detail(String message) {
        if (message == null || message.isBlank() || message.length() > 120 || !message.matches("[\\x20-\\x7E]+")
                || message.contains("/")) {
            return "";
        }
        return ": " + message;
    }
}
