package dev.sandkasten.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.config.Config;
import dev.sandkasten.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The doctor's checks on this real host (the one the integration tests run sandboxes on). */
class DoctorIT {

    private static Config config(Path dataDir, Map<String, String> flags) {
        Map<String, String> all = new java.util.HashMap<>(flags);
        all.put("data_dir", dataDir.toString());
        return ConfigLoader.load(Optional.empty(), Map.of(), all);
    }

    @Test
    void aHostThatRunsTheTestSandboxesPassesEveryCheck(@TempDir Path dir) {
        var findings = Doctor.examine(config(dir, Map.of()));
        assertThat(findings).extracting(Doctor.Finding::check)
                .contains("privileges", "bwrap", "user namespaces", "cgroups", "seccomp", "sandbox", "listen");
        assertThat(findings).allSatisfy(f -> assertThat(f.status()).as(f.check() + ": " + f.detail())
                .isNotEqualTo(Doctor.Status.FAIL));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Doctor.report(config(dir, Map.of()), new PrintStream(out, true, StandardCharsets.UTF_8))).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("PASS  sandbox").endsWith("this host can run sandboxes\n");
    }

    @Test
    void anExposedListenerWithoutAKeyOrWithoutAFilterIsCalledOut(@TempDir Path dir) {
        var findings = Doctor.examine(config(dir, Map.of("listen", "0.0.0.0:8080", "seccomp_profile", "none")));
        assertThat(findings).anySatisfy(f -> {
            assertThat(f.check()).isEqualTo("listen");
            assertThat(f.status()).isEqualTo(Doctor.Status.FAIL);
            assertThat(f.fix()).contains("SANDKASTEN_API_KEY");
        });
        assertThat(findings).anySatisfy(f -> {
            assertThat(f.check()).isEqualTo("seccomp");
            assertThat(f.status()).isEqualTo(Doctor.Status.WARN);
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Doctor.report(config(dir, Map.of("listen", "0.0.0.0:8080")), new PrintStream(out, true, StandardCharsets.UTF_8)))
                .isEqualTo(1);
    }
}
