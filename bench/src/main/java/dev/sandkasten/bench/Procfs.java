package dev.sandkasten.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmarks read from {@code /proc}: a process's CPU time and status fields, and meminfo. */
final class Procfs {
    private Procfs() {}

    /** The fields of {@code /proc/PID/stat} after the command name, from the state (field 3) on. */
    static String[] statFields(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }

    /** User plus system CPU seconds of one process (fields 14 and 15 of proc(5)'s stat). */
    static double cpuSeconds(long pid) throws IOException {
        String[] f = statFields(pid);
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    /** A numeric field of {@code /proc/PID/status}, such as {@code VmRSS:} (in kB) or {@code Threads:}. */
    static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        throw new IOException("no " + field + " in /proc/" + pid + "/status");
    }

    /** A field of {@code /proc/meminfo}, in bytes. */
    static long memInfo(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith(field)) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
        throw new IOException("no " + field + " in /proc/meminfo");
    }
}
