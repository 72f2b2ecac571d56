package dev.sandkasten.api;

import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;

/** Query parameters, each checked so that a wrong value gets a 400 naming it. */
final class Query {
    private final ServerRequest req;

    Query(ServerRequest req) {
        this.req = req;
    }

    Optional<String> string(String name) {
        return req.query().first(name).map(v -> v);
    }

    Optional<Long> integer(String name, long min, long max) {
        return string(name).map(v -> {
            long n;
            try {
                n = Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw ApiError.invalid(name + " must be an integer").exception();
            }
            if (n < min || n > max) throw ApiError.invalid(name + " must be between " + min + " and " + max).exception();
            return n;
        });
    }

    Optional<Boolean> bool(String name) {
        return string(name).map(v -> switch (v) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiError.invalid(name + " must be true or false").exception();
        });
    }
}
