package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.BadRequestException;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import dev.sandkasten.daemon.Daemon;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The egress network mode, on a daemon that allows it: PyPI is reachable (this repository's
 * machines reach PyPI, and nothing else on the internet), the daemon on the host's loopback is
 * not, and sessions that asked for none still have no network.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EgressIT {
    private Daemon daemon;
    private SandboxClient client;

    @BeforeAll
    void start() {
        daemon = TestDaemon.start(Map.of("network_modes", "none,egress"));
        client = TestDaemon.sdk(daemon);
    }

    @AfterAll
    void stop() {
        client.close();
        daemon.close();
    }

    @Test
    void pipInstallsFromPypiButTheDaemonIsUnreachable() {
        try (Session s = client.createSession(CreateSessionOptions.builder().image("python").network("egress").build())) {
            ExecResult pip = s.exec("python3 -m venv /tmp/v && /tmp/v/bin/pip install --no-cache-dir six >/dev/null && /tmp/v/bin/python -c 'import six; print(six.__name__)'",
                    ExecOptions.builder().timeoutMs(180_000).build());
            assertThat(pip.exitCode()).as(pip.stderr()).isZero();
            assertThat(pip.stdout()).isEqualTo("six\n");
            // The daemon listens on the host's loopback: slirp's host alias 10.0.2.2 is refused,
            // and 127.0.0.1 inside is the sandbox's own loopback.
            String probe = "python3 -c \"import socket\ntry:\n socket.create_connection(('%s', %d), timeout=3); print('reached')\n"
                    + "except OSError as e: print('refused', e.errno)\"";
            assertThat(Sdk.run(s, probe.formatted("10.0.2.2", daemon.port()))).startsWith("refused");
            assertThat(Sdk.run(s, probe.formatted("127.0.0.1", daemon.port()))).startsWith("refused");
        }
    }

    @Test
    void aSessionThatAskedForNoneHasNoNetwork() {
        try (Session s = client.createSession(CreateSessionOptions.builder().image("python").build())) {
            String out = Sdk.run(s, "python3 -c \"import socket\ntry:\n socket.create_connection(('pypi.org', 443), timeout=3); print('reached')\n"
                    + "except OSError as e: print('no network')\"");
            assertThat(out).isEqualTo("no network\n");
        }
    }

    @Test
    void egressIsRefusedWhereTheDaemonDoesNotAllowIt() {
        assertThatThrownBy(() -> TestDaemon.sdk().createSession(CreateSessionOptions.builder().network("egress").build()))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("network mode 'egress' is not available");
    }
}
