package dev.sandkasten.exec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The window size of a PTY command's terminal, set from the host. The pseudo-terminal lives in
 * the sandbox's own devpts, but a process's {@code /proc/<pid>/fd/N} opens the very terminal it
 * has open, so {@code stty -F} on that path (as root, outside the sandbox) changes the size and
 * makes the kernel send SIGWINCH to the terminal's foreground processes.
 *
 * <p>{@code script(1)} opens the terminal at 0 rows and 0 columns, and the command's own first
 * step sets the size it was started with. A resize that came before that step would be undone by
 * it, so a terminal that still has a zero dimension counts as not open yet.
 */
final class Terminal {
    private static final String STTY = Files.isExecutable(Path.of("/usr/bin/stty")) ? "/usr/bin/stty" : "/bin/stty";

    private Terminal() {}

    /**
     * Resizes the terminal that one of {@code pids} has as stdin, stdout or stderr; false if none
     * of them has one (the command has not opened it yet, or has ended).
     */
    static boolean resize(List<Long> pids, int cols, int rows) {
        for (long pid : pids) {
            for (int fd = 0; fd <= 2; fd++) {
                Path link = Path.of("/proc", Long.toString(pid), "fd", Integer.toString(fd));
                String target;
                try {
                    // The target as the sandbox sees it: a sandboxed process cannot make a file of
                    // its own show up under /dev/pts, where only the sandbox's devpts is mounted.
                    target = Files.readSymbolicLink(link).toString();
                } catch (IOException e) {
                    continue;
                }
                if (target.startsWith("/dev/pts/") && sized(link) && stty(link, "cols", Integer.toString(cols),
                        "rows", Integer.toString(rows)).isPresent()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the terminal has been given its first size: neither rows nor columns is 0. */
    private static boolean sized(Path terminal) {
        return stty(terminal, "size").map(out -> out.strip().split(" "))
                .filter(rc -> rc.length == 2 && !rc[0].equals("0") && !rc[1].equals("0")).isPresent();
    }

    /** Runs {@code stty -F terminal args...}: its output, or empty if it failed. */
    private static Optional<String> stty(Path terminal, String... args) {
        List<String> command = new ArrayList<>(List.of(STTY, "-F", terminal.toString()));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            // stty writes a line at most, far below a pipe's buffer, so reading after the wait cannot block it.
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            return p.exitValue() == 0 ? Optional.of(out) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
