package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.Session;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A real {@code sandkasten image build}: debootstrap (installed with apt if missing) downloads a
 * minimal Debian bookworm plus jq from deb.debian.org (about 50 MB, a few minutes), and sessions
 * run on the result. Opt-in, as it is slow and needs the Debian mirror:
 * {@code ./mvnw -B verify -pl server -am -Dtest=DebootstrapIT -Dsurefire.failIfNoSpecifiedTests=false -Dsandkasten.debootstrap=true}.
 */
@Tag("debootstrap")
@EnabledIfSystemProperty(named = "sandkasten.debootstrap", matches = "true")
class DebootstrapIT {
    @Test
    void buildsAMinimalDebianAndRunsSessionsOnIt() {
        ImagesIT.Run built = ImagesIT.cli("build", "deb-test", "--packages", "jq", "--description", "bookworm and jq");
        assertThat(built.status()).as(built.err()).isZero();
        try {
            assertThat(ImagesIT.cli("list").out()).contains("deb-test", "built", "bookworm and jq");
            var options = CreateSessionOptions.builder().image("deb-test").build();
            try (Session a = TestDaemon.sdk().createSession(options); Session b = TestDaemon.sdk().createSession(options)) {
                assertThat(Sdk.run(a, "echo '{\"a\": [1, 2]}' | jq -c '.a | length'; id -u; cat /etc/debian_version"))
                        .startsWith("2\n0\n12.");
                assertThat(Sdk.run(a, "dpkg -s jq | grep '^Status'")).isEqualTo("Status: install ok installed\n");
                // dpkg works as root of the session's namespace; the removal stays in this session.
                Sdk.run(a, "dpkg -r jq >/dev/null 2>&1");
                assertThat(a.exec("command -v jq").exitCode()).isEqualTo(1);
                assertThat(Sdk.run(b, "command -v jq")).isEqualTo("/usr/bin/jq\n");
            }
        } finally {
            assertThat(ImagesIT.cli("remove", "deb-test").status()).isZero();
        }
    }
}
