package dev.sandkasten.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    void theDiskQuotaIsOnByDefaultAndRequiredOnlyWhenConfigured(@TempDir Path dir) throws Exception {
        DiskQuota d = ConfigLoader.load(Optional.empty(), Map.of(), Map.of()).diskQuota();
        assertThat(d).isEqualTo(new DiskQuota(10L << 30, 0, false));
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "workspace_quota: 10GiB\n"); // the default's value, but set: required
        assertThat(ConfigLoader.load(Optional.of(f), Map.of(), Map.of()).diskQuota().required()).isTrue();
        DiskQuota sized = ConfigLoader.load(Optional.empty(), Map.of("SANDKASTEN_DISK_VOLUME_SIZE", "20GiB"), Map.of()).diskQuota();
        assertThat(sized).isEqualTo(new DiskQuota(10L << 30, 20L << 30, true));
        assertThat(ConfigLoader.load(Optional.empty(), Map.of(), Map.of("workspace_quota", "0")).diskQuota().enabled()).isFalse();
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of(), Map.of("disk_volume_size", "100MiB")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("disk_volume_size");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of(), Map.of("workspace_quota", "lots")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("workspace_quota");
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

    @Test
    void egressDenyTakesWordsAndNetworks() {
        assertThat(ConfigLoader.load(Optional.empty(), Map.of(), Map.of()).egressDeny()).contains("169.254.0.0/16", "10.0.0.0/8");
        assertThat(ConfigLoader.load(Optional.empty(), Map.of("SANDKASTEN_EGRESS_DENY", "none"), Map.of()).egressDeny()).isEmpty();
        assertThat(ConfigLoader.load(Optional.empty(), Map.of("SANDKASTEN_EGRESS_DENY", "203.0.113.7/24, 198.51.100.1"), Map.of())
                .egressDeny()).containsExactly("203.0.113.0/24", "198.51.100.1/32");
        for (String bad : List.of("10.0.0.0/33", "300.1.1.1", "example.com", "::1/128")) {
            assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("SANDKASTEN_EGRESS_DENY", bad), Map.of()))
                    .as(bad).isInstanceOf(ConfigException.class).hasMessageContaining("egress_deny");
        }
    }

    private static final String DIGEST = "ab".repeat(32);

    @Test
    void tenantsComeFromTheFileWithDigestsAndQuotas(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, """
                tenants:
                  - name: team-a
                    key_sha256: %s
                    max_sessions: 5
                  - name: ops
                    key_sha256: %s
                    admin: true
                """.formatted(DIGEST, "cd".repeat(32)));
        Config c = ConfigLoader.load(Optional.of(f), Map.of(), Map.of());
        assertThat(c.tenants()).hasSize(2);
        assertThat(c.tenants().get(0).tenant().name()).isEqualTo("team-a");
        assertThat(c.tenants().get(0).tenant().maxSessions()).isEqualTo(5);
        assertThat(c.tenants().get(0).tenant().maxConcurrentExecs()).isEqualTo(Integer.MAX_VALUE);
        assertThat(c.tenants().get(0).tenant().admin()).isFalse();
        assertThat(c.tenants().get(1).tenant().admin()).isTrue();
    }

    @Test
    void tenantMistakesAreNamed(@TempDir Path dir) throws Exception {
        Map<String, String> cases = Map.of(
                "tenants: {name: a}\n", "must be a list",
                "tenants:\n  - name: a\n    key_sha256: nothex\n", "64 hex digits",
                "tenants:\n  - name: a\n    key: plain\n    key_sha256: " + DIGEST + "\n", "unknown tenant setting 'key'",
                "tenants:\n  - name: admin\n    key_sha256: " + DIGEST + "\n", "not 'admin'",
                "tenants:\n  - name: A B\n    key_sha256: " + DIGEST + "\n", "tenant name 'A B'",
                "tenants:\n  - name: a\n    key_sha256: " + DIGEST + "\n    max_sessions: 0\n", "max_sessions must be between 1",
                "tenants:\n  - name: a\n    key_sha256: " + DIGEST + "\n    admin: yes please\n", "admin must be true or false");
        for (var e : cases.entrySet()) {
            Path f = dir.resolve("c.yaml");
            Files.writeString(f, e.getKey());
            assertThatThrownBy(() -> ConfigLoader.load(Optional.of(f), Map.of(), Map.of()))
                    .as(e.getKey()).isInstanceOf(ConfigException.class).hasMessageContaining(e.getValue());
        }
    }
}
