package dev.sandkasten.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A deliberately plain HTTP client for the integration tests that check wire-level details the
 * Java SDK hides on purpose: status codes of bad requests, auth header variants, malformed bodies,
 * response headers and raw SSE frames. Everything else goes through the SDK ({@link TestDaemon#sdk()}).
 */
public final class TestClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String key;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public TestClient(String base, String key) {
        this.base = base;
        this.key = key;
    }

    public record Reply(int status, JsonNode body, Map<String, List<String>> headers) {}

    /** One SSE event with the moment it was fully received. */
    public record Event(String name, String id, JsonNode data, long receivedNanos, long receivedEpochMicros) {}

    public Reply request(String method, String path, Object body) {
        return request(method, path, body, key);
    }

    public Reply request(String method, String path, Object body, String apiKey) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(3));
            if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
            if (body != null) {
                String s = body instanceof String str ? str : JSON.writeValueAsString(body);
                b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(s));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode n = r.body().length == 0 ? null : JSON.readTree(r.body());
            return new Reply(r.statusCode(), n, r.headers().map());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates a session (default image) and returns its id. */
    public String createSession() {
        Reply r = request("POST", "/v1/sessions", Map.of());
        if (r.status() != 201) throw new AssertionError("session not created: " + r.status() + " " + r.body());
        return r.body().get("id").asText();
    }

    public void destroy(String session) {
        request("DELETE", "/v1/sessions/" + session, null);
    }

    public Reply exec(String session, Map<String, Object> body) {
        return request("POST", "/v1/sessions/" + session + "/exec", body);
    }

    /** An open SSE stream; close it to disconnect. */
    public final class Stream implements AutoCloseable {
        private final HttpResponse<InputStream> response;
        private final BufferedReader reader;

        Stream(HttpResponse<InputStream> response) {
            this.response = response;
            this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        }

        public int status() {
            return response.statusCode();
        }

        public HttpResponse<InputStream> response() {
            return response;
        }

        /** The next event, or null at the end of the stream. Comment lines are skipped. */
        public Event next() throws IOException {
            String name = null;
            String id = null;
            StringBuilder data = null;
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    if (name != null || data != null) {
                        long nanos = System.nanoTime();
                        java.time.Instant now = java.time.Instant.now();
                        long micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
                        return new Event(name, id, data == null ? null : JSON.readTree(data.toString()), nanos, micros);
                    }
                    continue;
                }
                if (line.startsWith(":")) continue;
                if (line.startsWith("event:")) name = line.substring(6).trim();
                else if (line.startsWith("id:")) id = line.substring(3).trim();
                else if (line.startsWith("data:")) {
                    if (data == null) data = new StringBuilder();
                    else data.append('\n');
                    data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
                }
            }
            return null;
        }

        /** Reads events until the stream ends or one matches. */
        public List<Event> readUntil(Predicate<Event> stop) throws IOException {
            List<Event> out = new ArrayList<>();
            Event e;
            while ((e = next()) != null) {
                out.add(e);
                if (stop.test(e)) break;
            }
            return out;
        }

        public List<Event> readAll() throws IOException {
            return readUntil(e -> false);
        }

        @Override
        public void close() throws IOException {
            response.body().close();
        }
    }

    public Stream stream(String session, Map<String, Object> body) {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/sessions/" + session + "/exec/stream"))
                    .header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                    .build();
            return new Stream(http.send(req, HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Stream stream(String session, String cmd) {
        return stream(session, Map.of("cmd", cmd));
    }

    /**
     * Attaches to an exec's output: {@code GET .../execs/{id}/stream} with an optional query
     * (without the '?') and an optional {@code Last-Event-ID} header.
     */
    public Stream attach(String session, String execId, String query, String lastEventId) {
        try {
            String path = "/v1/sessions/" + session + "/execs/" + execId + "/stream" + (query == null ? "" : "?" + query);
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                    .header("Authorization", "Bearer " + key).GET();
            if (lastEventId != null) b.header("Last-Event-ID", lastEventId);
            return new Stream(http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
