package dev.sandkasten.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The entry point: a client for one Sandkasten daemon. Build it once and share it; it is
 * thread-safe and keeps connections alive between calls.
 * <pre>{@code
 * SandboxClient client = SandboxClient.builder()
 *         .baseUrl("http://127.0.0.1:8080")
 *         .apiKey(System.getenv("SANDKASTEN_API_KEY"))
 *         .build();
 * Session session = client.createSession();
 * }</pre>
 * The base URL and API key default to the environment variables {@code SANDKASTEN_URL} and
 * {@code SANDKASTEN_API_KEY}. The session and exec calls exist in a blocking form and an
 * {@code ...Async} form returning a {@link CompletableFuture}; both fail with the same
 * {@link SandkastenException} subtypes (the future's cause, when unwrapped from
 * {@link java.util.concurrent.CompletionException}). Persistent workspaces are reached through
 * {@link #workspace(String)}, {@link #listWorkspaces()} and {@link #deleteWorkspace(String)}.
 */
public final class SandboxClient implements AutoCloseable {
    /** Where the daemon listens by default ({@code ./sandkasten serve}). */
    public static final String DEFAULT_BASE_URL = "http://127.0.0.1:8080";

    /** How long ordinary calls wait for an answer unless {@link Builder#requestTimeout} says otherwise. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(120);

    /** How long a streaming command outlives a lost connection unless {@link Builder#detachGrace} says otherwise. */
    public static final Duration DEFAULT_DETACH_GRACE = Duration.ofSeconds(30);

    private final Transport transport;
    private final HttpClient ownHttp;

    private SandboxClient(Transport transport, HttpClient ownHttp) {
        this.transport = transport;
        this.ownHttp = ownHttp;
    }

    /** A builder whose base URL and API key start from {@code SANDKASTEN_URL} and {@code SANDKASTEN_API_KEY}. */
    public static Builder builder() {
        return new Builder(System::getenv);
    }

    /** The daemon's base URL, without a trailing slash. */
    public String baseUrl() {
        return transport.base();
    }

    /** Creates a session with the daemon's defaults (image {@code python}). */
    public Session createSession() {
        return createSession(CreateSessionOptions.DEFAULTS);
    }

    /**
     * Creates a session; it is ready for commands when this returns.
     *
     * @throws BadRequestException      an unknown image, a lease over the daemon's maximum, a bad label
     * @throws ServiceUnavailableException  the daemon is at its session limit or could not start a sandbox
     */
    public Session createSession(CreateSessionOptions options) {
        return transport.call(createRequest(options), this::session);
    }

    /** {@link #createSession()}, asynchronously. */
    public CompletableFuture<Session> createSessionAsync() {
        return createSessionAsync(CreateSessionOptions.DEFAULTS);
    }

    /** {@link #createSession(CreateSessionOptions)}, asynchronously. */
    public CompletableFuture<Session> createSessionAsync(CreateSessionOptions options) {
        return transport.callAsync(createRequest(options), this::session);
    }

    /**
     * A handle on an existing session, after checking that the daemon knows it. The session may
     * have ended (see {@link Session#info()}); commands on it then throw {@link SessionGoneException}.
     *
     * @throws NotFoundException no such session
     */
    public Session getSession(String id) {
        return transport.call(getRequest(id), this::session);
    }

    /** {@link #getSession(String)}, asynchronously. */
    public CompletableFuture<Session> getSessionAsync(String id) {
        return transport.callAsync(getRequest(id), this::session);
    }

    /** The live sessions, oldest first. */
    public List<SessionInfo> listSessions() {
        return transport.call(listRequest(), Wire::sessionList);
    }

    /** {@link #listSessions()}, asynchronously. */
    public CompletableFuture<List<SessionInfo>> listSessionsAsync() {
        return transport.callAsync(listRequest(), Wire::sessionList);
    }

    /**
     * A handle on the persistent workspace {@code id} (1 to 64 letters, digits, {@code _}, {@code -}
     * and {@code .}, starting with a letter or digit). No request is made: the workspace need not
     * exist yet, and writing a file to it creates it.
     *
     * @throws IllegalArgumentException the id breaks the rule above
     */
    public Workspace workspace(String id) {
        return new Workspace(transport, id);
    }

    /** The persistent workspaces, oldest first. */
    public List<WorkspaceInfo> listWorkspaces() {
        return transport.call(transport.request("GET", "/v1/workspaces", null, transport.requestTimeout()),
                Wire::workspaceList);
    }

    /**
     * Deletes the workspace {@code id} and everything in it.
     *
     * @throws NotFoundException no such workspace
     * @throws ConflictException a live session uses it
     */
    public void deleteWorkspace(String id) {
        workspace(id).delete();
    }

    /** Releases this client's connections (when it created its own {@link HttpClient}). Sessions are not destroyed. */
    @Override
    public void close() {
        if (ownHttp != null) ownHttp.shutdown();
    }

    private Session session(com.fasterxml.jackson.databind.JsonNode n) {
        String id = Wire.text(n, "id");
        if (id == null) throw Wire.unexpected("a session with an id", n);
        return new Session(transport, id);
    }

    private java.net.http.HttpRequest createRequest(CreateSessionOptions options) {
        Objects.requireNonNull(options, "options");
        return transport.request("POST", "/v1/sessions", Wire.createSessionBody(options), transport.requestTimeout());
    }

    private java.net.http.HttpRequest getRequest(String id) {
        Objects.requireNonNull(id, "id");
        return transport.request("GET", "/v1/sessions/" + Transport.segment(id), null, transport.requestTimeout());
    }

    private java.net.http.HttpRequest listRequest() {
        return transport.request("GET", "/v1/sessions", null, transport.requestTimeout());
    }

    /** Configures a {@link SandboxClient}. Only the API key is required (directly or from the environment). */
    public static final class Builder {
        private String baseUrl;
        private String apiKey;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration detachGrace = DEFAULT_DETACH_GRACE;
        private HttpClient httpClient;

        Builder(Function<String, String> env) {
            this.baseUrl = env.apply("SANDKASTEN_URL");
            this.apiKey = env.apply("SANDKASTEN_API_KEY");
        }

        /** The daemon's URL, for example {@code http://127.0.0.1:8080}; a path prefix (behind a proxy) is kept. */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
            return this;
        }

        /** The daemon's API key (sent as {@code Authorization: Bearer <key>}). */
        public Builder apiKey(String apiKey) {
            this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
            return this;
        }

        /** How long to wait for a connection; 10 seconds by default. Ignored with {@link #httpClient}. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /**
         * How long to wait for an answer to an ordinary call; 120 seconds by default. A blocking
         * exec has no HTTP timeout (the daemon enforces the command's own timeout). A stream's
         * output may take as long as the command runs: this bounds the wait for the stream to
         * open, and the silence after which an open stream's connection is presumed dead (the
         * daemon sends a keep-alive every second).
         */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = positive(requestTimeout, "requestTimeout");
            return this;
        }

        /**
         * How long a streaming command outlives a lost connection, so that its stream can resume
         * it (which {@link ExecStream} does by itself); 30 seconds by default, capped by the daemon
         * (10 minutes by default). {@link Duration#ZERO} turns resuming off: a lost connection then
         * ends the stream with a {@link StreamException} and the daemon kills the command.
         * {@link ExecOptions.Builder#detachGraceMs} overrides it for one command. Closing a stream
         * still cancels its command at once.
         */
        public Builder detachGrace(Duration detachGrace) {
            Objects.requireNonNull(detachGrace, "detachGrace");
            if (detachGrace.isNegative()) throw new IllegalArgumentException("detachGrace must not be negative");
            this.detachGrace = detachGrace;
            return this;
        }

        /** Uses this HTTP client (for a proxy, TLS settings or an executor) instead of creating one; {@link SandboxClient#close()} leaves it open. */
        public Builder httpClient(HttpClient httpClient) {
            this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
            return this;
        }

        /**
         * Builds the client. No request is made yet.
         *
         * @throws IllegalStateException    no API key was given and {@code SANDKASTEN_API_KEY} is not set
         * @throws IllegalArgumentException the base URL is not an absolute http(s) URL
         */
        public SandboxClient build() {
            if (apiKey == null || apiKey.isBlank()) {
                throw new IllegalStateException("no API key: call apiKey(..) or set SANDKASTEN_API_KEY "
                        + "(the daemon prints its key on first start and stores it in its data directory as api-key)");
            }
            String base = baseUrl == null || baseUrl.isBlank() ? DEFAULT_BASE_URL : baseUrl.strip();
            while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
            URI uri;
            try {
                uri = URI.create(base);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("base URL '" + base + "' is not a valid URL", e);
            }
            if (!("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                    || uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
                throw new IllegalArgumentException("base URL '" + base
                        + "' must be an absolute http:// or https:// URL such as " + DEFAULT_BASE_URL);
            }
            HttpClient own = null;
            HttpClient http = httpClient;
            if (http == null) {
                // HTTP/1.1: the daemon speaks it, and it spares every first request an h2c upgrade attempt.
                own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
                http = own;
            }
            return new SandboxClient(new Transport(http, base, apiKey.strip(), requestTimeout, detachGrace), own);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive");
            return d;
        }
    }
}
