package dev.sandkasten.files;

import dev.sandkasten.sandbox.FileHelper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * File operations on a workspace directory, each done by a {@link FileHelper} so no path is ever
 * resolved in the daemon's own view. Contents stream through the helper's pipes; nothing larger
 * than a copy buffer is held in memory, except for the JSON read route whose caller bounds it.
 */
public final class FileStore {
    /** How long a helper may take before it is killed, for operations without a client stream. */
    private static final long HELPER_SECONDS = 60;

    private final FileHelper helper;
    // One timer thread for the whole JVM: it only kills overdue helpers, and tests start many daemons.
    private static final ScheduledExecutorService watchdog =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sk-files-watchdog").factory());

    public FileStore(FileHelper helper) {
        this.helper = helper;
    }

    /** One directory entry or a stat result; {@code type} is file, directory, symlink or other. */
    public record Entry(String name, String path, String type, long size, Instant modified, int mode) {}

    /** A file opened for download: its size and a stream of exactly that many bytes (or fewer, if it shrank). */
    public record Download(long size, InputStream content, Process process) implements AutoCloseable {
        @Override
        public void close() {
            kill(process);
            try {
                content.close();
            } catch (IOException ignored) {
                // the helper is gone either way
            }
        }
    }

    /**
     * Writes {@code in} to the file (creating parent directories), at most {@code maxBytes}.
     * Returns the byte count. The file is replaced only once the whole input is written: a
     * longer input (TOO_LARGE), a failed upload or a full workspace leave the old file, or none.
     */
    public long write(Path workspace, String innerPath, InputStream in, long maxBytes) {
        requireNotRoot(innerPath, "write");
        // Unguessable only to avoid clashes: a session planting something there hurts only itself.
        String temp = ".sk-upload-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        String innerTemp = innerPath.substring(0, innerPath.lastIndexOf('/') + 1) + temp;
        Process p = start(workspace, "write", innerPath, temp);
        OutputStream out = p.getOutputStream();
        if (!ready(p)) {
            // It refused the path (or could not start) before reading anything; its status says why.
            closeQuietly(out);
            finish(p, innerPath);
            throw new FileException(FileException.Reason.FAILED, "could not write " + innerPath);
        }
        long total = 0;
        // Until the whole input is in, the helper must not see its input end: on end of input it
        // renames the file into place. So a write given up is killed first, and its stdin closed after.
        boolean handedOver = false;
        try {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = readInput(in, buf)) > 0) {
                if (total + n > maxBytes) {
                    throw new FileException(FileException.Reason.TOO_LARGE, "file is larger than the limit of " + maxBytes + " bytes");
                }
                out.write(buf, 0, n);
                total += n;
            }
            handedOver = true;
            out.close();
        } catch (InputException e) {
            throw new FileException(FileException.Reason.INVALID, "could not read the upload: " + e.getCause().getMessage());
        } catch (IOException e) {
            // The helper closed its input: it refused the path or failed to write, and is exiting;
            // its status says why.
            handedOver = true;
            closeQuietly(out);
            finish(p, innerPath);
            throw new FileException(FileException.Reason.FAILED, "could not write " + innerPath);
        } finally {
            if (!handedOver) {
                kill(p);
                waitQuietly(p);
                closeQuietly(out);
                deleteQuietly(workspace, innerTemp);
            }
        }
        finish(p, innerPath);
        return total;
    }

    /** A failure reading the client's data, as opposed to writing to the helper. */
    private static final class InputException extends IOException {
        InputException(IOException cause) {
            super(cause);
        }
    }

    private static int readInput(InputStream in, byte[] buf) throws InputException {
        try {
            return in.read(buf);
        } catch (IOException e) {
            throw new InputException(e);
        }
    }

    /** Reads up to {@code maxBytes} of a file; {@code size} is the whole file's size. */
    public record Content(byte[] bytes, long size) {}

    public Content read(Path workspace, String innerPath, long maxBytes) {
        try (Download d = download(workspace, innerPath, maxBytes)) {
            byte[] bytes = d.content().readNBytes((int) Math.min(maxBytes, Integer.MAX_VALUE - 8));
            finish(d.process(), innerPath);
            return new Content(bytes, d.size());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens a regular file for streaming; the caller must close the result. */
    public Download download(Path workspace, String innerPath) {
        return download(workspace, innerPath, -1);
    }

    /** With {@code limit} -1, the stream ends at the size the file had when opened, so it matches Content-Length. */
    private Download download(Path workspace, String innerPath, long limit) {
        Process p = start(workspace, "read", innerPath, limit < 0 ? "" : Long.toString(limit));
        closeQuietly(p.getOutputStream());
        ScheduledFuture<?> kill = watchdog.schedule(() -> kill(p), HELPER_SECONDS, TimeUnit.SECONDS);
        InputStream in = p.getInputStream();
        try {
            String header = readLine(in);
            kill.cancel(false);
            if (header == null) {
                finish(p, innerPath);
                throw new FileException(FileException.Reason.FAILED, "could not read " + innerPath);
            }
            return new Download(Long.parseLong(header.strip()), in, p);
        } catch (IOException | NumberFormatException e) {
            kill(p);
            throw new FileException(FileException.Reason.FAILED, "could not read " + innerPath);
        }
    }

    public Entry stat(Path workspace, String innerPath) {
        List<Entry> entries = parse(run(workspace, "stat", innerPath), parentOf(innerPath), innerPath);
        if (entries.size() != 1) throw new FileException(FileException.Reason.FAILED, "could not stat " + innerPath);
        Entry e = entries.get(0);
        return innerPath.equals(FilePath.ROOT) ? new Entry("workspace", FilePath.ROOT, e.type(), e.size(), e.modified(), e.mode()) : e;
    }

    public List<Entry> list(Path workspace, String innerPath) {
        List<Entry> entries = parse(run(workspace, "list", innerPath), innerPath, null);
        entries.sort((a, b) -> a.name().compareTo(b.name()));
        return entries;
    }

    public void mkdir(Path workspace, String innerPath) {
        run(workspace, "mkdir", innerPath);
    }

    public void delete(Path workspace, String innerPath) {
        requireNotRoot(innerPath, "delete");
        run(workspace, "delete", innerPath);
    }

    private static void requireNotRoot(String innerPath, String what) {
        if (innerPath.equals(FilePath.ROOT)) {
            throw new FileException(FileException.Reason.INVALID, "cannot " + what + " " + FilePath.ROOT + " itself; name a path inside it");
        }
    }

    private static String parentOf(String innerPath) {
        int i = innerPath.lastIndexOf('/');
        return i <= 0 ? "/" : innerPath.substring(0, i);
    }

    private static List<Entry> parse(byte[] out, String dir, String onlyPath) {
        List<Entry> entries = new ArrayList<>();
        String all = new String(out, StandardCharsets.UTF_8);
        for (String rec : all.split("\0")) {
            if (rec.isEmpty()) continue;
            String[] f = rec.split("\t", 5);
            if (f.length != 5) continue;
            String type = switch (f[0]) {
                case "f" -> "file";
                case "d" -> "directory";
                case "l" -> "symlink";
                default -> "other";
            };
            double secs = Double.parseDouble(f[2]);
            Instant modified = Instant.ofEpochMilli((long) (secs * 1000));
            String path = onlyPath != null ? onlyPath : (dir.endsWith("/") ? dir : dir + "/") + f[4];
            entries.add(new Entry(f[4], path, type, Long.parseLong(f[1]), modified, Integer.parseInt(f[3], 8)));
        }
        return entries;
    }

    /** Runs an operation without input and returns its whole output (small: metadata only). */
    private byte[] run(Path workspace, String op, String innerPath) {
        Process p = start(workspace, op, innerPath, "");
        closeQuietly(p.getOutputStream());
        ScheduledFuture<?> kill = watchdog.schedule(() -> kill(p), HELPER_SECONDS, TimeUnit.SECONDS);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            InputStream in = p.getInputStream();
            while ((n = readInput(in, buf)) > 0) {
                if (out.size() + n > 64L << 20) {
                    kill(p);
                    throw new FileException(FileException.Reason.TOO_LARGE, "the listing of " + innerPath + " is too large");
                }
                out.write(buf, 0, n);
            }
            finish(p, innerPath);
            return out.toByteArray();
        } catch (IOException e) {
            kill(p);
            throw new FileException(FileException.Reason.FAILED, op + " failed on " + innerPath);
        } finally {
            kill.cancel(false);
        }
    }

    private Process start(Path workspace, String op, String innerPath, String arg) {
        try {
            return helper.start(workspace, op, innerPath, arg);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the file helper", e);
        }
    }

    /** Waits for the helper and turns its exit status into an exception. */
    private static void finish(Process p, String innerPath) {
        int status = waitQuietly(p);
        if (status == 0) return;
        String err;
        try {
            err = new String(p.getErrorStream().readNBytes(2048), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            err = "";
        }
        switch (status) {
            case FileHelper.MISSING -> throw new FileException(FileException.Reason.NOT_FOUND, "no such file or directory: " + innerPath);
            case FileHelper.WRONG_KIND -> throw new FileException(FileException.Reason.INVALID,
                    innerPath + " (or a parent of it) is not of the kind this operation needs (file or directory)");
            default -> {
                // The helper's messages name paths in its own view only (/workspace/...), never host paths.
                String last = err.isEmpty() ? "" : ": " + err.lines().reduce((a, b) -> b).orElse("").replaceFirst("^[^:]*: ", "");
                if (err.contains("No space left on device") || err.contains("Disk quota exceeded")) {
                    throw new FileException(FileException.Reason.TOO_LARGE, "the workspace is full (its size is the daemon's "
                            + "workspace_quota): writing " + innerPath + " failed" + last);
                }
                throw new FileException(FileException.Reason.FAILED, "the operation on " + innerPath + " failed" + last);
            }
        }
    }

    /** Waits for a write helper's "ready" line: false if it ended without one. */
    private static boolean ready(Process p) {
        try {
            InputStream in = p.getInputStream();
            byte[] line = in.readNBytes(6);
            return new String(line, StandardCharsets.US_ASCII).equals("ready\n");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Kills a helper and what runs in its sandbox: killing bubblewrap alone leaves its child, the
     * sandbox's pid 1, running (and a write's shell would then see its input end and commit).
     */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static int waitQuietly(Process p) {
        try {
            if (!p.waitFor(HELPER_SECONDS, TimeUnit.SECONDS)) {
                kill(p);
                return p.waitFor();
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(p);
            return -1;
        }
    }

    private void deleteQuietly(Path workspace, String innerPath) {
        try {
            run(workspace, "delete", innerPath);
        } catch (RuntimeException ignored) {
            // best effort: the write already failed and says so
        }
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException ignored) {
            // nothing to flush
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') return sb.toString();
            if (sb.length() > 32) return null;
            sb.append((char) c);
        }
        return null;
    }
}
