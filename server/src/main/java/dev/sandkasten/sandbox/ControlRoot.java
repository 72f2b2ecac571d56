package dev.sandkasten.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory that holds every session's control directory: the control FIFO, the output and
 * stdin FIFOs and the command files the shell sources. Each command creates and removes files
 * there, and on a journaling file system those metadata updates now and then queue behind a
 * journal commit: on this project's ext4 test host, round trips of {@code true} had a p90 of
 * 3.5-6 ms against 1.1 ms on tmpfs. So the directory goes on a tmpfs when there is one; nothing in
 * it outlives the daemon's run, and a FIFO takes no space.
 *
 * <p>Unless configured, the first tmpfs of {@code /run} and {@code /dev/shm} is used, else the
 * data directory. {@code /dev/shm} is writable by every local user, so a directory found there
 * is only used if it is a real directory owned by the daemon's own uid.
 */
public final class ControlRoot {
    private static final Logger log = LoggerFactory.getLogger(ControlRoot.class);
    private static final List<Path> TMPFS_CANDIDATES = List.of(Path.of("/run"), Path.of("/dev/shm"));

    private ControlRoot() {}

    /**
     * Chooses and empties the control root of this daemon run.
     *
     * @param configured the {@code runtime_dir} setting, used as given when present
     * @param dataDir the data directory, the fallback without a usable tmpfs
     * @param name a name unique to the data directory, so daemons on different data directories never share a root
     */
    public static Path prepare(Optional<Path> configured, Path dataDir, String name) {
        List<Path> candidates = new ArrayList<>();
        if (configured.isPresent()) {
            candidates.add(configured.get());
        } else {
            for (Path base : TMPFS_CANDIDATES) if (isTmpfs(base)) candidates.add(base.resolve(name));
            candidates.add(dataDir.resolve("run"));
        }
        IOException last = null;
        for (Path dir : candidates) {
            try {
                claim(dir);
                return dir;
            } catch (IOException e) {
                if (configured.isPresent()) throw new UncheckedIOException("runtime_dir " + dir + " is unusable: "
                        + e.getMessage(), e);
                log.warn("not using {} for control files: {}", dir, e.getMessage());
                last = e;
            }
        }
        throw new UncheckedIOException("no usable directory for control files", last);
    }

    /** The tmpfs a default control root goes on, if this host has one. */
    public static Optional<Path> defaultTmpfs() {
        return TMPFS_CANDIDATES.stream().filter(ControlRoot::isTmpfs).findFirst();
    }

    public static boolean isTmpfs(Path dir) {
        try {
            return Files.isDirectory(dir) && Files.getFileStore(dir).type().equals("tmpfs");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Makes {@code dir} an empty directory the daemon owns and the sandbox uid may traverse (it
     * bind-mounts its own control directory from below it).
     */
    private static void claim(Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) throw new IOException("it is not a directory");
            int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (owner != self) throw new IOException("it belongs to uid " + owner + ", not to the daemon's uid " + self);
            // What is left belongs to sessions of an earlier run, which died with it.
            try (var entries = Files.list(dir)) {
                for (Path p : entries.toList()) FileTrees.deleteTree(p);
            }
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    }
}
