package dev.sandkasten.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The files under {@code /workspace} of a session ({@link Session#files()}) or of a persistent
 * workspace without a session ({@link Workspace#files()}). Paths are relative to
 * {@code /workspace}, or absolute below it; anything outside it (such as {@code /tmp}) is refused
 * with {@link BadRequestException}. Files and directories written here belong to the sandbox's
 * user, and parent directories are created as needed.
 *
 * <p>Contents travel as raw bytes, streamed: {@link #upload(String, Path)} and
 * {@link #download(String, Path)} never hold a whole file in memory, so they suit files of any
 * size up to the daemon's {@code max_file_bytes} (2 GiB by default). {@link #read} and
 * {@link #write} are their in-memory forms, for small files.
 *
 * <p>Errors: a missing path is {@link NotFoundException}; the wrong kind of path (reading a
 * directory, listing a file) or a path outside {@code /workspace} is {@link BadRequestException};
 * a file over the daemon's limit is {@link PayloadTooLargeException}; a path whose state prevents
 * the operation (read-only, a symlink leading out of the workspace) is {@link ConflictException}.
 * Local files that cannot be read or written throw {@link UncheckedIOException}.
 * Thread-safe.
 */
public final class SandboxFiles {
    private final Transport transport;
    private final String base;

    /** @param base the owner's route, {@code /v1/sessions/{id}} or {@code /v1/workspaces/{id}} */
    SandboxFiles(Transport transport, String base) {
        this.transport = transport;
        this.base = base;
    }

    /** Writes {@code text} as UTF-8 to the file at {@code path}, replacing it if it exists. */
    public WriteResult write(String path, String text) {
        Objects.requireNonNull(text, "text");
        return write(path, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to the file at {@code path}, replacing it if it exists. */
    public WriteResult write(String path, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return put(path, HttpRequest.BodyPublishers.ofByteArray(bytes));
    }

    /**
     * Uploads a local file to {@code path}, streaming it from disk.
     *
     * @throws PayloadTooLargeException the file is larger than the daemon's {@code max_file_bytes}
     * @throws UncheckedIOException     the local file cannot be read
     */
    public WriteResult upload(String path, Path localFile) {
        Objects.requireNonNull(localFile, "localFile");
        HttpRequest.BodyPublisher body;
        try {
            body = HttpRequest.BodyPublishers.ofFile(localFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + localFile + " to upload it", e);
        }
        return put(path, body);
    }

    /**
     * Uploads everything {@code content} yields, until its end, to {@code path}. The stream is
     * read as the upload goes (never whole in memory) and is not closed.
     */
    public WriteResult upload(String path, InputStream content) {
        Objects.requireNonNull(content, "content");
        InputStream unclosable = new FilterInputStream(content) {
            @Override
            public void close() {
                // the caller owns the stream
            }
        };
        Supplier<InputStream> once = new Supplier<>() {
            private boolean used;

            @Override
            public synchronized InputStream get() {
                // A stream cannot be replayed: a retried request must fail, not upload half a file.
                if (used) throw new UncheckedIOException(new IOException("an InputStream upload cannot be retried"));
                used = true;
                return unclosable;
            }
        };
        return put(path, HttpRequest.BodyPublishers.ofInputStream(once));
    }

    /** The file's bytes. For large files prefer {@link #download(String, Path)}, which streams. */
    public byte[] read(String path) {
        try (InputStream in = open(path)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw transferFailed(path, e);
        }
    }

    /** The file's content as UTF-8 text (invalid bytes become U+FFFD). */
    public String readText(String path) {
        return new String(read(path), StandardCharsets.UTF_8);
    }

    /**
     * Downloads the file at {@code path} into {@code localFile} (replacing it), streamed. If the
     * download fails midway, the partial local file is deleted.
     *
     * @return the number of bytes written
     */
    public long download(String path, Path localFile) {
        Objects.requireNonNull(localFile, "localFile");
        try (InputStream in = open(path)) { // a missing file fails here, before the local file is touched
            OutputStream out;
            try {
                out = Files.newOutputStream(localFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + localFile, e);
            }
            boolean complete = false;
            try {
                long n;
                try (out) {
                    n = copy(path, in, out);
                }
                complete = true;
                return n;
            } finally {
                if (!complete) deletePartial(localFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + localFile, e);
        }
    }

    /**
     * Writes the file at {@code path} to {@code out}, streamed. {@code out} is not closed.
     *
     * @return the number of bytes written
     */
    public long download(String path, OutputStream out) {
        Objects.requireNonNull(out, "out");
        try (InputStream in = open(path)) {
            return copy(path, in, out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the download of " + path, e);
        }
    }

    /**
     * Opens the file at {@code path} for reading as it downloads. Close the stream when done;
     * reading fails with an {@link IOException} if the connection breaks or stalls for the
     * client's request timeout.
     */
    public InputStream open(String path) {
        HttpRequest req = transport.builder(fs("/fs/raw", path), transport.requestTimeout())
                .setHeader("Accept", "*/*").GET().build();
        Transport.OpenStream open = transport.open(req);
        // The JDK's streamed body has no read timeout of its own; a stalled download must not hang forever.
        return new SilenceWatchdog(open.body(), transport.requestTimeout());
    }

    /** The entries of the directory {@code /workspace}, sorted by name. */
    public List<FileEntry> list() {
        return transport.call(get("/fs/list", null), Wire::fileList);
    }

    /** The entries of the directory at {@code path}, sorted by name; symlinks among them are not followed. */
    public List<FileEntry> list(String path) {
        return transport.call(get("/fs/list", path), Wire::fileList);
    }

    /** What is at {@code path} (a symlink there is followed). */
    public FileEntry stat(String path) {
        return transport.call(get("/fs/stat", path), Wire::fileEntry);
    }

    /** True if something exists at {@code path} (following a symlink there). */
    public boolean exists(String path) {
        try {
            stat(path);
            return true;
        } catch (NotFoundException e) {
            if ("SESSION_NOT_FOUND".equals(e.code())) throw e;
            return false;
        }
    }

    /**
     * Creates the directory at {@code path} and any missing parents, like {@code mkdir -p}.
     *
     * @return its normalised absolute path, for example {@code /workspace/out}
     */
    public String mkdir(String path) {
        ObjectNode body = Wire.JSON.createObjectNode().put("path", Objects.requireNonNull(path, "path"));
        return transport.call(transport.request("POST", base + "/fs/mkdir", body, transport.requestTimeout()),
                n -> Wire.text(n, "path"));
    }

    /**
     * Deletes the file or directory at {@code path}; a directory goes with everything in it.
     * {@code /workspace} itself cannot be deleted.
     */
    public void delete(String path) {
        transport.call(transport.request("DELETE", fs("/fs", path), null, transport.requestTimeout()), n -> n);
    }

    private WriteResult put(String path, HttpRequest.BodyPublisher body) {
        // No HTTP timeout: a large upload may take longer than any fixed bound; the daemon answers when it is stored.
        HttpRequest req = transport.builder(fs("/fs/raw", path), null)
                .header("Content-Type", "application/octet-stream").PUT(body).build();
        return transport.call(req, Wire::fileWritten);
    }

    private HttpRequest get(String route, String path) {
        String p = path == null ? base + route : fs(route, path);
        return transport.request("GET", p, null, transport.requestTimeout());
    }

    private String fs(String route, String path) {
        Objects.requireNonNull(path, "path");
        return base + route + "?path=" + Transport.segment(path);
    }

    /** Copies the download to {@code out}: a failed read is the network's fault, a failed write the local side's. */
    private static long copy(String path, InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        while (true) {
            int n;
            try {
                n = in.read(buf);
            } catch (IOException e) {
                throw transferFailed(path, e);
            }
            if (n < 0) return total;
            out.write(buf, 0, n);
            total += n;
        }
    }

    private static void deletePartial(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // nothing more to do: the caller gets the download's own error
        }
    }

    private static SandkastenException transferFailed(String path, IOException e) {
        return new ConnectionException("the download of " + path + " broke off (" + e
                + "); the connection to the daemon was lost or stalled", e);
    }
}
