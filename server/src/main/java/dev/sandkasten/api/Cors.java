package dev.sandkasten.api;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Set;

/**
 * Lets web pages on the configured origins call the API from a browser (the TypeScript SDK uses
 * the platform's fetch). Runs before {@link Auth}: a browser's preflight carries no key. Only
 * listed origins are answered; with none configured (the default) nothing changes, and browsers
 * keep refusing cross-origin calls. The API key still guards every call.
 */
final class Cors implements Filter {
    private final Set<String> origins;

    Cors(Set<String> origins) {
        this.origins = Set.copyOf(origins);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String origin = req.headers().value(HeaderNames.ORIGIN).orElse(null);
        if (origin == null || !(origins.contains(origin) || origins.contains("*"))) {
            chain.proceed();
            return;
        }
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        res.header(HeaderNames.VARY, "Origin");
        res.header(HeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, "X-Exec-Id, Location");
        if (req.prologue().method() == Method.OPTIONS
                && req.headers().contains(HeaderNames.ACCESS_CONTROL_REQUEST_METHOD)) {
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, DELETE");
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type, Last-Event-ID");
            res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
            res.status(204).send();
            return;
        }
        chain.proceed();
    }
}
