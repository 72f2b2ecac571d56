package dev.sandkasten.image;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Operations on image trees. None follows a symbolic link, and none crosses into another file
 * system: an image tree is one directory on the data directory's file system, and anything
 * mounted inside it (a {@code /proc} that debootstrap failed to unmount) must stop the operation
 * rather than be deleted or re-owned.
 */
final class Trees {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    /** How many symbolic links one lookup may follow, as the kernel's limit. */
    private static final int MAX_LINKS = 40;

    private Trees() {}

    /** Deletes {@code root} and everything below it, on its own file system only. */
    static void delete(Path root) throws IOException {
        dev.sandkasten.sandbox.FileTrees.deleteTree(root);
    }

    /** The size of the regular files in a tree (a file with several hard links counts once per name). */
    static long size(Path root) throws IOException {
        long[] total = {0};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) total[0] += attrs.size();
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }

    /** What {@link #normalize} found in a tree. */
    record Summary(long bytes, long files, long removedDevices) {}

    /**
     * Makes a tree fit for sessions: every entry owned by {@code uid}:{@code uid}, set-user-id and
     * set-group-id bits cleared, device nodes removed (a sandbox gets its own {@code /dev}). Returns
     * the size of its regular files.
     */
    static Summary normalize(Path root, int uid) throws IOException {
        Object device = Files.getAttribute(root, "unix:dev", NOFOLLOW);
        long[] totals = new long[3];
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!device.equals(Files.getAttribute(dir, "unix:dev", NOFOLLOW))) {
                    throw new IOException(dir + " is a mount point inside the image; unmount it first");
                }
                own(dir, uid, true);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isOther()) {
                    // Devices, FIFOs and sockets: nothing in an image needs them on disk.
                    Files.delete(file);
                    totals[2]++;
                    return FileVisitResult.CONTINUE;
                }
                own(file, uid, attrs.isRegularFile());
                if (attrs.isRegularFile()) {
                    totals[0] += attrs.size();
                    totals[1]++;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return new Summary(totals[0], totals[1], totals[2]);
    }

    /** Sets owner and group of one entry (the link itself for a symlink) and clears set-id bits. */
    static void own(Path p, int uid, boolean clearSetId) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, NOFOLLOW);
        Files.setAttribute(p, "unix:gid", uid, NOFOLLOW);
        if (clearSetId) {
            // Read after chown: the kernel clears set-id bits on chown of a regular file anyway.
            int mode = (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW);
            if ((mode & 06000) != 0) Files.setPosixFilePermissions(p, permissions(mode));
        }
    }

    /** The permission bits of a mode; set-id and sticky bits cannot be expressed and are dropped. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) if ((mode & (1 << i)) != 0) s.add(order[i]);
        return s;
    }

    /**
     * Looks {@code path} up inside {@code root} the way a process chrooted to {@code root} would:
     * symbolic links are followed, an absolute target starts again at {@code root}, and {@code ..}
     * never climbs above it. Returns the host path of what it names, or empty if some component is
     * missing, is not a directory, or the links loop.
     */
    static Optional<Path> resolveInRoot(Path root, String path) throws IOException {
        List<String> todo = new ArrayList<>(List.of(path.split("/")));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.removeFirst();
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (!done.isEmpty()) done.removeLast();
                continue;
            }
            Path here = join(root, done).resolve(c);
            PosixFileAttributes a;
            try {
                a = Files.readAttributes(here, PosixFileAttributes.class, NOFOLLOW);
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
            if (a.isSymbolicLink()) {
                if (++links > MAX_LINKS) return Optional.empty();
                String target = Files.readSymbolicLink(here).toString();
                if (target.startsWith("/")) done.clear();
                todo.addAll(0, List.of(target.split("/")));
            } else {
                if (!todo.isEmpty() && !a.isDirectory() && todo.stream().anyMatch(s -> !s.isEmpty() && !s.equals("."))) {
                    return Optional.empty();
                }
                done.add(c);
            }
        }
        return Optional.of(join(root, done));
    }

    private static Path join(Path root, List<String> parts) {
        Path p = root;
        for (String s : parts) p = p.resolve(s);
        return p;
    }
}
