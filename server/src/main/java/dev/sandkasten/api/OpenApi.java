package dev.sandkasten.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's OpenAPI document, served at {@code /openapi.json} without a key (it describes the
 * API, it holds nothing of anyone's). It is written by hand in YAML next to this class and
 * converted to JSON once, on a thread of its own started with the daemon: parsing YAML took
 * ~150 ms of a one-second start. A broken document is logged at start and answers 500;
 * {@code OpenApiIT} and the schema fuzz pass fail the build first.
 */
final class OpenApi {
    private static final Logger log = LoggerFactory.getLogger(OpenApi.class);

    private final CompletableFuture<byte[]> json = CompletableFuture.supplyAsync(OpenApi::read,
            task -> Thread.ofVirtual().name("openapi-load").start(task));

    OpenApi() {
        json.whenComplete((doc, e) -> {
            if (e != null) log.error("the OpenAPI document cannot be served", e);
        });
    }

    private static byte[] read() {
        try (InputStream in = OpenApi.class.getResourceAsStream("openapi.yaml")) {
            if (in == null) throw new IllegalStateException("openapi.yaml is missing from the build");
            return Json.MAPPER.writeValueAsBytes(new ObjectMapper(new YAMLFactory()).readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the OpenAPI document: " + e.getMessage(), e);
        }
    }

    void send(ServerRequest req, ServerResponse res) {
        byte[] doc = json.join(); // a failure goes to the routing's 500 handler
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(doc);
    }
}
