package dev.sandkasten.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The mount table as this process sees it ({@code /proc/self/mountinfo}): which paths are mount
 * points, and lazy unmounting of everything at or below a directory. Workspace quota disks and
 * image builds (debootstrap mounts {@code /proc} and {@code /sys} in its target) clean up with it.
 */
public final class MountTable {
    private MountTable() {}

    /** Every mount point, in the table's order. */
    private static List<Path> all() {
        List<Path> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                // Fields: id parent major:minor root mountpoint options ...
                String[] f = line.split(" ");
                if (f.length > 4) out.add(Path.of(unescape(f[4])));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
        }
        return out;
    }

    static boolean isMountPoint(Path dir) {
        return all().contains(dir.toAbsolutePath().normalize());
    }

    /** Mount points at or below {@code dir}, deepest first (the order to unmount them in). */
    private static List<Path> below(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        List<Path> out = new ArrayList<>();
        for (Path p : all()) if (p.startsWith(abs)) out.add(p);
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out;
    }

    /**
     * Lazily unmounts the mount at {@code mountPoint}: it goes once its last user does (a process
     * of a sandbox may still be dying).
     */
    static void unmount(Path mountPoint) throws IOException {
        HostCommand.run("umount", "-l", mountPoint.toString());
    }

    /** Lazily unmounts everything at or below {@code dir}; fails if something stays mounted. */
    public static void unmountBelow(Path dir) throws IOException {
        unmountBelow(dir, null);
    }

    /** The same, but a mount exactly at {@code keep} (if not null) stays, while what is mounted below it goes. */
    public static void unmountBelow(Path dir, Path keep) throws IOException {
        Path kept = keep == null ? null : keep.toAbsolutePath().normalize();
        List<Path> mounts = new ArrayList<>(below(dir));
        mounts.remove(kept);
        IOException first = null;
        for (Path mp : mounts) {
            try {
                unmount(mp);
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        List<Path> left = new ArrayList<>(mounts.isEmpty() ? mounts : below(dir));
        left.remove(kept);
        if (!left.isEmpty()) {
            IOException e = new IOException("could not unmount " + left + "; unmount them by hand");
            if (first != null) e.addSuppressed(first);
            throw e;
        }
    }

    /** mountinfo writes space, tab, newline and backslash in paths as a backslash and three octal digits. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
                continue;
            }
            b.append(c);
        }
        return b.toString();
    }
}
