package dev.sandkasten.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Sends requests to the daemon and turns its answers into values or typed exceptions. Each call
 * exists in a blocking and an asynchronous form that share the mapping, so both fail the same way.
 */
final class Transport {
    private static final String USER_AGENT = "sandkasten-client-java/"
            + java.util.Objects.requireNonNullElse(Transport.class.getPackage().getImplementationVersion(), "dev");

    private final HttpClient http;
    private final String base;
    private final String authorization;
    private final Duration requestTimeout;
    private final Duration detachGrace;

    Transport(HttpClient http, String base, String apiKey, Duration requestTimeout, Duration detachGrace) {
        this.http = http;
        this.base = base;
        this.authorization = "Bearer " + apiKey;
        this.requestTimeout = requestTimeout;
        this.detachGrace = detachGrace;
    }

    String base() {
        return base;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    /** The client's default {@code detach_grace_ms} for streams; zero turns resuming off. */
    Duration detachGrace() {
        return detachGrace;
    }

    /** A request to {@code path} (which starts with "/"); {@code timeout} null means none. */
    HttpRequest request(String method, String path, JsonNode body, Duration timeout) {
        HttpRequest.Builder b = builder(path, timeout);
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(writeJson(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    /** A request builder for {@code path} with the client's headers; {@code timeout} null means none. */
    HttpRequest.Builder builder(String path, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", authorization)
                .header("User-Agent", USER_AGENT)
                .header("Accept", "application/json");
        if (timeout != null) b.timeout(timeout);
        return b;
    }

    /** Sends a JSON request and maps a 2xx body with {@code map}; anything else throws a typed exception. */
    <T> T call(HttpRequest req, Function<JsonNode, T> map) {
        HttpResponse<byte[]> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw connectionError(req, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandkastenException("interrupted while waiting for " + describe(req), e);
        }
        return map.apply(json(r));
    }

    /** The asynchronous form of {@link #call}; the future fails with the same typed exceptions. */
    <T> CompletableFuture<T> callAsync(HttpRequest req, Function<JsonNode, T> map) {
        return adapt(req, http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()), r -> map.apply(json(r)));
    }

    /** A streaming response that answered 200: its headers and its still-open body. */
    record OpenStream(HttpHeaders headers, InputStream body) {}

    /** Opens a streaming response: 200 gives the open body, anything else a typed exception. */
    OpenStream open(HttpRequest req) {
        HttpResponse<Opened> r;
        try {
            r = http.send(req, Transport::openHandler);
        } catch (IOException e) {
            throw connectionError(req, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandkastenException("interrupted while waiting for " + describe(req), e);
        }
        return opened(r);
    }

    /**
     * The asynchronous form of {@link #open}: {@code map} turns the open body into the caller's
     * value, and {@code discard} releases one that arrives after the caller's future was
     * cancelled or timed out. The exchange itself is left to finish then (the daemon answers at
     * once, before the command runs): closing the stream cancels the command by its id at once,
     * where a dropped connection would leave it running for the daemon's disconnect grace.
     */
    <T> CompletableFuture<T> openAsync(HttpRequest req, Function<OpenStream, T> map, Consumer<T> discard) {
        return complete(req, http.sendAsync(req, Transport::openHandler), r -> map.apply(opened(r)), discard);
    }

    /** A 200 gets the body as a live stream; an error's (small) body is read whole, so nothing blocks. */
    private sealed interface Opened permits Live, Failed {}

    private record Live(InputStream body) implements Opened {}

    private record Failed(byte[] body) implements Opened {}

    private static HttpResponse.BodySubscriber<Opened> openHandler(HttpResponse.ResponseInfo info) {
        if (info.statusCode() == 200) {
            return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofInputStream(), Live::new);
        }
        return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(), Failed::new);
    }

    private static OpenStream opened(HttpResponse<Opened> r) {
        return switch (r.body()) {
            case Live live -> new OpenStream(r.headers(), live.body());
            case Failed failed -> throw Errors.fromResponse(r.statusCode(), failed.body());
        };
    }

    /** Cancelling the caller's future, or its {@code orTimeout}, abandons the HTTP exchange too. */
    private <R, T> CompletableFuture<T> adapt(HttpRequest req, CompletableFuture<HttpResponse<R>> sent,
                                              Function<HttpResponse<R>, T> map) {
        CompletableFuture<T> out = complete(req, sent, map, v -> {});
        out.whenComplete((v, e) -> {
            if (e != null) sent.cancel(true);
        });
        return out;
    }

    /**
     * Completes the caller's future from the HTTP exchange. A value that arrives when nobody can
     * take it any more (the caller's future was cancelled or timed out) goes to {@code discard},
     * so one that holds a resource (an open stream, a running command) is released, not leaked.
     */
    private <R, T> CompletableFuture<T> complete(HttpRequest req, CompletableFuture<HttpResponse<R>> sent,
                                                 Function<HttpResponse<R>, T> map, Consumer<T> discard) {
        CompletableFuture<T> out = new CompletableFuture<>();
        sent.whenComplete((r, e) -> {
            T v;
            try {
                if (e != null) throw asyncError(req, e);
                v = map.apply(r);
            } catch (Throwable t) {
                out.completeExceptionally(t);
                return;
            }
            // Off the HTTP client's thread: releasing a stream sends a cancel and waits for it.
            if (!out.complete(v)) CompletableFuture.runAsync(() -> discard.accept(v));
        });
        return out;
    }

    private RuntimeException asyncError(HttpRequest req, Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof IOException io) return connectionError(req, io);
        if (e instanceof CancellationException c) return c;
        return new SandkastenException("request " + describe(req) + " failed: " + e, e);
    }

    private ConnectionException connectionError(HttpRequest req, IOException e) {
        if (e instanceof HttpTimeoutException) {
            return new ConnectionException("no answer to " + describe(req) + " within "
                    + req.timeout().map(Duration::toString).orElse("the connect timeout")
                    + "; is the daemon overloaded, or is the timeout too short?", e);
        }
        return new ConnectionException("could not reach the Sandkasten daemon at " + base + " (" + e
                + "); check the base URL (or SANDKASTEN_URL) and that the daemon is running", e);
    }

    private static String describe(HttpRequest req) {
        return req.method() + " " + req.uri().getPath();
    }

    private static JsonNode json(HttpResponse<byte[]> r) {
        int status = r.statusCode();
        if (status < 200 || status > 299) throw Errors.fromResponse(status, r.body());
        if (r.body().length == 0) return MissingNode.getInstance();
        try {
            return Wire.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new SandkastenException("the daemon answered " + status + " with a body that is not JSON: "
                    + Errors.snippet(r.body()) + "; is the base URL pointing at a Sandkasten daemon?", e);
        }
    }

    private static byte[] writeJson(JsonNode body) {
        try {
            return Wire.JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a request body", e);
        }
    }

    /** Percent-encodes one path segment or query value, so an id or a path can never change the route. */
    static String segment(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                sb.append(c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return sb.toString();
    }
}
