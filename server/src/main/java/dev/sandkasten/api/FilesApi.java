package dev.sandkasten.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandkasten.config.Config;
import dev.sandkasten.files.FileException;
import dev.sandkasten.files.FilePath;
import dev.sandkasten.files.FileStore;
import dev.sandkasten.session.SessionManager;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The file routes under a prefix ({@code /v1/sessions/{id}} or {@code /v1/workspaces/{id}}): the
 * contract's write and read, and ours (raw upload and download, list, stat, mkdir, delete).
 * Paths are checked by {@link FilePath}; the I/O runs in {@link FileStore}'s helper sandboxes.
 */
final class FilesApi {
    /** Finds the host directory behind a request's {id}; {@code create} for routes that write. */
    interface Resolver {
        Path resolve(ServerRequest req, boolean create);
    }

    private final Config config;
    private final FileStore store;
    private final String prefix;
    private final Resolver resolver;

    FilesApi(Config config, FileStore store, String prefix, Resolver resolver) {
        this.config = config;
        this.store = store;
        this.prefix = prefix;
        this.resolver = resolver;
    }

    /** The resolver for session routes: the running session's /workspace. */
    static Resolver sessions(SessionManager sessions) {
        Pattern id = Pattern.compile("[A-Za-z0-9_-]{1,64}");
        return (req, create) -> {
            String v = req.path().pathParameters().get("id");
            if (!id.matcher(v).matches()) throw ApiError.sessionNotFound("session not found").exception();
            return sessions.workspaceDir(Auth.tenant(req), v);
        };
    }

    void routing(Routes r) {
        r.post(prefix + "/fs/write", this::write)
                .post(prefix + "/fs/upload", this::multipartUpload)
                .get(prefix + "/fs/read", this::read)
                .get(prefix + "/fs/raw", this::download)
                .put(prefix + "/fs/raw", this::upload)
                .get(prefix + "/fs/list", this::list)
                .get(prefix + "/fs/stat", this::stat)
                .post(prefix + "/fs/mkdir", this::mkdir)
                .delete(prefix + "/fs", this::delete);
    }

    static ApiError map(FileException e) {
        return switch (e.reason()) {
            case NOT_FOUND -> ApiError.notFound(e.getMessage());
            case INVALID -> ApiError.invalid(e.getMessage());
            case TOO_LARGE -> ApiError.tooLarge(e.getMessage());
            // The path exists but its state prevents the operation (read-only, permission, a link
            // leading outside the workspace view): the request was well formed, the target is not.
            case FAILED -> new ApiError(409, "CONFLICT", e.getMessage());
        };
    }

    private Path workspace(ServerRequest req) {
        return resolver.resolve(req, false);
    }

    private Path writableWorkspace(ServerRequest req) {
        return resolver.resolve(req, true);
    }

    private static String queryPath(ServerRequest req) {
        Optional<String> p = req.query().first("path").asOptional();
        if (p.isEmpty()) throw ApiError.invalid("query parameter path is required").exception();
        return FilePath.normalise(p.get());
    }

    /**
     * The contract's upload: {@code file} or {@code files} parts, each written under its file name
     * (its last path component) into the directory given by a {@code path} part or query
     * parameter (default /workspace). Parts stream straight to the helper; a {@code path} part
     * must therefore come before the files (form fields first, as HTTP clients send them).
     */
    private void multipartUpload(ServerRequest req, ServerResponse res) {
        String contentType = req.headers().value(HeaderNames.CONTENT_TYPE).orElse(null);
        Optional<String> queryDir = req.query().first("path").asOptional();
        String dir = queryDir.isPresent() ? FilePath.normalise(queryDir.get()) : FilePath.ROOT;
        ArrayNode paths = Json.MAPPER.createArrayNode();
        try (InputStream body = req.content().inputStream()) {
            MultipartReader reader = MultipartReader.of(contentType, body).orElseThrow(() -> new ApiError(415,
                    "UNSUPPORTED_MEDIA_TYPE", "send the files as multipart/form-data with a boundary").exception());
            Path ws = null;
            for (Optional<MultipartReader.Part> next = reader.next(); next.isPresent(); next = reader.next()) {
                MultipartReader.Part part = next.get();
                if (part.name().equals("path") && part.filename().isEmpty()) {
                    if (!paths.isEmpty()) throw ApiError.invalid("send the path part before the file parts").exception();
                    byte[] v = part.content().readNBytes(4097);
                    dir = FilePath.normalise(new String(v, StandardCharsets.UTF_8).strip());
                } else if (part.name().equals("file") || part.name().equals("files")) {
                    String name = part.filename().orElseThrow(() ->
                            ApiError.invalid("the " + part.name() + " part has no filename").exception());
                    name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
                    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                        throw ApiError.invalid("a file part needs a file name").exception();
                    }
                    String target = FilePath.normalise(dir + "/" + name);
                    if (ws == null) ws = writableWorkspace(req);
                    store.write(ws, target, part.content(), config.maxFileBytes());
                    paths.add(target);
                }
            }
        } catch (MultipartReader.MultipartException e) {
            throw ApiError.invalid(e.getMessage()).exception();
        } catch (IOException e) {
            throw ApiError.invalid("could not read the request body").exception();
        }
        if (paths.isEmpty()) throw ApiError.invalid("no file part (named file or files) in the upload").exception();
        ObjectNode out = Json.object();
        out.put("ok", true);
        out.set("paths", paths);
        Json.send(res, 200, out);
    }

    private void write(ServerRequest req, ServerResponse res) {
        RequestBody body = RequestBody.read(req, config.maxBodyBytes());
        String path = FilePath.normalise(body.text("path").orElseThrow(() -> ApiError.invalid("path is required").exception()));
        Optional<String> text = body.text("text");
        Optional<String> b64 = body.text("content_base64");
        if (text.isPresent() == b64.isPresent()) {
            throw ApiError.invalid("send exactly one of text and content_base64").exception();
        }
        byte[] bytes;
        if (text.isPresent()) {
            bytes = text.get().getBytes(StandardCharsets.UTF_8);
        } else {
            try {
                bytes = Base64.getDecoder().decode(b64.get());
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("content_base64 is not valid base64").exception();
            }
        }
        Path ws = writableWorkspace(req);
        long n = store.write(ws, path, new ByteArrayInputStream(bytes), config.maxFileBytes());
        ObjectNode out = Json.object();
        out.put("ok", true);
        out.put("path", path);
        out.put("size", n);
        Json.send(res, 200, out);
    }

    private void read(ServerRequest req, ServerResponse res) {
        String path = queryPath(req);
        long max = config.maxReadBytes();
        Optional<String> mb = req.query().first("max_bytes").asOptional();
        if (mb.isPresent()) {
            try {
                max = Long.parseLong(mb.get());
            } catch (NumberFormatException e) {
                throw ApiError.invalid("max_bytes must be an integer").exception();
            }
            if (max < 0) throw ApiError.invalid("max_bytes must not be negative").exception();
            if (max > config.maxReadBytes()) {
                throw ApiError.tooLarge("max_bytes must be at most " + config.maxReadBytes()
                        + "; download larger files with GET .../fs/raw").exception();
            }
        }
        Path ws = workspace(req);
        FileStore.Content c = store.read(ws, path, max);
        if (mb.isEmpty() && c.size() > max) {
            throw ApiError.tooLarge(path + " is " + c.size() + " bytes, more than this route returns ("
                    + max + "); pass max_bytes for the start of it, or download it with GET .../fs/raw").exception();
        }
        ObjectNode out = Json.object();
        out.put("path", path);
        out.put("content_base64", Base64.getEncoder().encodeToString(c.bytes()));
        out.put("truncated", c.size() > c.bytes().length);
        out.put("size", c.size());
        Json.send(res, 200, out);
    }

    private void download(ServerRequest req, ServerResponse res) {
        String path = queryPath(req);
        Path ws = workspace(req);
        try (FileStore.Download d = store.download(ws, path)) {
            res.header(HeaderNames.CONTENT_TYPE, contentType(path));
            res.header(HeaderNames.CONTENT_LENGTH, Long.toString(d.size()));
            String name = path.substring(path.lastIndexOf('/') + 1);
            res.header(HeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"" + name.replaceAll("[^A-Za-z0-9._ -]", "_") + "\"");
            try (OutputStream out = res.outputStream()) {
                d.content().transferTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void upload(ServerRequest req, ServerResponse res) {
        String path = queryPath(req);
        Path ws = writableWorkspace(req);
        long declared = req.headers().contentLength().orElse(-1L);
        if (declared > config.maxFileBytes()) {
            throw ApiError.tooLarge("file is larger than the limit of " + config.maxFileBytes() + " bytes").exception();
        }
        long n;
        try (InputStream in = req.content().inputStream()) {
            n = store.write(ws, path, in, config.maxFileBytes());
        } catch (IOException e) {
            throw ApiError.invalid("could not read the request body").exception();
        }
        ObjectNode out = Json.object();
        out.put("ok", true);
        out.put("path", path);
        out.put("size", n);
        Json.send(res, 200, out);
    }

    private void list(ServerRequest req, ServerResponse res) {
        String path = req.query().first("path").asOptional().isPresent() ? queryPath(req) : FilePath.ROOT;
        Path ws = workspace(req);
        ArrayNode entries = Json.MAPPER.createArrayNode();
        for (FileStore.Entry e : store.list(ws, path)) entries.add(entry(e));
        ObjectNode out = Json.object();
        out.put("path", path);
        out.set("entries", entries);
        Json.send(res, 200, out);
    }

    private void stat(ServerRequest req, ServerResponse res) {
        String path = queryPath(req);
        Json.send(res, 200, entry(store.stat(workspace(req), path)));
    }

    private void mkdir(ServerRequest req, ServerResponse res) {
        RequestBody body = RequestBody.read(req, config.maxBodyBytes());
        String path = FilePath.normalise(body.text("path").orElseThrow(() -> ApiError.invalid("path is required").exception()));
        store.mkdir(writableWorkspace(req), path);
        ObjectNode out = Json.object();
        out.put("ok", true);
        out.put("path", path);
        Json.send(res, 200, out);
    }

    private void delete(ServerRequest req, ServerResponse res) {
        String path = queryPath(req);
        store.delete(workspace(req), path);
        ObjectNode out = Json.object();
        out.put("ok", true);
        Json.send(res, 200, out);
    }

    private static ObjectNode entry(FileStore.Entry e) {
        ObjectNode n = Json.object();
        n.put("name", e.name());
        n.put("path", e.path());
        n.put("type", e.type());
        n.put("size", e.size());
        n.put("modified_at", e.modified().toString());
        n.put("mode", String.format("%04o", e.mode()));
        return n;
    }

    static String contentType(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        if (name.endsWith(".json")) return "application/json";
        if (name.endsWith(".py") || name.endsWith(".md") || name.endsWith(".csv") || name.endsWith(".txt")
                || name.endsWith(".log") || name.endsWith(".sh")) {
            return name.endsWith(".csv") ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8";
        }
        String guess = URLConnection.getFileNameMap().getContentTypeFor(name);
        return guess != null ? guess : "application/octet-stream";
    }
}
