package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.daemon.Daemon;
import dev.sandkasten.sandbox.ControlRoot;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sessions' control directories (FIFOs and command files) live on a tmpfs when the host has
 * one, belong to one session each, and leave nothing behind: not when a session ends, and not
 * (with the daemon's cgroups) when the daemon stops.
 */
class ControlFilesIT {
    private static final Path CGROUPS = Path.of("/sys/fs/cgroup");

    @Test
    void controlDirectoriesComeAndGoWithTheirSessionsAndTheDaemon() throws Exception {
        Path data = Files.createTempDirectory("sandkasten-it-ctl-");
        Path root;
        String cgroupName = Daemon.cgroupName(data);
        try (Daemon d = TestDaemon.start(Map.of("data_dir", data.toString()));
                SandboxClient c = TestDaemon.sdk(d)) {
            root = d.controlRoot();
            if (ControlRoot.defaultTmpfs().isPresent()) assertThat(ControlRoot.isTmpfs(root)).as(root.toString()).isTrue();
            Session s = c.createSession();
            Path ctl = root.resolve(s.id());
            assertThat(ctl.resolve("ctl")).exists();
            // The shell sees it read-only, at the path its command lines name.
            assertThat(Sdk.run(s, "touch /run/sandkasten/x 2>/dev/null && echo writable || echo refused"))
                    .isEqualTo("refused\n");
            s.close();
            assertThat(ctl).doesNotExist();
            assertThat(cgroupDirs(cgroupName)).isNotEmpty();
        }
        assertThat(root).doesNotExist();
        assertThat(cgroupDirs(cgroupName)).isEmpty();
    }

    @Test
    void commandsReuseFreeFifosAndNeverThoseABackgroundJobHolds() throws Exception {
        try (Daemon d = TestDaemon.start(Map.of()); SandboxClient c = TestDaemon.sdk(d)) {
            Session s = c.createSession();
            Path ctl = d.controlRoot().resolve(s.id());
            for (int i = 0; i < 40; i++) assertThat(Sdk.run(s, "echo " + i)).isEqualTo(i + "\n");
            // One command after another: the first FIFOs made with the sandbox serve them all.
            assertThat(fifos(ctl)).as("FIFOs after 40 commands").hasSizeLessThanOrEqualTo(8);

            // A job that keeps the command's stdout open and writes to it later: the FIFO it holds
            // must not become a later command's output.
            Sdk.run(s, "(sleep 0.5; for i in 1 2 3 4 5; do echo late-$i; sleep 0.2; done) &");
            for (int i = 0; i < 5; i++) {
                assertThat(Sdk.run(s, "sleep 0.4; echo mine-" + i)).isEqualTo("mine-" + i + "\n");
            }
        }
    }

    private static List<Path> fifos(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("[oe]\\.\\d+")).toList();
        }
    }

    @Test
    void anUnusableRuntimeDirIsAClearStartError() throws Exception {
        Path file = Files.createTempFile("sandkasten-it-not-a-dir-", "");
        assertThatThrownBy(() -> TestDaemon.start(Map.of("runtime_dir", file.toString())))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("runtime_dir " + file);
    }

    private static List<Path> cgroupDirs(String name) throws Exception {
        // cgroup v2 (/sys/fs/cgroup/NAME) or v1 and hybrid (/sys/fs/cgroup/HIERARCHY/NAME)
        List<Path> found = new java.util.ArrayList<>();
        if (Files.exists(CGROUPS.resolve(name))) found.add(CGROUPS.resolve(name));
        try (var hierarchies = Files.list(CGROUPS)) {
            for (Path h : hierarchies.filter(Files::isDirectory).toList()) {
                if (Files.exists(h.resolve(name))) found.add(h.resolve(name));
            }
        }
        return found;
    }
}
