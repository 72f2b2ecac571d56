package dev.sandkasten.api;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Requires {@code Authorization: Bearer <key>} on every {@code /v1/} route. Keys are compared as
 * SHA-256 digests with {@link MessageDigest#isEqual}, so the comparison takes the same time
 * whatever the key and whatever its length.
 */
final class Auth implements Filter {
    private final byte[] expectedDigest;

    Auth(String apiKey) {
        this.expectedDigest = sha256(apiKey);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (!req.path().path().startsWith("/v1/") && !req.path().path().equals("/v1")) {
            chain.proceed();
            return;
        }
        String header = req.headers().value(HeaderNames.AUTHORIZATION).orElse("");
        String presented = header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (presented.isEmpty() || !MessageDigest.isEqual(sha256(presented), expectedDigest)) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
            String msg = presented.isEmpty()
                    ? "missing API key: send the header 'Authorization: Bearer <key>'"
                    : "invalid API key";
            Json.send(res, 401, Json.error(new ApiError(401, "UNAUTHORIZED", msg)));
            return;
        }
        chain.proceed();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
