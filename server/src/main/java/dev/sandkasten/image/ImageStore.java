package dev.sandkasten.image;

import dev.sandkasten.sandbox.MountTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built and imported images under {@code <data_dir>/images}: one directory per image,
 * holding {@code rootfs/} (the root file system, every file owned by the sandbox uid),
 * {@code image.json} ({@link ImageMeta}) and an empty {@code lock} file.
 *
 * <p>Two kinds of process use the store at once: the daemon, which reads images for sessions,
 * and {@code sandkasten image} commands, which add and remove them. An image appears whole or not
 * at all (it is prepared in a private {@code .tmp-*} directory and renamed into place), and its
 * {@code lock} file says whether sessions use it: the daemon holds a shared lock on it while at
 * least one of its sessions runs on the image, and removal needs an exclusive one. The locks are
 * the kernel's ({@code fcntl}), so they vanish with a daemon that dies. The {@code images}
 * directory is root's alone (0700): the sandbox uid owns the files inside, but can never reach
 * them on the host, only through a session's overlay.
 */
public final class ImageStore {
    private static final Logger log = LoggerFactory.getLogger(ImageStore.class);
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    /** Names of the built-in images, which the store never holds. */
    public static final Set<String> RESERVED = Set.of("base", "python");
    private static final String LOCK = "lock";
    private static final String STORE_LOCK = ".lock";
    private static final String STAGING = ".tmp-";
    private static final String TRASH = ".trash-";

    /** Why a store operation was refused. */
    public static final class ImageException extends RuntimeException {
        /** The kinds of refusal. */
        public enum Reason { INVALID, NOT_FOUND, EXISTS, IN_USE }

        private final Reason reason;

        public ImageException(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    /**
     * Lock files this JVM holds a shared lock on, whichever store instance took it. POSIX locks
     * belong to the process, and closing <em>any</em> descriptor of the file drops them all, so
     * removal must not even open a lock file that this process holds (the daemon and the image
     * command share one JVM in the tests).
     */
    private static final java.util.Set<Path> HELD_IN_THIS_JVM = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final Path dir;
    /** The daemon's shared locks, by image name, with the number of sessions using each. */
    private final Map<String, Pin> pins = new HashMap<>();

    private static final class Pin {
        final FileChannel channel;
        final ImageMeta meta;
        int users;

        Pin(FileChannel channel, ImageMeta meta) {
            this.channel = channel;
            this.meta = meta;
        }
    }

    /** @param dir the store's directory, {@code <data_dir>/images} */
    public ImageStore(Path dir) {
        this.dir = dir;
    }

    /** The store of a data directory. */
    public static ImageStore in(Path dataDir) {
        return new ImageStore(dataDir.resolve("images"));
    }

    /** Why {@code name} cannot name a stored image, or empty if it can. */
    public static Optional<String> nameProblem(String name) {
        if (RESERVED.contains(name)) return Optional.of("'" + name + "' is a built-in image");
        if (!NAME.matcher(name).matches()) {
            return Optional.of("image names are 1 to 63 characters of lower-case letters, digits, '.', '_' and '-', "
                    + "starting with a letter or digit");
        }
        return Optional.empty();
    }

    /** Creates the store's directory, root's alone. */
    public void prepare() {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the image directory " + dir, e);
        }
    }

    /** The stored images, by name. Broken entries are logged and left out. */
    public List<ImageMeta> list() {
        List<ImageMeta> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (nameProblem(name).isPresent()) continue; // staging, trash, the store lock
                try {
                    out.add(ImageMeta.read(p));
                } catch (NoSuchFileException e) {
                    // removed meanwhile
                } catch (IOException e) {
                    log.warn("image {} is unreadable: {}", name, e.toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        out.sort(Comparator.comparing(ImageMeta::name));
        return out;
    }

    /** One stored image's description. */
    public Optional<ImageMeta> find(String name) {
        if (nameProblem(name).isPresent()) return Optional.empty();
        try {
            return Optional.of(ImageMeta.read(dir.resolve(name)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.warn("image {} is unreadable: {}", name, e.toString());
            return Optional.empty();
        }
    }

    /** The root file system of a stored image. */
    public Path rootfs(String name) {
        return dir.resolve(name).resolve("rootfs");
    }

    /** A stored image held for a session; closing it lets the image be removed again (once all are closed). */
    public final class Pinned implements AutoCloseable {
        private final String name;
        private final ImageMeta meta;
        private boolean closed;

        private Pinned(String name, ImageMeta meta) {
            this.name = name;
            this.meta = meta;
        }

        public ImageMeta meta() {
            return meta;
        }

        public Path rootfs() {
            return ImageStore.this.rootfs(name);
        }

        @Override
        public void close() {
            synchronized (ImageStore.this) {
                if (closed) return;
                closed = true;
                unpin(name);
            }
        }
    }

    /**
     * Holds an image for one session (daemon side). Throws NOT_FOUND if there is no such image or
     * it is being removed right now.
     */
    public synchronized Pinned pin(String name) {
        Pin p = pins.get(name);
        if (p == null) {
            p = lockShared(name);
            pins.put(name, p);
        }
        p.users++;
        return new Pinned(name, p.meta);
    }

    private Pin lockShared(String name) {
        ImageException missing = new ImageException(ImageException.Reason.NOT_FOUND, "no image '" + name + "'");
        if (nameProblem(name).isPresent()) throw missing;
        Path image = dir.resolve(name);
        Path lock = image.resolve(LOCK);
        FileChannel ch = null;
        try {
            Object before = fileKey(lock);
            ch = FileChannel.open(lock, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            // A shared lock fails only while `image remove` holds the exclusive one.
            FileLock l = ch.tryLock(0, Long.MAX_VALUE, true);
            // The same file must still be the image's lock: a removal may have renamed it away
            // between our lookup and our lock.
            if (l == null || !Objects.equals(before, fileKey(lock))) throw missing;
            ImageMeta meta = ImageMeta.read(image);
            Pin p = new Pin(ch, meta);
            HELD_IN_THIS_JVM.add(lock.toAbsolutePath());
            ch = null;
            return p;
        } catch (NoSuchFileException e) {
            throw missing;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open image " + name, e);
        } finally {
            if (ch != null) closeQuietly(ch);
        }
    }

    private synchronized void unpin(String name) {
        Pin p = pins.get(name);
        if (p == null || --p.users > 0) return;
        pins.remove(name);
        HELD_IN_THIS_JVM.remove(dir.resolve(name).resolve(LOCK).toAbsolutePath());
        closeQuietly(p.channel); // releases the shared lock
    }

    private static Object fileKey(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            log.warn("could not close an image lock: {}", e.toString());
        }
    }

    // ---- management (the `sandkasten image` commands, as root) ----

    /**
     * Runs {@code action} holding the store's own lock, so that two management commands never
     * add or remove images at the same time.
     */
    <T> T exclusively(IoAction<T> action) throws IOException {
        prepare();
        try (FileChannel ch = FileChannel.open(dir.resolve(STORE_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS); FileLock ignored = ch.lock()) {
            return action.run();
        }
    }

    /** An I/O step run under the store's lock. */
    interface IoAction<T> {
        T run() throws IOException;
    }

    /** A new private directory to prepare image {@code name} in; checks the name is valid and free. */
    Path stage(String name) throws IOException {
        nameProblem(name).ifPresent(p -> {
            throw new ImageException(ImageException.Reason.INVALID, p);
        });
        return exclusively(() -> {
            cleanStale();
            if (Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                throw new ImageException(ImageException.Reason.EXISTS, "image '" + name + "' already exists; remove it first");
            }
            Path staging = dir.resolve(STAGING + name + "-" + ProcessHandle.current().pid());
            Trees.delete(staging);
            Files.createDirectory(staging);
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwx------"));
            return staging;
        });
    }

    /** Publishes a prepared image: its description, its lock file, then one rename into place. */
    void commit(Path staging, ImageMeta meta) throws IOException {
        exclusively(() -> {
            Path target = dir.resolve(meta.name());
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new ImageException(ImageException.Reason.EXISTS, "image '" + meta.name() + "' appeared meanwhile");
            }
            meta.write(staging);
            Files.createFile(staging.resolve(LOCK));
            Files.setPosixFilePermissions(staging.resolve(LOCK), PosixFilePermissions.fromString("rw-------"));
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return null;
        });
    }

    /** Removes a stored image; refused with IN_USE while a session of a running daemon uses it. */
    void remove(String name) throws IOException {
        if (RESERVED.contains(name)) {
            throw new ImageException(ImageException.Reason.INVALID, "'" + name + "' is a built-in image and cannot be removed");
        }
        // Checked before any path is built from it: "../.." must never reach a rename or a delete.
        if (nameProblem(name).isPresent() || !Files.isDirectory(dir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
            throw new ImageException(ImageException.Reason.NOT_FOUND, "no image '" + name + "'");
        }
        Path trash = exclusively(() -> {
            Path image = dir.resolve(name);
            Path t = dir.resolve(TRASH + name + "-" + ProcessHandle.current().pid());
            if (HELD_IN_THIS_JVM.contains(image.resolve(LOCK).toAbsolutePath())) throw inUse(name);
            try (FileChannel ch = FileChannel.open(image.resolve(LOCK), StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                FileLock l;
                try {
                    l = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    l = null; // held by this JVM after all
                }
                if (l == null) throw inUse(name);
                // Renamed while locked: from now on no session can start on it.
                Files.move(image, t, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException e) {
                // An image without a lock file was never published whole: nothing can use it.
                Files.move(image, t, StandardCopyOption.ATOMIC_MOVE);
            }
            return t;
        });
        Trees.delete(trash);
    }

    private static ImageException inUse(String name) {
        return new ImageException(ImageException.Reason.IN_USE, "image '" + name
                + "' is in use by running sessions; destroy them (or stop the daemon) and retry");
    }

    /**
     * Deletes staging and trash directories left by management commands that died (their
     * process is gone), unmounting anything a failed debootstrap left mounted inside.
     */
    void cleanStale() throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (!n.startsWith(STAGING) && !n.startsWith(TRASH)) continue;
                long pid;
                try {
                    pid = Long.parseLong(n.substring(n.lastIndexOf('-') + 1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isPresent()) continue;
                MountTable.unmountBelow(p);
                Trees.delete(p);
            }
        }
    }

    /**
     * Gives every image's files to {@code uid}, for a daemon whose {@code sandbox_uid} changed
     * since the images were made (run at start, before any session).
     */
    public void reown(int uid) {
        for (ImageMeta m : list()) {
            if (m.ownerUid() == uid) continue;
            try {
                log.info("image {}: giving its files to uid {} (they belonged to {})", m.name(), uid, m.ownerUid());
                Trees.normalize(rootfs(m.name()), uid);
                m.withOwner(uid).write(dir.resolve(m.name()));
            } catch (IOException e) {
                log.error("image {}: could not change its owner; its sessions may fail: {}", m.name(), e.toString());
            }
        }
    }

    /** Deletes leftovers of dead management commands; for the daemon's start. */
    public void tidy() {
        try {
            exclusively(() -> {
                cleanStale();
                return null;
            });
        } catch (IOException e) {
            log.warn("could not tidy {}: {}", dir, e.toString());
        }
    }
}
