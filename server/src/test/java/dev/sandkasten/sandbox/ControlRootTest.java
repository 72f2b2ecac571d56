package dev.sandkasten.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing and claiming the control root, on the real file system. */
class ControlRootTest {
    @TempDir
    Path tmp;

    @Test
    void aConfiguredDirectoryIsCreatedAndTraversableOnly() throws Exception {
        Path dir = tmp.resolve("a/b/run");
        assertThat(ControlRoot.prepare(Optional.of(dir), tmp, "sandkasten-x")).isEqualTo(dir);
        assertThat(Files.getPosixFilePermissions(dir)).hasToString("[OWNER_READ, OWNER_WRITE, OWNER_EXECUTE, GROUP_EXECUTE, OTHERS_EXECUTE]");
    }

    @Test
    void leftoversOfAnEarlierRunAreRemoved() throws Exception {
        Path dir = tmp.resolve("run");
        Files.createDirectories(dir.resolve("sb_old"));
        Files.writeString(dir.resolve("sb_old").resolve("c.1"), "echo hi\n");
        Files.createSymbolicLink(dir.resolve("link"), tmp); // removed, not followed
        Files.writeString(tmp.resolve("keep"), "x");
        ControlRoot.prepare(Optional.of(dir), tmp, "sandkasten-x");
        try (var entries = Files.list(dir)) {
            assertThat(entries).isEmpty();
        }
        assertThat(tmp.resolve("keep")).exists();
    }

    @Test
    void aSymlinkIsRefused() throws Exception {
        Path target = Files.createDirectory(tmp.resolve("target"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        assertThatThrownBy(() -> ControlRoot.prepare(Optional.of(link), tmp, "sandkasten-x"))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("not a directory");
    }

    @Test
    void aDirectoryOfAnotherUserIsRefusedAndLeftAlone() throws Exception {
        // Only root can give a directory away; the daemon runs as root.
        assumeTrue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0);
        Path foreign = Files.createDirectory(tmp.resolve("foreign"));
        Files.writeString(Files.createDirectory(foreign.resolve("sb_x")).resolve("c.1"), "x");
        Files.setAttribute(foreign, "unix:uid", 4242);
        assertThatThrownBy(() -> ControlRoot.prepare(Optional.of(foreign), tmp, "sandkasten-x"))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("belongs to uid 4242");
        assertThat(foreign.resolve("sb_x/c.1")).exists();
    }

    @Test
    void withoutConfigurationATmpfsIsPreferredOverTheDataDirectory() {
        Path chosen = ControlRoot.prepare(Optional.empty(), tmp, "sandkasten-test-" + ProcessHandle.current().pid());
        try {
            if (ControlRoot.defaultTmpfs().isPresent()) {
                assertThat(chosen.getParent()).isEqualTo(ControlRoot.defaultTmpfs().get());
                assertThat(ControlRoot.isTmpfs(chosen)).isTrue();
            } else {
                assertThat(chosen).isEqualTo(tmp.resolve("run"));
            }
        } finally {
            try {
                FileTrees.deleteTree(chosen);
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
