package dev.sandkasten.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small helpers for reading and writing cgroup control files. */
final class CgroupFiles {
    private CgroupFiles() {}

    static void write(Path file, String value) throws IOException {
        // cgroupfs wants one write(2) per value; Files.writeString does exactly that for short strings.
        Files.writeString(file, value, StandardCharsets.US_ASCII);
    }

    static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.US_ASCII).trim();
    }

    static long readLong(Path file, long fallback) {
        try {
            String s = read(file);
            return s.equals("max") ? Long.MAX_VALUE : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return fallback;
        }
    }

    /** The value of {@code key} in a flat-keyed file such as {@code cpu.stat}, or the fallback. */
    static long readKey(Path file, String key, long fallback) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                int sp = line.indexOf(' ');
                if (sp > 0 && line.substring(0, sp).equals(key)) {
                    return Long.parseLong(line.substring(sp + 1).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return fallback;
    }

    static List<Long> pids(Path group) {
        List<Long> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(group.resolve("cgroup.procs"), StandardCharsets.US_ASCII)) {
                if (!line.isBlank()) out.add(Long.parseLong(line.trim()));
            }
        } catch (NoSuchFileException e) {
            // group already gone: no processes
        } catch (IOException e) {
            throw new CgroupException("cannot list processes of " + group, e);
        }
        return out;
    }

    static void mkdir(Path group) {
        try {
            Files.createDirectories(group);
        } catch (IOException e) {
            throw new CgroupException("cannot create cgroup " + group, e);
        }
    }

    /** Removes an empty group and its empty children; returns false if something still lives there. */
    static boolean rmdirTree(Path group) {
        if (!Files.isDirectory(group)) return true;
        try (var children = Files.list(group)) {
            for (Path child : children.filter(Files::isDirectory).toList()) {
                if (!rmdirTree(child)) return false;
            }
        } catch (IOException e) {
            return false;
        }
        try {
            Files.deleteIfExists(group);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void moveProcess(Path group, long pid) {
        try {
            write(group.resolve("cgroup.procs"), Long.toString(pid));
        } catch (NoSuchFileException e) {
            throw new CgroupException("cgroup " + group + " is gone", e);
        } catch (IOException e) {
            // ESRCH: the process already exited, which is not an error for a mover.
            if (ProcessHandle.of(pid).isPresent()) {
                throw new CgroupException("cannot move pid " + pid + " into " + group, e);
            }
        }
    }

    static void killAll(Iterable<Long> pids) {
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
