package dev.sandkasten.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Turns the daemon's error answers (HTTP errors and stream {@code error} events) into typed exceptions. */
final class Errors {
    private Errors() {}

    /** An HTTP error response: {@code {"error": "...", "code": "..."}}, possibly with a command's partial result. */
    static SandkastenException fromResponse(int status, byte[] body) {
        JsonNode n = null;
        try {
            if (body.length > 0) n = Wire.JSON.readTree(body);
        } catch (IOException e) {
            // not JSON: a proxy's error page, for example; reported below with a snippet
        }
        if (n == null || !n.isObject()) {
            return byStatus(status, null, "the daemon answered HTTP " + status + " without a Sandkasten error body: "
                    + snippet(body) + (status == 502 || status == 503 || status == 504
                    ? "; a proxy in front of the daemon may have failed to reach it" : ""));
        }
        String code = Wire.text(n, "code");
        String message = n.path("error").asText("HTTP " + status);
        if (status == 504 && "COMMAND_TIMEOUT".equals(code)) {
            return new CommandTimeoutException(message + TIMEOUT_HINT, Wire.text(n, "exec_id"),
                    n.path("output").asText(""), Wire.longOrNull(n, "duration_ms"), n.path("state_lost").asBoolean());
        }
        if (status == 409 && "CANCELLED".equals(code)) {
            return new CommandCancelledException(message, Wire.text(n, "exec_id"), n.path("output").asText(""),
                    Wire.longOrNull(n, "duration_ms"), n.path("state_lost").asBoolean());
        }
        return byStatus(status, code, message + " (HTTP " + status + (code == null ? "" : " " + code) + ")"
                + (status == 401 ? "; pass the daemon's key to SandboxClient.builder().apiKey(..) or set SANDKASTEN_API_KEY"
                : ""));
    }

    static final String TIMEOUT_HINT = "; to let long commands finish, pass a larger ExecOptions.timeoutMs";

    private static ApiException byStatus(int status, String code, String message) {
        return switch (status) {
            case 400, 415 -> new BadRequestException(status, code, message);
            case 401 -> new AuthenticationException(status, code, message);
            case 404 -> new NotFoundException(status, code, message);
            case 409 -> new ConflictException(status, code, message);
            case 410 -> new SessionGoneException(status, code, message);
            case 413 -> new PayloadTooLargeException(status, code, message);
            case 429 -> new QuotaExceededException(status, code, message);
            case 500 -> new InternalServerException(status, code, message);
            case 503 -> new ServiceUnavailableException(status, code, message);
            default -> new ApiException(status, code, message);
        };
    }

    static String snippet(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8).strip();
        if (s.isEmpty()) return "(empty body)";
        return body.length > 300 ? s + "..." : s;
    }
}
