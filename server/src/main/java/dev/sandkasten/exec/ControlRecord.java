package dev.sandkasten.exec;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A record the sandbox writes to its control FIFO, NUL-terminated. The sandbox is untrusted, so
 * parsing never throws: anything malformed is ignored by the reader.
 */
sealed interface ControlRecord {
    /** A fresh shell is ready; {@code pid} is its pid inside the sandbox's pid namespace. */
    record Ready(long pid) implements ControlRecord {}

    /** Command {@code id} finished with {@code exitCode}, leaving the shell in {@code cwd}. */
    record Done(long id, int exitCode, String cwd) implements ControlRecord {}

    /** The shell itself exited with {@code status}; the supervisor is starting a new one. */
    record ShellExited(int status) implements ControlRecord {}

    /** Background command {@code id} ended with {@code exitCode}. */
    record JobEnded(long id, int exitCode) implements ControlRecord {}

    static Optional<ControlRecord> parse(byte[] buf, int off, int len) {
        String s = new String(buf, off, len, StandardCharsets.UTF_8);
        try {
            if (s.startsWith("R ")) return Optional.of(new Ready(Long.parseLong(s.substring(2).trim())));
            if (s.startsWith("X ")) return Optional.of(new ShellExited(Integer.parseInt(s.substring(2).trim())));
            if (s.startsWith("E ")) {
                String[] parts = s.split(" ", 3);
                if (parts.length == 3) return Optional.of(new JobEnded(Long.parseLong(parts[1]), Integer.parseInt(parts[2].trim())));
            }
            if (s.startsWith("D ")) {
                String[] parts = s.split(" ", 4);
                if (parts.length == 4) {
                    return Optional.of(new Done(Long.parseLong(parts[1]), Integer.parseInt(parts[2]), parts[3]));
                }
            }
        } catch (NumberFormatException e) {
            // malformed: ignored
        }
        return Optional.empty();
    }
}
