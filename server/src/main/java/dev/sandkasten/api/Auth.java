package dev.sandkasten.api;

import dev.sandkasten.tenant.Tenant;
import dev.sandkasten.tenant.TenantKeys;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;

/**
 * Requires {@code Authorization: Bearer <key>} on every {@code /v1/} route and records the
 * key's {@link Tenant} in the request's context, where every handler takes it from
 * ({@link #tenant}). Keys are looked up by digest in constant time ({@link TenantKeys}).
 */
final class Auth implements Filter {
    private final TenantKeys keys;

    Auth(TenantKeys keys) {
        this.keys = keys;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (!req.path().path().startsWith("/v1/") && !req.path().path().equals("/v1")) {
            chain.proceed();
            return;
        }
        String header = req.headers().value(HeaderNames.AUTHORIZATION).orElse("");
        String presented = header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        Optional<Tenant> tenant = presented.isEmpty() ? Optional.empty() : keys.authenticate(presented);
        if (tenant.isEmpty()) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
            String msg = presented.isEmpty()
                    ? "missing API key: send the header 'Authorization: Bearer <key>'"
                    : "invalid API key";
            Json.send(res, 401, Json.error(new ApiError(401, "UNAUTHORIZED", msg)));
            return;
        }
        req.context().register(tenant.get());
        chain.proceed();
    }

    /** The tenant this request acts for; set by the filter before any {@code /v1/} handler runs. */
    static Tenant tenant(ServerRequest req) {
        return req.context().get(Tenant.class)
                .orElseThrow(() -> new IllegalStateException("no tenant on an authenticated route"));
    }
}
