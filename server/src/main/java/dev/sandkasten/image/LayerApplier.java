package dev.sandkasten.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Applies image layers (tar streams), in order, to one root directory, with the OCI whiteout
 * rules: {@code .wh.NAME} deletes NAME of the layers below, {@code .wh..wh..opq} hides
 * everything the layers below put in its directory. A whiteout never hides what its own layer
 * adds.
 *
 * <p>Layers are untrusted. Nothing is ever written outside the root:
 * <ul>
 * <li>an entry name that is absolute or has a {@code ..} component is refused;</li>
 * <li>every directory on the way to an entry must be a real directory inside the root: an entry
 *     (or a whiteout, or a hard link's target) that would pass through a symbolic link is refused,
 *     whatever the link points to, so a link planted by an earlier entry cannot redirect a later one;</li>
 * <li>files are created with {@code O_CREAT|O_EXCL} after removing what was there, so an existing
 *     file, link or hard-linked inode is never opened and written through;</li>
 * <li>a hard link must name a regular file already extracted in the root;</li>
 * <li>symbolic links are created as they are (their targets are data, never followed here);</li>
 * <li>device nodes, FIFOs and sockets are skipped (a sandbox has its own {@code /dev}); set-id bits,
 *     owners from the archive and extended attributes (file capabilities) are dropped: every
 *     entry belongs to the sandbox uid.</li>
 * </ul>
 * The root must be a fresh directory nothing else writes to while layers are applied (the
 * importer's private staging directory), so checks and writes cannot be raced.
 */
final class LayerApplier {
    /** Why a layer was refused; the message names the entry, never a host path. */
    static final class HostileLayerException extends IOException {
        HostileLayerException(String message) {
            super(message);
        }
    }

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final int MAX_NAME = 4096;

    private final Path root;
    private final int uid;
    private final long maxBytes;
    private long bytes;
    private long skipped;
    /** Paths (relative, '/'-separated) the layer being applied has created or replaced. */
    private Set<String> layer = new HashSet<>();

    /**
     * @param root the directory to build the image in (fresh, private to the caller)
     * @param uid owner of every entry
     * @param maxBytes the most file content all layers together may write
     */
    LayerApplier(Path root, int uid, long maxBytes) {
        this.root = root;
        this.uid = uid;
        this.maxBytes = maxBytes;
    }

    /** Device nodes, FIFOs and sockets left out so far. */
    long skipped() {
        return skipped;
    }

    /** Applies one uncompressed layer tar on top of the layers applied before. */
    void apply(InputStream layerTar) throws IOException {
        layer = new HashSet<>();
        // Directory mode and time are set after the layer, once nothing more is added to them.
        List<TarArchiveEntry> dirs = new ArrayList<>();
        List<Path> dirPaths = new ArrayList<>();
        TarArchiveInputStream tar = new TarArchiveInputStream(layerTar);
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            if (e.isGlobalPaxHeader()) continue;
            List<String> parts = parts(e.getName(), "entry");
            if (parts.isEmpty()) continue; // the root itself ("./")
            String name = String.join("/", parts);
            String base = parts.getLast();
            Path parent = directory(parts.subList(0, parts.size() - 1), name);
            String parentName = String.join("/", parts.subList(0, parts.size() - 1));
            if (base.equals(OPAQUE)) {
                for (Path child : children(parent)) removeLower(child, join(parentName, child.getFileName().toString()));
                continue;
            }
            if (base.startsWith(WHITEOUT)) {
                String hidden = base.substring(WHITEOUT.length());
                if (hidden.startsWith(WHITEOUT)) continue; // other aufs metadata (.wh..wh.plnk, ...)
                if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
                    throw new HostileLayerException("whiteout entry '" + printable(name) + "' names no file");
                }
                removeLower(parent.resolve(hidden), join(parentName, hidden));
                continue;
            }
            Path target = parent.resolve(base);
            if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                // Checked first: the tar library calls anything that is not a directory a file.
                skipped++;
                continue;
            }
            if (e.isDirectory()) {
                if (!Files.isDirectory(target, NOFOLLOW)) {
                    replace(target);
                    Files.createDirectory(target);
                }
                dirs.add(e);
                dirPaths.add(target);
            } else if (e.isSymbolicLink()) {
                if (e.getLinkName().isEmpty() || e.getLinkName().indexOf('\0') >= 0) {
                    throw new HostileLayerException("symbolic link '" + printable(name) + "' has no valid target");
                }
                replace(target);
                Files.createSymbolicLink(target, Path.of(e.getLinkName()));
            } else if (e.isLink()) {
                List<String> linkParts = parts(e.getLinkName(), "hard link target of '" + printable(name) + "'");
                if (linkParts.isEmpty()) throw new HostileLayerException("hard link '" + printable(name) + "' has no target");
                Path from = directory(linkParts.subList(0, linkParts.size() - 1), name).resolve(linkParts.getLast());
                if (!Files.isRegularFile(from, NOFOLLOW)) {
                    throw new HostileLayerException("hard link '" + printable(name) + "' points to '"
                            + printable(e.getLinkName()) + "', which is not a file extracted before it");
                }
                if (!from.equals(target)) {
                    replace(target);
                    Files.createLink(target, from);
                }
            } else if (e.isFile()) {
                replace(target);
                write(target, tar, e.getSize(), name);
                setMode(target, e.getMode());
                Files.setLastModifiedTime(target, FileTime.from(e.getLastModifiedDate().toInstant()));
            } else {
                // Anything stranger (tape volume headers and such): not created.
                skipped++;
                continue;
            }
            Trees.own(target, uid, false);
            layer.add(name);
        }
        for (int i = dirs.size() - 1; i >= 0; i--) {
            // A later entry may have replaced the directory, or one above it, with a symbolic
            // link; chmod and utimes follow links, so only a path that is still real directories
            // all the way down is touched.
            Path d = dirPaths.get(i);
            if (!realDirectory(d)) continue;
            setMode(d, dirs.get(i).getMode());
            Files.setLastModifiedTime(d, FileTime.from(dirs.get(i).getLastModifiedDate().toInstant()));
        }
    }

    /**
     * Splits an entry name into components: "./" prefixes, empty and "." components go; an
     * absolute name, a ".." component or a NUL is refused.
     */
    private static List<String> parts(String raw, String what) throws HostileLayerException {
        if (raw.length() > MAX_NAME) throw new HostileLayerException(what + " has a name over " + MAX_NAME + " characters");
        if (raw.indexOf('\0') >= 0) throw new HostileLayerException(what + " '" + printable(raw) + "' contains NUL");
        if (raw.startsWith("/")) throw new HostileLayerException(what + " '" + printable(raw) + "' is an absolute path");
        List<String> out = new ArrayList<>();
        for (String p : raw.split("/")) {
            if (p.isEmpty() || p.equals(".")) continue;
            if (p.equals("..")) throw new HostileLayerException(what + " '" + printable(raw) + "' climbs out with '..'");
            out.add(p);
        }
        return out;
    }

    /**
     * The directory holding an entry, created (owned by the sandbox uid) where missing. Every
     * component must be a real directory: a symbolic link on the way is refused.
     */
    private Path directory(List<String> parts, String entry) throws IOException {
        Path dir = root;
        StringBuilder name = new StringBuilder();
        for (String p : parts) {
            dir = dir.resolve(p);
            if (!name.isEmpty()) name.append('/');
            name.append(p);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(dir, BasicFileAttributes.class, NOFOLLOW);
            } catch (NoSuchFileException missing) {
                Files.createDirectory(dir);
                Trees.own(dir, uid, false);
                layer.add(name.toString());
                continue;
            }
            if (a.isSymbolicLink()) {
                throw new HostileLayerException("entry '" + printable(entry) + "' goes through the symbolic link '"
                        + printable(name.toString()) + "'");
            }
            if (!a.isDirectory()) {
                throw new HostileLayerException("entry '" + printable(entry) + "' needs '" + printable(name.toString())
                        + "' to be a directory, but it is a file");
            }
        }
        return dir;
    }

    /** Whether every component from the root down to {@code p} is a directory, not a link. */
    private boolean realDirectory(Path p) {
        Path rel = root.relativize(p);
        Path at = root;
        for (Path part : rel) {
            at = at.resolve(part.toString());
            if (!Files.isDirectory(at, NOFOLLOW)) return false;
        }
        return true;
    }

    /** Removes whatever is at {@code p} (a link itself, never its target) before an entry takes its place. */
    private void replace(Path p) throws IOException {
        if (Files.isDirectory(p, NOFOLLOW)) Trees.delete(p);
        else Files.deleteIfExists(p);
    }

    /** Deletes what the layers below left at {@code p}, keeping what this layer added. */
    private void removeLower(Path p, String name) throws IOException {
        if (!Files.exists(p, NOFOLLOW)) return;
        if (!layer.contains(name)) {
            replace(p);
        } else if (Files.isDirectory(p, NOFOLLOW)) {
            for (Path child : children(p)) removeLower(child, join(name, child.getFileName().toString()));
        }
    }

    private static List<Path> children(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path c : s) out.add(c);
        }
        return out;
    }

    private void write(Path target, InputStream in, long size, String name) throws IOException {
        if (bytes + size > maxBytes) {
            throw new HostileLayerException("the image is larger than the limit of " + maxBytes + " bytes (at '"
                    + printable(name) + "'); raise it with --max-size");
        }
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            bytes += in.transferTo(out);
        } catch (FileAlreadyExistsException e) {
            throw new HostileLayerException("entry '" + printable(name) + "' appeared twice at once");
        }
    }

    private static void setMode(Path p, int mode) throws IOException {
        // Set-user-id and set-group-id are dropped: no_new_privs makes them inert in a sandbox anyway.
        Files.setPosixFilePermissions(p, Trees.permissions(mode & 0777));
    }

    private static String join(String dir, String child) {
        return dir.isEmpty() ? child : dir + "/" + child;
    }

    /** An entry name safe to print: control characters escaped, long names cut. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.length() < s.length() ? b.append("...").toString() : b.toString();
    }
}
