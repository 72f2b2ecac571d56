package dev.sandkasten.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short host program as the daemon (mount, mkfifo, mkfs, btrfs) and fails with its own
 * words: the exception's message carries the command line and everything it printed.
 */
final class HostCommand {
    private static final long TIMEOUT_SECONDS = 60;

    private HostCommand() {}

    /** Runs {@code cmd} to its end and returns its output (stdout and stderr together), stripped. */
    static String run(String... cmd) throws IOException {
        return run(List.of(cmd));
    }

    static String run(List<String> cmd) throws IOException {
        String line = String.join(" ", cmd);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(line + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + line, e);
        }
        if (p.exitValue() != 0) throw new IOException(line + " failed: " + out);
        return out;
    }
}
