package dev.sandkasten.workspace;

import dev.sandkasten.sandbox.FileTrees;
import dev.sandkasten.sandbox.QuotaDisk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Persistent workspaces: {@code <data dir>/workspaces/<id>/files}, bound at /workspace by every
 * session created with that id. The {@code <id>} directory is root's, so a session can neither
 * replace nor rename the directory it is given; {@code files} belongs to the sandbox uid.
 * Several sessions may use one workspace at once (they share it live); a workspace in use
 * cannot be deleted.
 */
public final class WorkspaceStore {
    /** The disk image of a workspace made with a quota, beside its {@code files}. */
    private static final String DISK = "disk.img";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final Path root;
    private final int hostUid;
    private final QuotaDisk quota;
    private final Map<String, Integer> users = new HashMap<>();

    /** @param quota the file system a new workspace gets ({@code workspace_quota}), or null for none */
    public WorkspaceStore(Path root, int hostUid, QuotaDisk quota) {
        this.root = root;
        this.hostUid = hostUid;
        this.quota = quota;
    }

    /** One workspace as listed. */
    public record Info(String id, Instant createdAt, int sessions) {}

    /** Thrown for an invalid id, a missing workspace, or one in use. */
    public static final class WorkspaceException extends RuntimeException {
        /** Why. */
        public enum Reason { INVALID, NOT_FOUND, IN_USE }

        private final Reason reason;

        WorkspaceException(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    public static boolean validId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    private static void check(String id) {
        if (!validId(id)) {
            throw new WorkspaceException(WorkspaceException.Reason.INVALID, "workspace ids are 1 to 64 characters of "
                    + "letters, digits, '_', '-' and '.', starting with a letter or digit");
        }
    }

    /** The host directory of a workspace's files, created if missing. */
    public synchronized Path open(String id) {
        check(id);
        Path dir = root.resolve(id);
        Path files = dir.resolve("files");
        try {
            if (!Files.isDirectory(files, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
                Files.createDirectories(files);
                Files.setAttribute(files, "unix:uid", hostUid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(files, "unix:gid", hostUid, LinkOption.NOFOLLOW_LINKS);
                Files.setPosixFilePermissions(files, PosixFilePermissions.fromString("rwxr-xr-x"));
                if (quota != null) quota.mount(dir.resolve(DISK), files);
            } else {
                mountIfItHasADisk(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not create workspace " + id, e);
        }
        return files;
    }

    /**
     * A workspace made with a quota keeps its files in its disk image, so it is mounted whenever
     * it is used, whatever {@code workspace_quota} says now (after a restart, or a change of the
     * setting); one made without stays a plain directory.
     */
    private void mountIfItHasADisk(Path dir) throws IOException {
        Path disk = dir.resolve(DISK);
        if (Files.isRegularFile(disk, LinkOption.NOFOLLOW_LINKS)) {
            (quota != null ? quota : new QuotaDisk(Files.size(disk), hostUid)).mount(disk, dir.resolve("files"));
        }
    }

    /** Marks a workspace as used by one more session and returns its files directory. */
    public synchronized Path acquire(String id) {
        Path files = open(id);
        users.merge(id, 1, Integer::sum);
        return files;
    }

    /** The reverse of {@link #acquire}. */
    public synchronized void release(String id) {
        users.computeIfPresent(id, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** An existing workspace's files directory (not created). */
    public synchronized Optional<Path> find(String id) {
        check(id);
        Path files = root.resolve(id).resolve("files");
        if (!Files.isDirectory(files, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
        try {
            mountIfItHasADisk(root.resolve(id));
        } catch (IOException e) {
            throw new UncheckedIOException("could not mount workspace " + id, e);
        }
        return Optional.of(files);
    }

    public synchronized List<Info> list() {
        List<Info> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String id = p.getFileName().toString();
                if (!validId(id) || !Files.isDirectory(p.resolve("files"), LinkOption.NOFOLLOW_LINKS)) continue;
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                out.add(new Info(id, a.creationTime().toInstant(), users.getOrDefault(id, 0)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not list workspaces", e);
        }
        out.sort((a, b) -> a.createdAt().compareTo(b.createdAt()) != 0 ? a.createdAt().compareTo(b.createdAt()) : a.id().compareTo(b.id()));
        return out;
    }

    /** Deletes a workspace and its files; refused while a session uses it. */
    public synchronized void delete(String id) {
        check(id);
        Path dir = root.resolve(id);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new WorkspaceException(WorkspaceException.Reason.NOT_FOUND, "workspace " + id + " not found");
        }
        int n = users.getOrDefault(id, 0);
        if (n > 0) {
            throw new WorkspaceException(WorkspaceException.Reason.IN_USE,
                    "workspace " + id + " is in use by " + n + " session(s); destroy them first");
        }
        // No session uses it, so nothing can swap paths while this walks; links are removed, never followed.
        QuotaDisk.unmount(dir.resolve("files"));
        try {
            FileTrees.deleteTree(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete workspace " + id, e);
        }
    }
}
