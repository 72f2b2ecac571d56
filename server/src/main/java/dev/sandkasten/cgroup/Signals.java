package dev.sandkasten.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Sends any signal to host processes. Java itself can only send SIGTERM and SIGKILL, so this
 * runs {@code kill(1)}: one process per request, which is fine for a client's signal request.
 */
final class Signals {
    private static final String KILL = Files.isExecutable(Path.of("/usr/bin/kill")) ? "/usr/bin/kill" : "/bin/kill";

    private Signals() {}

    /** Sends {@code kill -s name} to {@code pids}; processes that are gone meanwhile are no error. */
    static void send(List<Long> pids, String name) {
        if (pids.isEmpty()) return;
        List<String> cmd = new ArrayList<>(List.of(KILL, "-s", name, "--"));
        for (long pid : pids) cmd.add(Long.toString(pid));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor();
        } catch (IOException e) {
            throw new CgroupException("cannot run " + KILL, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
