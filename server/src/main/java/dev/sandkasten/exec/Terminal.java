package dev.sandkasten.exec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The window size of a PTY command's terminal, set from the host. The pseudo-terminal lives in
 * the sandbox's own devpts, but a process's {@code /proc/<pid>/fd/N} opens the very terminal it
 * has open, so {@code stty -F} on that path (as root, outside the sandbox) changes the size and
 * makes the kernel send SIGWINCH to the terminal's foreground processes.
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
                if (target.startsWith("/dev/pts/") && stty(link, cols, rows)) return true;
            }
        }
        return false;
    }

    private static boolean stty(Path terminal, int cols, int rows) {
        try {
            Process p = new ProcessBuilder(STTY, "-F", terminal.toString(), "cols", Integer.toString(cols),
                    "rows", Integer.toString(rows)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
