package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.cgroup.CgroupStats;
import dev.sandkasten.config.Config;
import dev.sandkasten.exec.Exec;
import dev.sandkasten.exec.ExecInfo;
import dev.sandkasten.exec.ExecSignal;
import dev.sandkasten.exec.StdinPipe;
import dev.sandkasten.files.FileException;
import dev.sandkasten.files.FileStore;
import dev.sandkasten.sandbox.SandboxStartException;
import dev.sandkasten.session.SessionException;
import dev.sandkasten.session.SessionManager;
import dev.sandkasten.session.SessionSpec;
import dev.sandkasten.session.SessionView;
import dev.sandkasten.tenant.TenantKeys;
import dev.sandkasten.text.TextEncoder;
import dev.sandkasten.workspace.WorkspaceStore;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of the wire contract and how failures become JSON errors. Every handler validates
 * its input before touching a session, so a bad request never starts anything.
 */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Duration PROBE = Duration.ofSeconds(1);
    /** How long a stdin write waits for a command that does not read before it is refused. */
    private static final Duration STDIN_WAIT = Duration.ofSeconds(5);
    private static final io.helidon.http.HeaderName LAST_EVENT_ID = HeaderNames.create("Last-Event-ID");

    private final Config config;
    private final SessionManager sessions;
    private final TenantKeys keys;
    private final BlockingExec blocking;
    private final StreamingExec streaming;
    private final FilesApi files;
    private final WorkspacesApi workspaces;
    private final OpenApi openApi = new OpenApi();
    private final ImagesApi images;

    public HttpApi(Config config, SessionManager sessions, FileStore fileStore, TenantKeys keys) {
        this.config = config;
        this.sessions = sessions;
        this.keys = keys;
        this.blocking = new BlockingExec(config.maxOutputBytes());
        this.streaming = new StreamingExec(config.heartbeat(), PROBE);
        this.files = new FilesApi(config, fileStore, "/v1/sessions/{id}", FilesApi.sessions(sessions));
        this.workspaces = new WorkspacesApi(config, sessions.workspaces(), fileStore);
        this.images = new ImagesApi(sessions.images(), config.defaultImage());
    }

    /** Stops the API's own threads; called after the web server has stopped. */
    public void close() {
        streaming.close();
    }

    public void routing(HttpRouting.Builder r) {
        r.addFilter(new Cors(config.corsOrigins()))
                .addFilter(new Auth(keys))
                .get("/healthz", (req, res) -> {
                    ObjectNode n = Json.object();
                    n.put("status", "ok");
                    Json.send(res, 200, n);
                })
                .get("/openapi.json", openApi::send);
        Routes routes = new Routes(r)
                .post("/v1/sessions", this::createSession)
                .get("/v1/sessions", this::listSessions)
                .get("/v1/sessions/{id}", this::getSession)
                .delete("/v1/sessions/{id}", this::deleteSession)
                .get("/v1/sessions/{id}/stats", this::stats)
                .post("/v1/sessions/{id}/exec", this::execBlocking)
                .post("/v1/sessions/{id}/exec/stream", this::execStream)
                .get("/v1/sessions/{id}/execs", this::listExecs)
                .get("/v1/sessions/{id}/execs/{execId}", this::getExec)
                .get("/v1/sessions/{id}/execs/{execId}/stream", this::attachStream)
                .post("/v1/sessions/{id}/execs/{execId}/stdin", this::writeStdin)
                .post("/v1/sessions/{id}/execs/{execId}/signal", this::signalExec)
                .post("/v1/sessions/{id}/execs/{execId}/resize", this::resizeExec)
                .delete("/v1/sessions/{id}/execs/{execId}", this::cancelExec);
        files.routing(routes);
        workspaces.routing(routes);
        images.routing(routes);
        r.any((req, res) -> {
                    String path = req.path().path();
                    java.util.Set<String> allowed = routes.allowed(path);
                    if (!allowed.isEmpty()) {
                        res.header(HeaderNames.ALLOW, String.join(", ", allowed));
                        throw new ApiError(405, "METHOD_NOT_ALLOWED", req.prologue().method().text() + " is not served for "
                                + path + "; allowed: " + String.join(", ", allowed)).exception();
                    }
                    throw ApiError.notFound("no route for " + req.prologue().method().text() + " " + path).exception();
                })
                .error(ApiException.class, (req, res, e) -> sendError(res, e.error()))
                .error(FileException.class, (req, res, e) -> sendError(res, FilesApi.map(e)))
                .error(WorkspaceStore.WorkspaceException.class, (req, res, e) -> sendError(res, WorkspacesApi.map(e)))
                .error(SessionException.class, (req, res, e) -> sendError(res, map(e)))
                .error(SandboxStartException.class, (req, res, e) ->
                        sendError(res, new ApiError(503, "UNAVAILABLE", e.getMessage() + "; see the daemon log")))
                .error(Throwable.class, (req, res, e) -> {
                    log.error("unhandled error on {} {}", req.prologue().method().text(), req.path().path(), e);
                    sendError(res, new ApiError(500, "INTERNAL", "internal error; see the daemon log"));
                });
    }

    private static void sendError(ServerResponse res, ApiError e) {
        if (res.isSent()) return;
        Json.send(res, e.status(), Json.error(e));
    }

    private static ApiError map(SessionException e) {
        return switch (e.reason()) {
            case NOT_FOUND -> ApiError.sessionNotFound(e.getMessage());
            case EXEC_NOT_FOUND -> new ApiError(404, "EXEC_NOT_FOUND", e.getMessage());
            case EXEC_FINISHED -> new ApiError(404, "EXEC_FINISHED", e.getMessage());
            case EXEC_NOT_RUNNING -> new ApiError(409, "EXEC_NOT_RUNNING", e.getMessage());
            case NO_PTY -> new ApiError(409, "NO_PTY", e.getMessage());
            case GONE -> new ApiError(410, "SESSION_GONE", e.getMessage());
            case INVALID -> ApiError.invalid(e.getMessage());
            case UNAVAILABLE -> new ApiError(503, "UNAVAILABLE", e.getMessage());
            case QUOTA -> new ApiError(429, "QUOTA_EXCEEDED", e.getMessage());
        };
    }

    private static String id(ServerRequest req, String name) {
        String v = req.path().pathParameters().get(name);
        if (!ID.matcher(v).matches()) {
            throw (name.equals("id") ? ApiError.sessionNotFound("session " + abbreviate(v) + " not found")
                    : new ApiError(404, "EXEC_NOT_FOUND", "exec " + abbreviate(v) + " not found")).exception();
        }
        return v;
    }

    private static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }

    private void createSession(ServerRequest req, ServerResponse res) {
        RequestBody body = RequestBody.read(req, config.maxBodyBytes());
        Optional<String> image = body.string("image", 128);
        Optional<Long> ttl = body.integer("ttl_seconds", 1, Integer.MAX_VALUE);
        SessionSpec spec = new SessionSpec(image, ttl.map(Duration::ofSeconds),
                body.stringMap("env", true, 256), body.stringMap("labels", false, 64), body.string("network", 32),
                body.string("workspace_id", 128));
        SessionView v = sessions.create(Auth.tenant(req), spec).view();
        res.header(HeaderNames.LOCATION, "/v1/sessions/" + v.id());
        Json.send(res, 201, Wire.session(v));
    }

    private void listSessions(ServerRequest req, ServerResponse res) {
        ArrayNode arr = Json.MAPPER.createArrayNode();
        for (SessionView v : sessions.list(Auth.tenant(req))) arr.add(Wire.session(v));
        Json.send(res, 200, arr);
    }

    private void getSession(ServerRequest req, ServerResponse res) {
        Json.send(res, 200, Wire.session(sessions.view(Auth.tenant(req), id(req, "id"))));
    }

    private void deleteSession(ServerRequest req, ServerResponse res) {
        sessions.destroy(Auth.tenant(req), id(req, "id"));
        ObjectNode n = Json.object();
        n.put("ok", true);
        Json.send(res, 200, n);
    }

    private void stats(ServerRequest req, ServerResponse res) {
        CgroupStats s = sessions.stats(Auth.tenant(req), id(req, "id"));
        ObjectNode n = Json.object();
        n.put("memory_bytes", s.memoryBytes());
        n.put("memory_limit", s.memoryLimit());
        n.put("cpu_usage_usec", s.cpuUsageMicros());
        n.put("pids", s.pids());
        Json.send(res, 200, n);
    }

    private void execBlocking(ServerRequest req, ServerResponse res) throws InterruptedException {
        String sid = id(req, "id");
        ExecParams params = ExecParams.parse(RequestBody.read(req, config.maxBodyBytes()), config);
        Exec exec = sessions.exec(Auth.tenant(req), sid, params.request());
        if (exec.background()) {
            // Answered at once: the command is a resource to list, attach to, signal or cancel.
            res.header(HeaderNames.LOCATION, "/v1/sessions/" + sid + "/execs/" + exec.id());
            Json.send(res, 202, Wire.exec(exec.info()));
            return;
        }
        BlockingExec.Response r = blocking.run(exec, params);
        Json.send(res, r.status(), r.body());
    }

    private void execStream(ServerRequest req, ServerResponse res) throws InterruptedException {
        String sid = id(req, "id");
        ExecParams params = ExecParams.parse(RequestBody.read(req, config.maxBodyBytes()), config);
        Exec exec = sessions.exec(Auth.tenant(req), sid, params.request());
        SseWriter sink;
        try {
            sink = openStream(res, exec);
        } catch (RuntimeException e) {
            exec.cancel("client disconnected");
            throw e;
        }
        streaming.run(exec, params.format(), -1, sink);
    }

    /**
     * Attaches to a running or finished exec: from the start, or after the event id in {@code ?from=}
     * or else {@code Last-Event-ID}. Output format defaults to the one the exec was started with.
     */
    private void attachStream(ServerRequest req, ServerResponse res) throws InterruptedException {
        Exec exec = sessions.findExec(Auth.tenant(req), id(req, "id"), id(req, "execId"));
        Query q = new Query(req);
        StreamFormat started = StreamFormat.of(exec.format());
        StreamFormat format = new StreamFormat(
                q.string("encoding").map(ExecParams::encoding).orElse(started.encoding()),
                q.bool("raw_output").orElse(started.raw()),
                q.integer("chunk_size", 1, Integer.MAX_VALUE).map(n -> ExecParams.chunkSize(Optional.of(n), config))
                        .orElse(started.chunkSize()));
        long after = resumePoint(req, q, exec);
        streaming.run(exec, format, after, openStream(res, exec));
    }

    /**
     * The last event id the client has, or -1 for the whole stream. An id can only name output
     * that exists: at most the output so far, and for a finished command at most the few ids
     * after its output (held-back text, then the last event).
     */
    private static long resumePoint(ServerRequest req, Query q, Exec exec) {
        Optional<Long> from = q.integer("from", 0, Long.MAX_VALUE);
        if (from.isEmpty()) {
            Optional<String> header = req.headers().value(LAST_EVENT_ID);
            if (header.isPresent() && !header.get().isBlank()) {
                try {
                    from = Optional.of(Long.parseLong(header.get().trim()));
                } catch (NumberFormatException e) {
                    throw ApiError.invalid("Last-Event-ID must be an event id of this stream (an integer)").exception();
                }
                if (from.get() < 0) throw ApiError.invalid("Last-Event-ID must not be negative").exception();
            }
        }
        if (from.isEmpty()) return -1;
        // Read "finished" before "end": once finished, the end no longer moves.
        boolean finished = exec.output().isFinished();
        long end = exec.output().end();
        long max = finished ? end + 3 : end;
        if (from.get() > max) {
            throw ApiError.invalid("event id " + from.get() + " is past this command's output (" + end + " bytes"
                    + (finished ? ")" : " so far)")).exception();
        }
        return from.get();
    }

    private static SseWriter openStream(ServerResponse res, Exec exec) {
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header("X-Accel-Buffering", "no");
        res.header("X-Exec-Id", exec.id());
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        return new SseWriter(res.outputStream());
    }

    private void listExecs(ServerRequest req, ServerResponse res) {
        ArrayNode arr = Json.MAPPER.createArrayNode();
        for (ExecInfo e : sessions.execs(Auth.tenant(req), id(req, "id"))) arr.add(Wire.exec(e));
        Json.send(res, 200, arr);
    }

    private void getExec(ServerRequest req, ServerResponse res) {
        Json.send(res, 200, Wire.exec(sessions.findExec(Auth.tenant(req), id(req, "id"), id(req, "execId")).info()));
    }

    /**
     * Writes to a command's input: {@code {"data", "encoding"?, "close"?}}. Answers once the bytes
     * are queued for the command; if it does not read, after {@link #STDIN_WAIT} with 409.
     */
    private void writeStdin(ServerRequest req, ServerResponse res) throws InterruptedException {
        Exec exec = sessions.findExec(Auth.tenant(req), id(req, "id"), id(req, "execId"));
        RequestBody body = RequestBody.read(req, config.maxBodyBytes());
        boolean close = body.bool("close").orElse(false);
        TextEncoder.Encoding encoding = ExecParams.encoding(body.string("encoding", 16).orElse("utf8"));
        Optional<String> data = body.text("data");
        if (data.isEmpty() && !close) throw ApiError.invalid("data is required (or \"close\": true to end the input)").exception();
        byte[] bytes;
        if (data.isEmpty()) {
            bytes = new byte[0];
        } else if (encoding == TextEncoder.Encoding.BASE64) {
            try {
                bytes = Base64.getDecoder().decode(data.get());
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("data is not valid base64").exception();
            }
        } else {
            bytes = data.get().getBytes(StandardCharsets.UTF_8);
        }
        StdinPipe pipe = exec.stdin().orElseThrow(() -> new ApiError(409, "NO_STDIN", "exec " + exec.id()
                + " was not started with \"stdin\": true; its input is /dev/null").exception());
        try {
            pipe.write(bytes, close, STDIN_WAIT);
        } catch (StdinPipe.RefusedException e) {
            throw (switch (e.reason()) {
                case CLOSED -> new ApiError(409, "STDIN_CLOSED", "cannot write to exec " + exec.id() + ": " + e.getMessage());
                case FULL -> new ApiError(409, "STDIN_FULL", "nothing written: " + e.getMessage() + "; retry later");
                case TOO_LARGE -> ApiError.tooLarge(e.getMessage());
            }).exception();
        }
        ObjectNode n = Json.object();
        n.put("ok", true);
        n.put("bytes", bytes.length);
        n.put("closed", close);
        Json.send(res, 200, n);
    }

    /** {@code {"signal": "SIGINT"}} to a running command's process tree, never to the shell. */
    private void signalExec(ServerRequest req, ServerResponse res) {
        String sid = id(req, "id");
        String execId = id(req, "execId");
        RequestBody body = RequestBody.read(req, config.maxBodyBytes());
        String name = body.string("signal", 32).orElseThrow(() -> ApiError.invalid("signal is required, e.g. \"SIGINT\"").exception());
        ExecSignal signal = ExecSignal.parse(name).orElseThrow(() -> ApiError.invalid("unknown signal '" + name
                + "'; use one of " + java.util.Arrays.stream(ExecSignal.values()).map(ExecSignal::wireName).toList()).exception());
        int n = sessions.signal(Auth.tenant(req), sid, execId, signal);
        ObjectNode o = Json.object();
        o.put("ok", true);
        o.put("signal", signal.wireName());
        o.put("processes", n);
        Json.send(res, 200, o);
    }

    /** {@code {"cols", "rows"}}: a new terminal size for a running PTY command (its programs get SIGWINCH). */
    private void resizeExec(ServerRequest req, ServerResponse res) {
        String sid = id(req, "id");
        String execId = id(req, "execId");
        RequestBody body = RequestBody.read(req, config.maxBodyBytes());
        int cols = body.integer("cols", 1, ExecParams.MAX_COLS).orElseThrow(() -> ApiError.invalid("cols is required").exception()).intValue();
        int rows = body.integer("rows", 1, ExecParams.MAX_ROWS).orElseThrow(() -> ApiError.invalid("rows is required").exception()).intValue();
        sessions.resize(Auth.tenant(req), sid, execId, cols, rows);
        ObjectNode o = Json.object();
        o.put("ok", true);
        o.put("cols", cols);
        o.put("rows", rows);
        Json.send(res, 200, o);
    }

    private void cancelExec(ServerRequest req, ServerResponse res) {
        sessions.cancel(Auth.tenant(req), id(req, "id"), id(req, "execId"));
        ObjectNode n = Json.object();
        n.put("ok", true);
        Json.send(res, 200, n);
    }
}
