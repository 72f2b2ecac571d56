package dev.sandkasten.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;

/** Raw-byte upload and download against the shared daemon, which the JSON TestClient cannot do. */
final class RawFiles {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RawFiles() {}

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static HttpResponse<InputStream> download(String base, String path) {
        return send(HttpRequest.newBuilder(URI.create(url(base, path))).GET(), HttpResponse.BodyHandlers.ofInputStream());
    }

    static HttpResponse<String> upload(String base, String path, Supplier<InputStream> body, long length) {
        HttpRequest.BodyPublisher pub = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(body), length);
        return send(HttpRequest.newBuilder(URI.create(url(base, path)))
                .header("Content-Type", "application/octet-stream").PUT(pub), HttpResponse.BodyHandlers.ofString());
    }

    private static String url(String base, String path) {
        return TestDaemon.url(TestDaemon.shared()) + base + "/fs/raw?path=" + q(path);
    }

    private static <T> HttpResponse<T> send(HttpRequest.Builder b, HttpResponse.BodyHandler<T> h) {
        try {
            return HTTP.send(b.header("Authorization", "Bearer " + TestDaemon.shared().apiKey())
                    .timeout(Duration.ofMinutes(5)).build(), h);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
