package dev.sandkasten.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @Test
    void defaultsNeedNoConfiguration() {
        Config c = ConfigLoader.load(Optional.empty(), Map.of(), Map.of());
        assertThat(c.listenHost()).isEqualTo("127.0.0.1");
        assertThat(c.listenPort()).isEqualTo(8080);
        assertThat(c.memoryLimitBytes()).isEqualTo(1L << 30);
        assertThat(c.pidsLimit()).isEqualTo(512);
        assertThat(c.cpuLimit()).isEqualTo(1.0);
        assertThat(c.chunkSize()).isEqualTo(16 * 1024);
        assertThat(c.heartbeat().toSeconds()).isEqualTo(15);
        assertThat(c.apiKey()).isEmpty();
    }

    @Test
    void fileThenEnvironmentThenFlagsWin(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "listen: 127.0.0.1:9000\nmemory_limit: 512MiB\npids_limit: 100\n");
        Config c = ConfigLoader.load(Optional.of(f), Map.of("SANDKASTEN_PIDS_LIMIT", "200"),
                Map.of("listen", "127.0.0.1:9100"));
        assertThat(c.listenPort()).isEqualTo(9100);
        assertThat(c.memoryLimitBytes()).isEqualTo(512L << 20);
        assertThat(c.pidsLimit()).isEqualTo(200);
    }

    @Test
    void mistakesAreNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "memroy_limit: 1g\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(f), Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("memroy_limit");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("SANDKASTEN_MEMORY_LIMIT", "lots"), Map.of()))
                .hasMessageContaining("memory_limit");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of(), Map.of("listen", "nowhere")))
                .hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("SANDKASTEN_API_KEY", "short"), Map.of()))
                .hasMessageContaining("api_key");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("SANDKASTEN_SECCOMP_PROFILE", "off"), Map.of()))
                .hasMessageContaining("seccomp_profile must be none, default or strict");
    }
}
