package dev.sandkasten.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated /etc: written at every start, the host's copied files only when they changed. */
class RootfsLayoutTest {
    @TempDir
    Path state;

    private SandboxSettings settings() {
        return new SandboxSettings(state, state.resolve("ctl"), 64000, "sandbox", SeccompProfile.NONE,
                new ProcessLimits(1024, 1L << 30, 64L << 20), List.of());
    }

    @Test
    void theHostCopyIsKeptWhileTheHostsFilesAreUnchangedAndRedoneOtherwise() throws Exception {
        SandboxSettings s = settings();
        new RootfsLayout(s).write();
        Path etc = s.etcDir();
        assertThat(Files.readString(etc.resolve("passwd"))).contains("sandbox:x:1000:1000");
        assertThat(Files.isSymbolicLink(etc.resolve("localtime"))).isTrue();
        Path marker = etc.resolveSibling("etc.sha256");
        assertThat(marker).exists();
        if (Files.isDirectory(Path.of("/etc/ssl/certs"))) assertThat(etc.resolve("ssl/certs")).isDirectory();

        // Unchanged host files: the copy stays as it is (a stray file proves nothing was redone),
        // and the generated files are written again.
        Path stray = etc.resolve("stray");
        Files.writeString(stray, "left from before");
        Files.writeString(etc.resolve("passwd"), "tampered");
        new RootfsLayout(s).write();
        assertThat(stray).exists();
        assertThat(Files.readString(etc.resolve("passwd"))).contains("sandbox:x:1000:1000");

        // Changed host files (a digest that no longer matches): /etc is made anew.
        Files.writeString(marker, "0".repeat(64));
        new RootfsLayout(s).write();
        assertThat(stray).doesNotExist();
        assertThat(Files.readString(marker)).hasSize(64).isNotEqualTo("0".repeat(64));
    }
}
