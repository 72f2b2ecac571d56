package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.daemon.Daemon;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Browsers on configured origins may call the API (preflight without a key, then calls with
 * one); other origins, and every origin on a daemon without the setting, get no CORS headers.
 * Raw HTTP: the headers are the point.
 */
class CorsIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> send(String base, String method, String path, String origin, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin);
        if (method.equals("OPTIONS")) {
            b.header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "authorization, content-type");
        }
        if (key != null) b.header("Authorization", "Bearer " + key);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void configuredOriginsGetPreflightAndHeadersOthersDoNot() throws Exception {
        try (Daemon d = TestDaemon.start(Map.of("cors_origins", "http://app.example:3000"))) {
            String base = TestDaemon.url(d);
            HttpResponse<String> pre = send(base, "OPTIONS", "/v1/sessions", "http://app.example:3000", null);
            assertThat(pre.statusCode()).isEqualTo(204);
            assertThat(pre.headers().firstValue("access-control-allow-origin")).hasValue("http://app.example:3000");
            assertThat(pre.headers().firstValue("access-control-allow-headers").orElse("")).contains("Authorization");
            HttpResponse<String> list = send(base, "GET", "/v1/sessions", "http://app.example:3000", d.apiKey());
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(list.headers().firstValue("access-control-allow-origin")).hasValue("http://app.example:3000");
            // The key still guards every call, whatever the origin.
            assertThat(send(base, "GET", "/v1/sessions", "http://app.example:3000", null).statusCode()).isEqualTo(401);
            HttpResponse<String> other = send(base, "OPTIONS", "/v1/sessions", "http://evil.example", null);
            assertThat(other.headers().firstValue("access-control-allow-origin")).isEmpty();
            assertThat(other.statusCode()).isEqualTo(401);
        }
        HttpResponse<String> shared = send(TestDaemon.url(TestDaemon.shared()), "GET", "/v1/sessions", "http://app.example:3000",
                TestDaemon.shared().apiKey());
        assertThat(shared.headers().firstValue("access-control-allow-origin")).isEmpty();
    }
}
