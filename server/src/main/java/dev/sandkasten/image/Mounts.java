package dev.sandkasten.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The host's mount table, for cleaning up after debootstrap (which mounts /proc and /sys in its target). */
final class Mounts {
    private Mounts() {}

    /** Mount points at or below {@code dir}, deepest first. */
    static List<Path> below(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        List<Path> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length < 5) continue;
            Path mp = Path.of(unescape(f[4]));
            if (mp.startsWith(abs)) out.add(mp);
        }
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out;
    }

    /** Lazily unmounts everything at or below {@code dir}; fails if something stays mounted. */
    static void unmountBelow(Path dir) throws IOException {
        List<Path> mounts = below(dir);
        for (Path mp : mounts) {
            Process p = new ProcessBuilder("umount", "-l", mp.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while unmounting " + mp, e);
            }
        }
        if (!mounts.isEmpty() && !below(dir).isEmpty()) {
            throw new IOException("could not unmount " + below(dir) + "; unmount them by hand");
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape
                }
            }
            b.append(c);
        }
        return b.toString();
    }
}
