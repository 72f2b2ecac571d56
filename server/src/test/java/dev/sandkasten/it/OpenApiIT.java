package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document is served without a key and matches the daemon: for every documented
 * path, the methods the daemon serves (read from the {@code Allow} header of a 405) are exactly
 * the documented ones.
 */
class OpenApiIT {
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE");

    @Test
    void everyDocumentedPathIsServedWithExactlyItsDocumentedMethods() throws Exception {
        String base = TestDaemon.url(TestDaemon.shared());
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> doc = http.send(HttpRequest.newBuilder(URI.create(base + "/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(doc.statusCode()).isEqualTo(200);
        assertThat(doc.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode paths = new ObjectMapper().readTree(doc.body()).get("paths");
        assertThat(paths.size()).isGreaterThan(25);
        String key = TestDaemon.shared().apiKey();
        for (var it = paths.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getKey().startsWith("/v1/")) continue;
            Set<String> documented = new TreeSet<>();
            for (String m : METHODS) if (e.getValue().has(m.toLowerCase())) documented.add(m);
            String path = e.getKey().replaceAll("\\{[^}]+}", "x1");
            String unserved = METHODS.stream().filter(m -> !documented.contains(m)).findFirst().orElseThrow();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Authorization", "Bearer " + key)
                    .method(unserved, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(unserved + " " + path).isEqualTo(405);
            Set<String> served = new TreeSet<>(List.of(r.headers().firstValue("allow").orElse("").split(",\\s*")));
            assertThat(served).as(e.getKey()).isEqualTo(documented);
        }
    }
}
