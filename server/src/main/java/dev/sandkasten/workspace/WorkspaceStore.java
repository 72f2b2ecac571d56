package dev.sandkasten.workspace;

import dev.sandkasten.sandbox.DiskVolume;
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
import java.util.Comparator;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Persistent workspaces: {@code <id>/files}, bound at /workspace by every session created with
 * that id. With disk quotas on, a new workspace's {@code <id>} is a subvolume of the
 * {@link DiskVolume} (its quota covers the workspace); without, and for workspaces made before
 * quotas were, it is a plain directory of the data directory. The {@code <id>} directory is
 * root's, so a session can neither replace nor rename the directory it is given; {@code files}
 * belongs to the sandbox uid. Several sessions may use one workspace at once (they share it
 * live); a workspace in use cannot be deleted.
 */
public final class WorkspaceStore {
    /** The ext4 image of a workspace an earlier version made with a quota, beside its {@code files}. */
    private static final String DISK = "disk.img";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final Path root;
    private final int hostUid;
    private final DiskVolume volume;
    /** This store's directory in the volume, relative to the volume's root, as {@code root} is to the data directory. */
    private final String volumePath;
    private final Map<String, Integer> users = new HashMap<>();

    /**
     * @param root the directory of the workspaces made without a quota
     * @param volume where new workspaces go, or null for none (they go to {@code root})
     * @param volumePath this store's directory in the volume, relative to its root
     */
    public WorkspaceStore(Path root, int hostUid, DiskVolume volume, String volumePath) {
        this.root = root;
        this.hostUid = hostUid;
        this.volume = volume;
        this.volumePath = volumePath;
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
        Path dir = dir(id);
        Path files = dir.resolve("files");
        try {
            if (!Files.isDirectory(files, LinkOption.NOFOLLOW_LINKS)) {
                if (volume != null) {
                    volume.release(inVolume(id)); // one a crash left without files
                    dir = volume.claim(volumePath + "/" + id);
                    files = dir.resolve("files");
                } else {
                    Files.createDirectories(dir);
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
                }
                Files.createDirectories(files);
                Files.setAttribute(files, "unix:uid", hostUid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(files, "unix:gid", hostUid, LinkOption.NOFOLLOW_LINKS);
                Files.setPosixFilePermissions(files, PosixFilePermissions.fromString("rwxr-xr-x"));
            } else {
                mountIfItHasADisk(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not create workspace " + id, e);
        }
        return files;
    }

    /**
     * Where a workspace is or would be made: in the data directory if it was made there (before
     * quotas, or with them off), otherwise in the volume when there is one.
     */
    private Path dir(String id) {
        Path plain = root.resolve(id);
        if (volume == null || Files.isDirectory(plain.resolve("files"), LinkOption.NOFOLLOW_LINKS)) return plain;
        return inVolume(id);
    }

    private Path inVolume(String id) {
        return volume.root().resolve(volumePath).resolve(id);
    }

    /**
     * A workspace made by an earlier version with {@code workspace_quota} keeps its files in an
     * ext4 image, mounted whenever the workspace is used.
     */
    private static void mountIfItHasADisk(Path dir) throws IOException {
        Path disk = dir.resolve(DISK);
        if (Files.isRegularFile(disk, LinkOption.NOFOLLOW_LINKS)) QuotaDisk.mount(disk, dir.resolve("files"));
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
        Path files = dir(id).resolve("files");
        if (!Files.isDirectory(files, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
        try {
            mountIfItHasADisk(dir(id));
        } catch (IOException e) {
            throw new UncheckedIOException("could not mount workspace " + id, e);
        }
        return Optional.of(files);
    }

    public synchronized List<Info> list() {
        List<Info> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<Path> roots = volume == null ? List.of(root) : List.of(root, volume.root().resolve(volumePath));
        for (Path r : roots) {
            if (!Files.isDirectory(r)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(r)) {
                for (Path p : ds) {
                    String id = p.getFileName().toString();
                    if (!validId(id) || !Files.isDirectory(p.resolve("files"), LinkOption.NOFOLLOW_LINKS) || !seen.add(id)) continue;
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    out.add(new Info(id, a.creationTime().toInstant(), users.getOrDefault(id, 0)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not list workspaces", e);
            }
        }
        out.sort(Comparator.comparing(Info::createdAt).thenComparing(Info::id));
        return out;
    }

    /** Deletes a workspace and its files; refused while a session uses it. */
    public synchronized void delete(String id) {
        check(id);
        Path dir = dir(id);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new WorkspaceException(WorkspaceException.Reason.NOT_FOUND, "workspace " + id + " not found");
        }
        int n = users.getOrDefault(id, 0);
        if (n > 0) {
            throw new WorkspaceException(WorkspaceException.Reason.IN_USE,
                    "workspace " + id + " is in use by " + n + " session(s); destroy them first");
        }
        try {
            if (volume != null && dir.startsWith(volume.root())) {
                volume.release(dir);
                return;
            }
            // No session uses it, so nothing can swap paths while this walks; links are removed, never followed.
            QuotaDisk.unmount(dir.resolve("files"));
            FileTrees.deleteTree(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete workspace " + id, e);
        }
    }
}
